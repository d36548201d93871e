"""The sandbox's world: users, guilds, roles, channels, messages and interactions, with the
limits and permission rules of Discord that our users would feel."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

# topics/permissions.mdx "Bitwise Permission Flags".
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
MANAGE_ROLES = 1 << 28
ALL_PERMISSIONS = (1 << 50) - 1
# What @everyone may do in a new guild, for the text channels we model (Discord's default
# also has invites, voice, nicknames...): people can post files and links in a new server.
DEFAULT_EVERYONE = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | EMBED_LINKS
    | ATTACH_FILES
    | USE_EXTERNAL_EMOJIS
)
# interactions/receiving-and-responding.mdx, Interaction Structure, note on `app_permissions`:
# in a DM with the bot it holds what anyone may do in a DM, plus these.
DM_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | ATTACH_FILES
    | EMBED_LINKS
    | MENTION_EVERYONE
    | USE_EXTERNAL_EMOJIS
)

CHANNELS_PER_CATEGORY = 50
CHANNELS_PER_GUILD = 500
INTERACTION_DEADLINE_S = 3.0

_ids = itertools.count(1_300_000_000_000_000_000)


def snowflake() -> int:
    return next(_ids)


DISCORD_EPOCH_MS = 1_420_070_400_000
_last_message_id = 0


def message_snowflake() -> int:
    """A message's id as Discord makes it: milliseconds since Discord's epoch in the top 42 bits
    (reference.mdx, "Snowflakes"), so a bot's `message.created_at` (read from the id) is the
    time it was sent; increasing, and above every id handed out so far."""
    global _last_message_id
    timed = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
    _last_message_id = max(_last_message_id + 1, timed, next(_ids))
    return _last_message_id


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
    topic: str | None = None  # resources/channel.mdx: 0-1024 characters (text channels)

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
            topic=self.topic,
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
    # resources/message.mdx "Message Interaction Metadata Object": on a message sent in answer
    # to an interaction (who triggered it), so a client shows an ephemeral answer to them only.
    interaction_metadata: dict[str, Any] | None = None

    def _embeds_json(self, base_url: str) -> list[dict[str, Any]]:
        """The embeds as Discord returns them: an `attachment://name` URL (reference.mdx
        "Uploading Files", "Using Attachments within Embeds") is the attachment's CDN URL,
        so a client can show the image."""
        urls = {a.filename: a.to_json(base_url, self.channel_id)["url"] for a in self.attachments}
        if not urls:
            return self.embeds
        resolved = []
        for embed in self.embeds:
            embed = dict(embed)
            for part, key in (
                ("image", "url"),
                ("thumbnail", "url"),
                ("author", "icon_url"),
                ("footer", "icon_url"),
            ):
                found = embed.get(part)
                if isinstance(found, dict) and isinstance(found.get(key), str):
                    name = found[key].removeprefix("attachment://")
                    if found[key].startswith("attachment://") and name in urls:
                        url = urls[name]
                        proxy = "proxy_icon_url" if key == "icon_url" else "proxy_url"
                        embed[part] = {**found, key: url, proxy: url}
            resolved.append(embed)
        return resolved

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
            "embeds": self._embeds_json(base_url),
            "components": self.components,
            "pinned": False,
            "type": 0,
            "flags": self.flags,
        }
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
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

    def rest_json(self) -> dict[str, Any]:
        """The guild object of GET /guilds/{id} (resources/guild.mdx "Guild Object"): owner
        and roles, so a client can compute permissions; members and channels come from their
        own routes, as on Discord."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.to_json() for r in self.roles.values()],
            "emojis": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "stickers": [],
            "premium_progress_bar_enabled": False,
            "safety_alerts_channel_id": None,
        }

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
    kind: int = 3  # receiving-and-responding.mdx "Interaction Type": 3 component, 5 modal submit
    response_type: int | None = None
    responded_at: float | None = None  # sandbox clock, for how fast a bot acknowledges
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


def highest_role_position(guild: Guild, user_id: int) -> int:
    """topics/permissions.mdx "Permission Hierarchy": a member's highest role is the one with
    the greatest position, @everyone being 0."""
    member = guild.members.get(user_id)
    roles = [guild.roles[r] for r in (member.roles if member else []) if r in guild.roles]
    return max((r.position for r in roles), default=0)


def permissions(guild: Guild, channel: Channel | None, user_id: int) -> int:
    """Discord's permission computation (topics/permissions.mdx "Permission Overwrites"):
    base from @everyone and the member's roles, then the channel's overwrites in order
    (@everyone, roles, member); the owner and administrators have everything."""
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
