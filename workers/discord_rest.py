"""`DiscordActions` over Discord's REST API with the bot token: what workers use in production.

Built on py-cord's HTTP client logged in without a gateway connection: it follows Discord's
rate-limit buckets and retries 429s itself, so a burst of deliveries queues politely instead of
failing. Errors are mapped onto the interface's: closed DMs (50007) → DMsClosed; other refusals
(403, 404, 400) → DiscordRejected, not retried; outages and timeouts → DiscordUnavailable,
retried with backoff by the worker.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable
from typing import Any, TypeVar

import aiohttp
import discord
from discord.http import HTTPClient, Route

from workers.discord import DiscordRejected, DiscordUnavailable, DMsClosed, OutgoingMessage

T = TypeVar("T")

DM_CLOSED = 50007


def point_at(api_base_url: str) -> None:
    """Send py-cord's REST calls to `api_base_url` (the sandbox), for the whole process."""
    if api_base_url:
        Route.API_BASE_URL = api_base_url.rstrip("/")


class RestDiscord:
    """Discord over REST.

    Parameters:
      token: the bot token.
    """

    def __init__(self, token: str) -> None:
        self.token = token
        self.http = HTTPClient()
        self._logged_in = False

    async def _call(self, request: Awaitable[T]) -> T:
        if not self._logged_in:
            await self.http.static_login(self.token)
            self._logged_in = True
        try:
            return await request
        except discord.Forbidden as error:
            if error.code == DM_CLOSED:
                raise DMsClosed(str(error)) from error
            raise DiscordRejected(str(error)) from error
        except discord.DiscordServerError as error:
            raise DiscordUnavailable(str(error)) from error
        except discord.HTTPException as error:
            if error.status == 429:
                raise DiscordUnavailable(str(error)) from error
            raise DiscordRejected(str(error)) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DiscordUnavailable(f"Discord unreachable: {error}") from error

    async def _send(self, channel_id: int, message: OutgoingMessage) -> int:
        options: dict[str, Any] = {
            "embeds": message.embeds or None,
            "components": message.components or None,
            "nonce": message.nonce,
            "enforce_nonce": bool(message.nonce),
        }
        if message.files:
            files = [discord.File(io.BytesIO(f.data), filename=f.filename) for f in message.files]
            try:
                data = await self._call(
                    self.http.send_files(channel_id, files=files, content=message.content or None, **options)
                )
            finally:
                for file in files:
                    file.close()
        else:
            data = await self._call(self.http.send_message(channel_id, message.content or None, **options))
        return int(data["id"])

    async def send_dm(self, user_id: int, message: OutgoingMessage) -> int:
        channel = await self._call(self.http.start_private_message(user_id))
        return await self._send(int(channel["id"]), message)

    async def post(self, channel_id: int, message: OutgoingMessage) -> int:
        return await self._send(channel_id, message)

    async def channel_name(self, guild_id: int, channel_id: int) -> str | None:
        """A guild channel's name, from the guild's channel list (which, unlike Get Channel,
        also answers for a channel the bot may not view)."""
        channels = await self._call(self.http.get_all_guild_channels(guild_id))
        return next((c["name"] for c in channels if int(c["id"]) == channel_id), None)

    async def delete_channel(self, channel_id: int) -> None:
        try:
            await self._call(self.http.delete_channel(channel_id))
        except DiscordRejected as error:
            if isinstance(error.__cause__, discord.NotFound):
                return  # already gone: deleting is idempotent
            raise

    async def close(self) -> None:
        await self.http.close()
