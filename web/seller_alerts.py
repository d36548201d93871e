"""Telling a store's sellers, in its log channel, about money a webhook could not use.

Posted from the web process over REST with the bot's token, once per payment: the alert is
sent only when the payment is first recorded (a repeated notification is a duplicate), and its
nonce is derived from the payment (resources/message.mdx "Create Message": `enforce_nonce`).
The log channel must be one of the store's own guild: it is fetched first (GET /channels/{id}
carries `guild_id`, resources/channel.mdx) and a channel of another guild gets nothing.
"""

from __future__ import annotations

import hashlib
import logging

import httpx

from models.settings import get_settings
from models.store import Store
from web import discord_api

log = logging.getLogger(__name__)

# channel id -> its guild id, as Discord said: a channel never moves to another guild.
_channel_guilds: dict[int, int | None] = {}


async def channel_guild(http: httpx.AsyncClient, channel_id: int, headers: dict[str, str]) -> int | None:
    """The guild a channel belongs to (None for a DM or an unknown channel), fetched once."""
    if channel_id not in _channel_guilds:
        response = await http.get(f"{discord_api.api_base()}/channels/{channel_id}", headers=headers)
        if response.status_code != 200:
            return None  # not cached: the channel may come back, or Discord was down
        guild = response.json().get("guild_id")
        _channel_guilds[channel_id] = int(guild) if guild else None
    return _channel_guilds[channel_id]


async def alert(store: Store, content: str, key: str) -> bool:
    """Post `content` in the store's log channel; True when Discord took it. `key` names the
    event (one alert per key)."""
    token = get_settings().discord_token.get_secret_value()
    if not store.log_channel_id or not token:
        log.info("store %s: no log channel or no bot token; alert kept on the dashboard only", store.guild_id)
        return False
    headers = {"Authorization": f"Bot {token}"}
    nonce = "k" + hashlib.sha256(key.encode()).hexdigest()[:24]
    try:
        async with discord_api.bot_client() as http:  # the bot token's shared request budget
            if await channel_guild(http, store.log_channel_id, headers) != store.guild_id:
                log.warning(
                    "store %s: log channel %s is not in the store's guild; alert refused",
                    store.guild_id,
                    store.log_channel_id,
                )
                return False
            response = await http.post(
                f"{discord_api.api_base()}/channels/{store.log_channel_id}/messages",
                headers=headers,
                json={"content": content[:2000], "nonce": nonce, "enforce_nonce": True},
            )
        if response.status_code >= 300:
            log.warning("store %s: Discord refused the alert (%s)", store.guild_id, response.status_code)
        return response.status_code < 300
    except httpx.HTTPError as error:
        log.warning("store %s: alert not sent, Discord unreachable: %s", store.guild_id, error)
        return False
