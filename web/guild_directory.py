"""What a guild holds, read from Discord with the bot's token: its channels, categories and
roles. The Settings and Panel pages check every id a seller saves against it, so a store can
only point at its own server (resources/guild.mdx "Get Guild Channels", "Get Guild Roles")."""

from __future__ import annotations

import httpx

from models.settings import get_settings
from web import discord_api
from workflows.store_settings import GuildDirectory


async def read(guild_id: int) -> GuildDirectory | None:
    """The guild's channels and roles as the bot sees them; None when Discord cannot say."""
    headers = {"Authorization": f"Bot {get_settings().discord_token.get_secret_value()}"}
    base = discord_api.api_base()
    try:
        async with discord_api.bot_client() as http:  # the bot token's shared request budget
            channels = await http.get(f"{base}/guilds/{guild_id}/channels", headers=headers)
            roles = await http.get(f"{base}/guilds/{guild_id}/roles", headers=headers)
        if channels.status_code != 200 or roles.status_code != 200:
            return None
        listed = [(int(c["id"]), int(c.get("type", 0))) for c in channels.json()]
        return GuildDirectory(
            guild_id=guild_id,
            text_channel_ids=frozenset(i for i, kind in listed if kind != discord_api.CATEGORY),
            category_ids=frozenset(i for i, kind in listed if kind == discord_api.CATEGORY),
            role_ids=frozenset(int(r["id"]) for r in roles.json()),
        )
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None
