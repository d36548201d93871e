"""The py-cord bot: thin Discord handlers calling `workflows`, one module per interaction."""
