"""Text a person typed or a provider sent, made safe to show to someone else.

A payment reference of NUL characters and U+202E (right-to-left override) reached the sellers'
screens: control characters break logs and layouts, and bidi overrides make "gpj.exe" read as
"exe.jpg". Characters of Unicode categories Cc (controls) and Cf (format: bidi overrides, zero
width joiners, BOM…) are removed; ordinary whitespace (space, tab, newlines) becomes a space.
"""

from __future__ import annotations

import unicodedata

from workflows.errors import InvalidInput

_WHITESPACE = frozenset("\t\n\r\x0b\x0c\x85\u2028\u2029")


def clean(value: str, max_length: int | None = None) -> str:
    """`value` without control and format characters, runs of whitespace as one space, trimmed."""
    kept = []
    for ch in value or "":
        if ch in _WHITESPACE:
            kept.append(" ")
        elif unicodedata.category(ch) not in ("Cc", "Cf", "Cs"):
            kept.append(ch)
    text = " ".join("".join(kept).split())
    return text[:max_length] if max_length is not None else text


def required(value: str, what: str, max_length: int) -> str:
    """`clean(value)`, refused with InvalidInput naming `what` when nothing readable is left."""
    text = clean(value, max_length)
    if not text:
        raise InvalidInput(f"{what}: nothing readable (write letters or numbers)")
    return text
