"""What a ticket channel is, as data: its name, who may see it, how it is found again, and
which category it goes in.

Discord's rules used here (resources/channel.mdx, resources/guild.mdx "Create Guild Channel"):
a category holds at most 50 channels, a guild at most 500 (topics/opcodes-and-status-codes.mdx
30013); a text channel's topic is 0-1024 characters; permission overwrites are
`{id, type (0 role, 1 member), allow, deny}` with the bits as strings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from workflows.discord_permissions import Permission

MAX_NAME = 100
MAX_TOPIC = 1024
CATEGORY_LIMIT = 50  # channels in one category
TEXT_CHANNEL, CATEGORY = 0, 4  # resources/channel.mdx "Channel Types"
ROLE, MEMBER = 0, 1  # permission overwrite types

# What buyers and seller roles may do in a ticket; what the bot gives itself (it deletes the
# channel when the ticket is archived). Keep in step with
# `workflows.discord_permissions.TICKET_CHANNEL_GRANTS`.
PARTICIPANT = (
    Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.ATTACH_FILES
    | Permission.READ_MESSAGE_HISTORY
)
BOT = Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES | Permission.MANAGE_CHANNELS
HIDDEN = Permission.VIEW_CHANNEL

# How long the Buy click's token may still edit the buyer's reply: 15 minutes
# (interactions/receiving-and-responding.mdx "Followup Messages"), less a margin for the
# request in flight; later the buyer is told by DM.
INTERACTION_TOKEN_VALID = timedelta(minutes=14, seconds=30)

Channel = Mapping[str, Any]  # a channel object as Discord's REST API returns it


def channel_name(username: str, product: str) -> str:
    """`ticket-{username}-{product}` under Discord's rules: lower case, no spaces, ≤ 100."""
    raw = f"ticket-{username}-{product}"
    ascii_only = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9_-]+", "-", ascii_only.lower())
    name = re.sub(r"-{2,}", "-", name).strip("-")
    return (name or "ticket")[:MAX_NAME].rstrip("-")


def ticket_reference(ticket_id: object) -> str:
    """The mark a ticket's channel carries in its topic, so it is found again after a crash."""
    return f"ref {ticket_id}"


def topic(heading: str, ticket_id: object) -> str:
    """The channel topic: a heading people read, ending with the ticket's reference."""
    mark = ticket_reference(ticket_id)
    return f"{heading[: MAX_TOPIC - len(mark) - 3]} · {mark}"


def find_ticket_channel(channels: Iterable[Channel], ticket_id: object) -> Channel | None:
    """The guild's channel made for this ticket, if one was made already."""
    mark = ticket_reference(ticket_id)
    return next(
        (c for c in channels if c.get("type") == TEXT_CHANNEL and (c.get("topic") or "").endswith(mark)),
        None,
    )


def overwrites(guild_id: int, buyer_id: int, bot_id: int, seller_role_ids: Iterable[int]) -> list[dict]:
    """Buyer, seller roles and the bot only: @everyone may not view the channel."""

    def overwrite(target: int, kind: int, allow: int = 0, deny: int = 0) -> dict:
        return {"id": str(target), "type": kind, "allow": str(int(allow)), "deny": str(int(deny))}

    return [
        overwrite(guild_id, ROLE, deny=HIDDEN),
        overwrite(buyer_id, MEMBER, PARTICIPANT),
        overwrite(bot_id, MEMBER, BOT),
        *(overwrite(role_id, ROLE, PARTICIPANT) for role_id in seller_role_ids if role_id != guild_id),
    ]


def children(channels: Iterable[Channel]) -> dict[int, int]:
    """How many channels each category holds, counted from Discord's own channel list."""
    counts: dict[int, int] = {}
    for channel in channels:
        parent = channel.get("parent_id")
        if parent:
            counts[int(parent)] = counts.get(int(parent), 0) + 1
    return counts


def category_with_room(channels: list[Channel], category_ids: Iterable[int]) -> int | None:
    """The first of the store's categories (in its order) that still exists and has room."""
    present = {int(c["id"]) for c in channels if c.get("type") == CATEGORY}
    held = children(channels)
    return next((c for c in category_ids if c in present and held.get(c, 0) < CATEGORY_LIMIT), None)


def overflow_name(category_ids: list[int]) -> str:
    """The name of the next category the bot opens when the store's are full."""
    return f"tickets-{len(category_ids) + 1}"


def unrecorded_overflow(channels: Iterable[Channel], category_ids: list[int]) -> int | None:
    """A category the bot made but did not record (it stopped in between): used, not made twice."""
    name = overflow_name(category_ids)
    return next(
        (
            int(c["id"])
            for c in channels
            if c.get("type") == CATEGORY and c.get("name") == name and int(c["id"]) not in category_ids
        ),
        None,
    )
