"""What a ticket channel is, as data: its name and who may see it."""

from __future__ import annotations

import re
import unicodedata

MAX_NAME = 100


def channel_name(username: str, product: str) -> str:
    """`ticket-{username}-{product}` under Discord's rules: lower case, no spaces, ≤ 100."""
    raw = f"ticket-{username}-{product}"
    ascii_only = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9_-]+", "-", ascii_only.lower())
    name = re.sub(r"-{2,}", "-", name).strip("-")
    return (name or "ticket")[:MAX_NAME].rstrip("-")
