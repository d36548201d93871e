"""One module per modal."""
