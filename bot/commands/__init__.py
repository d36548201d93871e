"""Slash commands, one module each."""
