"""The few Discord REST calls the dashboard makes: OAuth2 endpoints, the user's guilds, and
with the bot's token a guild's channels and a member's roles. Points at the sandbox when
`STORE_DISCORD_API_BASE_URL` is set."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from models.settings import get_settings

DISCORD_API = "https://discord.com/api/v10"
TEXT_CHANNEL, CATEGORY = 0, 4


def api_base() -> str:
    return (get_settings().discord_api_base_url or DISCORD_API).rstrip("/")


def authorize_url() -> str:
    base = api_base()
    site = base[: base.index("/api")] if "/api" in base else base
    return f"{site}/oauth2/authorize"


def token_url() -> str:
    return f"{api_base()}/oauth2/token"


@dataclass(frozen=True)
class Channel:
    id: int
    name: str
    type: int
    parent_id: int | None


def _bot_headers() -> dict[str, str]:
    return {"Authorization": f"Bot {get_settings().discord_token.get_secret_value()}"}


async def guild_channels(guild_id: int) -> list[Channel]:
    """The guild's channels as the bot sees them (empty when Discord cannot be reached)."""
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            response = await http.get(f"{api_base()}/guilds/{guild_id}/channels", headers=_bot_headers())
        if response.status_code != 200:
            return []
        return [
            Channel(
                int(c["id"]),
                c.get("name", ""),
                int(c.get("type", 0)),
                int(c["parent_id"]) if c.get("parent_id") else None,
            )
            for c in response.json()
        ]
    except (httpx.HTTPError, ValueError, KeyError):
        return []


async def member_roles(http: httpx.AsyncClient, guild_id: int, user_id: int) -> list[int]:
    """The user's role ids in a guild, read with the bot's token ([] when not a member)."""
    response = await http.get(f"{api_base()}/guilds/{guild_id}/members/{user_id}", headers=_bot_headers())
    if response.status_code != 200:
        return []
    return [int(r) for r in response.json().get("roles", [])]
