"""One module per button, named for what the user clicked."""
