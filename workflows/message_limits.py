"""Discord's size limits on what the store posts, and the ways the store stays within them.

Each limit is Discord's own, cited where it is documented; a message that breaks one is
refused with 400/50035 (or 413/40005 for an upload), so the store shapes its messages first
instead of finding out from a refusal.
"""

from __future__ import annotations

from typing import Any

# resources/message.mdx, "Create Message": "Message contents (up to 2000 characters)".
CONTENT_MAX = 2000
# reference.mdx, "Uploading Files": "The default limit is `10 MiB`" per file, for every bot.
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
# resources/message.mdx, "Embed Limits".
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_TEXT_MAX = 2048
EMBED_TOTAL_MAX = 6000

ELLIPSIS = "…"


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in an ellipsis when it was cut."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    return text[: limit - 1].rstrip() + ELLIPSIS


def embed_size(embed: dict[str, Any]) -> int:
    """The characters that count towards the 6,000 of one message's embeds (title,
    description, field names and values, footer text, author name)."""
    size = len(embed.get("title") or "") + len(embed.get("description") or "")
    size += len((embed.get("footer") or {}).get("text") or "")
    size += len((embed.get("author") or {}).get("name") or "")
    return size + sum(len(f.get("name") or "") + len(f.get("value") or "") for f in embed.get("fields") or [])


def _pieces(line: str, limit: int) -> list[str]:
    """One line cut into pieces of at most `limit`: at the last space that fits (the space
    is where the message ends), else hard at the limit (a secret without spaces)."""
    pieces = []
    while len(line) > limit:
        cut = line.rfind(" ", 1, limit + 1)
        if cut <= 0:
            pieces.append(line[:limit])
            line = line[limit:]
        else:
            pieces.append(line[:cut])
            line = line[cut + 1 :]
    pieces.append(line)
    return pieces


def split_content(content: str, limit: int = CONTENT_MAX) -> list[str]:
    """`content` as consecutive messages of at most `limit` characters each, cut at line
    breaks where possible, else at spaces, else inside a word. Deterministic: the same text
    always gives the same parts (their nonces depend on it). Never an empty part (Discord
    refuses an empty message)."""
    parts: list[list[str]] = [[]]
    size = 0
    for line in content.split("\n"):
        for piece in _pieces(line, limit):
            added = len(piece) + (1 if parts[-1] else 0)
            if parts[-1] and size + added > limit:
                parts.append([])
                size, added = 0, len(piece)
            parts[-1].append(piece)
            size += added
    texts = ["\n".join(lines) for lines in parts]
    return [t for t in texts if t.strip()] or [content[:limit]]
