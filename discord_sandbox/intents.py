"""Gateway intents: which ones a bot may ask for, and what each connection then receives.

From Discord's developer docs, events/gateway.mdx
(https://discord.com/developers/docs/events/gateway):
- "Gateway Intents": IDENTIFY must name its intents; invalid ones close the socket with 4013,
  a privileged one the app has not enabled with 4014 (topics/opcodes-and-status-codes.mdx,
  "Gateway Close Event Codes").
- "List of Intents": the bits and the events each one carries.
- "Privileged Intents": GUILD_PRESENCES, GUILD_MEMBERS and MESSAGE_CONTENT are enabled per
  application in the Developer Portal; READY's `application.flags` shows them as the
  GATEWAY_* flags of resources/application.mdx "Application Flags" (the `_LIMITED` ones for
  a bot in fewer than 100 servers, which every sandbox bot is).
- "Message Content Intent": without it, `content`, `embeds`, `attachments`, `components` and
  `poll` arrive empty, except in messages the app sent, in DMs with it and where it is mentioned.
"""

from __future__ import annotations

import re
from typing import Any

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT
# Every bit of "List of Intents"; any other bit is an invalid intent (4013).
KNOWN = sum(1 << bit for bit in (*range(17), 20, 21, 24, 25))

# resources/application.mdx "Application Flags": the portal toggles of a bot in < 100 servers.
GATEWAY_PRESENCE_LIMITED = 1 << 13
GATEWAY_GUILD_MEMBERS_LIMITED = 1 << 15
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19
_APPLICATION_FLAG = {
    GUILD_PRESENCES: GATEWAY_PRESENCE_LIMITED,
    GUILD_MEMBERS: GATEWAY_GUILD_MEMBERS_LIMITED,
    MESSAGE_CONTENT: GATEWAY_MESSAGE_CONTENT_LIMITED,
}

INVALID_INTENTS = 4013
DISALLOWED_INTENTS = 4014

# The events the sandbox sends, by the intent that carries them in a guild ("List of Intents").
_GUILD_EVENT_INTENT = {
    "GUILD_CREATE": GUILDS,
    "CHANNEL_CREATE": GUILDS,
    "CHANNEL_DELETE": GUILDS,
    "GUILD_ROLE_UPDATE": GUILDS,
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": GUILD_MEMBERS,
    "MESSAGE_CREATE": GUILD_MESSAGES,
    "MESSAGE_UPDATE": GUILD_MESSAGES,
    "MESSAGE_DELETE": GUILD_MESSAGES,
}
_DM_EVENT_INTENT = dict.fromkeys(("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE"), DIRECT_MESSAGES)
_CONTENT_FIELDS = ("content", "embeds", "attachments", "components", "poll")


def refusal(intents: Any, enabled: int) -> tuple[int, str] | None:
    """The close code and reason for IDENTIFY's `intents`, or None when the bot may have them.

    `enabled`: the privileged intents the application has switched on. A missing `intents`
    is refused as invalid: on API v8 and later "all intents ... must be specified".
    """
    if isinstance(intents, bool) or not isinstance(intents, int) or intents < 0 or intents & ~KNOWN:
        return INVALID_INTENTS, "Invalid intent(s)."
    if intents & PRIVILEGED & ~enabled:
        return DISALLOWED_INTENTS, "Disallowed intent(s)."
    return None


def application_flags(enabled: int) -> int:
    """READY's `application.flags` for an app with these privileged intents enabled."""
    return sum(flag for intent, flag in _APPLICATION_FLAG.items() if enabled & intent)


def receives(event: str, data: dict[str, Any], intents: int) -> bool:
    """Whether a connection identified with `intents` gets this dispatch at all."""
    in_guild = data.get("guild_id") is not None or event == "GUILD_CREATE"
    needed = (_GUILD_EVENT_INTENT if in_guild else _DM_EVENT_INTENT).get(event)
    return needed is None or bool(intents & needed)


def as_seen_by(event: str, data: dict[str, Any], bot_id: int, intents: int) -> dict[str, Any]:
    """`data` as a bot with `intents` receives it: message content emptied without
    MESSAGE_CONTENT, except in its own messages, in DMs and where it is mentioned."""
    if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or intents & MESSAGE_CONTENT:
        return data
    if data.get("guild_id") is None or str((data.get("author") or {}).get("id")) == str(bot_id):
        return data
    mentioned = any(str(u.get("id")) == str(bot_id) for u in data.get("mentions") or [])
    if mentioned or re.search(rf"<@!?{bot_id}>", str(data.get("content") or "")):
        return data
    return {**data, **{k: ("" if k == "content" else []) for k in _CONTENT_FIELDS if k in data}}


def guild_members(members: list[dict[str, Any]], bot_id: int, intents: int) -> list[dict[str, Any]]:
    """GUILD_CREATE's `members`: events/gateway-events.mdx "Request Guild Members": "if you
    don't have the GUILD_PRESENCES Gateway Intent ... it will only send members who are in
    voice, plus the member for you" (the sandbox has no voice)."""
    if intents & GUILD_PRESENCES:
        return members
    return [m for m in members if str(m["user"]["id"]) == str(bot_id)]
