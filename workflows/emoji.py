"""The emoji on the panel's buttons: what a seller may type, and what Discord is sent.

Discord takes a button's emoji as a partial emoji object (components/reference.mdx, "Button":
`emoji` — `name`, `id` and `animated`): a Unicode emoji by its `name`, or a custom emoji of
the guild by its `id` and `name`. Anything else (a word, `:cart:` sent as text) makes Discord
refuse the whole panel with 400/50035, so the designer accepts only those two forms, and the
renderer drops a stored value that is neither (data saved before this check) instead of
breaking the panel.
"""

from __future__ import annotations

import re
from typing import Any

import emoji as unicode_emoji

# reference.mdx, "Message Formatting": custom emoji are written <:NAME:ID>, animated ones <a:NAME:ID>
# (names of 2–32 letters, digits and underscores; ids are snowflakes).
_CUSTOM = re.compile(r"^<(?P<animated>a?):(?P<name>[A-Za-z0-9_]{2,32}):(?P<id>[0-9]{15,21})>$")
_ALIAS = re.compile(r"^:[A-Za-z0-9_+\-]+:$")


def normalise(value: str) -> str | None:
    """The emoji as stored: one Unicode emoji, or `<:name:id>` / `<a:name:id>`; `:cart:` style
    aliases become their Unicode emoji; "" means no emoji. None: not an emoji at all."""
    value = value.strip()
    if not value:
        return ""
    if _CUSTOM.match(value):
        return value
    if _ALIAS.match(value):
        value = unicode_emoji.emojize(value, language="alias")
    return value if unicode_emoji.is_emoji(value) else None


def as_component(value: str | None) -> dict[str, Any] | None:
    """The partial emoji object a button carries, or None for no (or an invalid) emoji."""
    if not value:
        return None
    custom = _CUSTOM.match(value)
    if custom:
        return {"id": custom["id"], "name": custom["name"], "animated": bool(custom["animated"])}
    return {"name": value} if unicode_emoji.is_emoji(value) else None
