"""The sandbox's world: users, guilds, roles, channels, messages and interactions, with the
limits and permission rules of Discord that our users would feel."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ALL_PERMISSIONS = (1 << 50) - 1
DEFAULT_EVERYONE = VIEW_CHANNEL | SEND_MESSAGES | (1 << 16)  # view, send, read history

CHANNELS_PER_CATEGORY = 50
CHANNELS_PER_GUILD = 500
INTERACTION_DEADLINE_S = 3.0

_ids = itertools.count(1_300_000_000_000_000_000)


def snowflake() -> int:
    return next(_ids)


def iso(at: float | None = None) -> str:
    return datetime.fromtimestamp(at or time.time(), UTC).isoformat()


class DiscordError(Exception):
    """An API error as Discord returns it: HTTP status, error code, message."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    dms_open: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.username,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class Role:
    id: int
    name: str
    permissions: int = 0
    position: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass
class Channel:
    id: int
    type: int  # 0 text, 1 DM, 4 category
    name: str = ""
    guild_id: int | None = None
    parent_id: int | None = None
    position: int = 0
    overwrites: list[Overwrite] = field(default_factory=list)
    recipient_id: int | None = None

    def to_json(self, users: dict[int, User] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"id": str(self.id), "type": self.type, "last_message_id": None, "flags": 0}
        if self.type == 1:
            recipient = (users or {}).get(self.recipient_id or 0)
            data["recipients"] = [recipient.to_json()] if recipient else []
            return data
        data.update(
            guild_id=str(self.guild_id),
            name=self.name,
            position=self.position,
            parent_id=str(self.parent_id) if self.parent_id else None,
            permission_overwrites=[o.to_json() for o in self.overwrites],
            nsfw=False,
            topic=None,
            rate_limit_per_user=0,
        )
        return data


@dataclass
class Attachment:
    id: int
    filename: str
    content_type: str
    data: bytes

    def to_json(self, base_url: str, channel_id: int) -> dict[str, Any]:
        # The name is one path segment of the URL, however odd ("../x"): percent-encoded.
        url = f"{base_url}/attachments/{channel_id}/{self.id}/{quote(self.filename, safe='')}"
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": url,
            "proxy_url": url,
            "content_type": self.content_type,
        }


@dataclass
class Message:
    id: int
    channel_id: int
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    nonce: str | None = None
    created: float = field(default_factory=time.time)
    edited: float | None = None
    interaction_id: int | None = None

    def to_json(self, base_url: str, guild_id: int | None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.to_json(),
            "content": self.content,
            "timestamp": iso(self.created),
            "edited_timestamp": iso(self.edited) if self.edited else None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [a.to_json(base_url, self.channel_id) for a in self.attachments],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "type": 0,
            "flags": self.flags,
        }
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return data


@dataclass
class Member:
    user: User
    roles: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "user": self.user.to_json(),
            "roles": [str(r) for r in self.roles],
            "joined_at": iso(),
            "deaf": False,
            "mute": False,
            "nick": None,
            "flags": 0,
        }


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)

    def to_json(self, channels: list[Channel]) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "owner_id": str(self.owner_id),
            "roles": [r.to_json() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "member_count": len(self.members),
            "members": [m.to_json() for m in self.members.values()],
            "channels": [c.to_json() for c in channels],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "large": False,
            "unavailable": False,
            "joined_at": iso(),
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
        }


@dataclass
class Interaction:
    id: int
    token: str
    application_id: int
    user_id: int
    channel_id: int
    guild_id: int | None
    message_id: int | None
    created: float = field(default_factory=time.monotonic)
    response_type: int | None = None
    original_message_id: int | None = None
    late: bool = False
    followed_up: bool = False
    deadline_s: float = INTERACTION_DEADLINE_S
    # interactions/receiving-and-responding.mdx "Followup Messages": tokens last 15 minutes.
    token_lifetime_s: float = 15 * 60.0

    # `now` and `created` are read on the sandbox clock (clock.py), which tests move forward.
    def past_deadline(self, now: float) -> bool:
        """Too late for the initial response (3 s after the interaction)."""
        return now - self.created > self.deadline_s

    def token_expired(self, now: float) -> bool:
        """Too late for follow-ups and `@original` (15 minutes after the interaction)."""
        return now - self.created > self.token_lifetime_s


def permissions(guild: Guild, channel: Channel | None, user_id: int) -> int:
    """Discord's permission computation: base from roles, then channel overwrites."""
    if user_id == guild.owner_id:
        return ALL_PERMISSIONS
    member = guild.members.get(user_id)
    if member is None:
        return 0
    everyone = guild.roles.get(guild.id)
    base = everyone.permissions if everyone else 0
    for role_id in member.roles:
        if role_id in guild.roles:
            base |= guild.roles[role_id].permissions
    if base & ADMINISTRATOR:
        return ALL_PERMISSIONS
    if channel is None:
        return base
    overwrites = {o.id: o for o in channel.overwrites}
    if guild.id in overwrites:
        base = (base & ~overwrites[guild.id].deny) | overwrites[guild.id].allow
    allow = deny = 0
    for role_id in member.roles:
        if role_id in overwrites:
            allow |= overwrites[role_id].allow
            deny |= overwrites[role_id].deny
    base = (base & ~deny) | allow
    if user_id in overwrites:
        base = (base & ~overwrites[user_id].deny) | overwrites[user_id].allow
    return base


def check_embeds(embeds: list[dict[str, Any]]) -> None:
    """Discord's embed limits (error 50035 Invalid Form Body)."""
    total = 0
    for i, embed in enumerate(embeds):
        title, description = embed.get("title") or "", embed.get("description") or ""
        fields = embed.get("fields") or []
        problems = []
        if len(title) > 256:
            problems.append("title longer than 256")
        if len(description) > 4096:
            problems.append("description longer than 4096")
        if len(fields) > 25:
            problems.append("more than 25 fields")
        for f in fields:
            if len(f.get("name", "")) > 256 or len(f.get("value", "")) > 1024:
                problems.append("field name over 256 or value over 1024")
            total += len(f.get("name", "")) + len(f.get("value", ""))
        total += len(title) + len(description) + len((embed.get("footer") or {}).get("text", ""))
        if problems:
            raise DiscordError(400, 50035, "Invalid Form Body", {f"embeds.{i}": problems})
    if len(embeds) > 10 or total > 6000:
        raise DiscordError(400, 50035, "Invalid Form Body", {"embeds": ["over 10 embeds or 6000 characters"]})


def check_components(rows: list[dict[str, Any]]) -> None:
    """5 action rows of at most 5 buttons; custom_id at most 100 characters."""
    if len(rows) > 5:
        raise DiscordError(400, 50035, "Invalid Form Body", {"components": ["more than 5 action rows"]})
    for row in rows:
        items = row.get("components", [])
        if len(items) > 5:
            raise DiscordError(
                400, 50035, "Invalid Form Body", {"components": ["more than 5 items in a row"]}
            )
        for item in items:
            if len(item.get("custom_id") or "") > 100:
                raise DiscordError(400, 50035, "Invalid Form Body", {"custom_id": ["longer than 100"]})
