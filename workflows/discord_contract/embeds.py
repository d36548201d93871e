"""Embeds as Discord's JSON, within resources/message.mdx "Embed Limits" (the numbers live in
`workflows.message_limits`): every text is cut to its own limit with an ellipsis; more than 25
fields, or a message's embeds over 6,000 characters together, are refused with ValueError
(the caller decides what to leave out: the panel pages its products, for one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflows import message_limits as limits
from workflows.message_limits import shorten

Embed = dict[str, Any]


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    inline: bool = False


def embed(
    title: str | None = None,
    description: str | None = None,
    *,
    url: str = "",
    fields: list[Field] | None = None,
    footer: str = "",
    color: int | None = None,
    image_url: str = "",
    thumbnail_url: str = "",
) -> Embed:
    """One embed. The title and description are kept when given, even empty (the panel's
    seller may clear its title); the other parts only when they say something. Discord
    refuses an empty field name or value, so an empty one becomes "—"."""
    fields = fields or []
    if len(fields) > limits.EMBED_FIELDS_MAX:
        raise ValueError(f"an embed holds at most {limits.EMBED_FIELDS_MAX} fields, not {len(fields)}")
    made: Embed = {}
    if title is not None:
        made["title"] = shorten(title, limits.EMBED_TITLE_MAX)
    if url:
        # The title links there. "Embeds are deduplicated by URL" (resources/message.mdx): two
        # embeds of one message with the same url show as one.
        made["url"] = url
    if description is not None:
        made["description"] = shorten(description, limits.EMBED_DESCRIPTION_MAX)
    if color is not None:
        made["color"] = color
    if fields:
        made["fields"] = [
            {
                "name": shorten(f.name, limits.FIELD_NAME_MAX) or "—",
                "value": shorten(f.value, limits.FIELD_VALUE_MAX) or "—",
                "inline": f.inline,
            }
            for f in fields
        ]
    if footer:
        made["footer"] = {"text": shorten(footer, limits.FOOTER_TEXT_MAX)}
    if image_url:
        made["image"] = {"url": image_url}
    if thumbnail_url:
        made["thumbnail"] = {"url": thumbnail_url}
    return within_total([made])[0]


def within_total(embeds: list[Embed]) -> list[Embed]:
    """`embeds` unchanged when one message can carry them all (6,000 characters together),
    else ValueError."""
    total = sum(limits.embed_size(e) for e in embeds)
    if total > limits.EMBED_TOTAL_MAX:
        raise ValueError(f"embeds of {total} characters (Discord: {limits.EMBED_TOTAL_MAX} in one message)")
    return embeds
