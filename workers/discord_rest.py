"""`DiscordActions` over Discord's REST API with the bot token: what workers use in production.

Built on py-cord's HTTP client logged in without a gateway connection: it follows Discord's
rate-limit buckets and retries 429s itself, so a burst of deliveries queues politely instead of
failing; with a `RequestBudget` it also shares the bot token's global and per-route limits with
every other process (`workers.discord_budget`). Errors are mapped onto the interface's: closed
DMs (50007) → DMsClosed; other refusals (403, 404, 400) → DiscordRejected, not retried;
outages and timeouts → DiscordUnavailable, retried with backoff by the worker.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable
from typing import Any, TypeVar

import aiohttp
import discord
from discord.http import HTTPClient, Route

from workers.discord import (
    ChannelOutsideStore,
    DiscordRejected,
    DiscordUnavailable,
    DMsClosed,
    OutgoingMessage,
)
from workers.discord_budget import RequestBudget, share_budget

T = TypeVar("T")

DM_CLOSED = 50007
# opcodes-and-status-codes.mdx, "JSON Error Codes": 40003 "You are opening direct messages too
# fast". A brake on a burst, not a refusal of this buyer: worth retrying a little later.
OPENING_DMS_TOO_FAST = 40003


def point_at(api_base_url: str) -> None:
    """Send py-cord's REST calls to `api_base_url` (the sandbox), for the whole process."""
    if api_base_url:
        Route.API_BASE_URL = api_base_url.rstrip("/")


def _is_discord_json(error: discord.HTTPException) -> bool:
    """Discord's own refusal (a JSON body), as opposed to a proxy's HTML page."""
    return error.response.content_type == "application/json"


class RestDiscord:
    """Discord over REST.

    Parameters:
      token: the bot token.
      budget: the request budget this token shares with every other process
        (`workers.discord_budget`); None: py-cord's in-process limits only.
    """

    def __init__(self, token: str, budget: RequestBudget | None = None) -> None:
        self.token = token
        self.http = HTTPClient()
        self.budget = budget
        if budget is not None:
            share_budget(self.http, budget)
        self._logged_in = False
        self._login_lock = asyncio.Lock()
        self._user_id: int | None = None
        self._guild_channels: dict[int, set[int]] = {}

    async def _login(self) -> None:
        # One login for the coroutines that start together: each static_login opens an aiohttp
        # session of its own, and the others would never be closed.
        async with self._login_lock:
            if not self._logged_in:
                me = await self.http.static_login(self.token)
                self._user_id = int(me["id"])
                self._logged_in = True

    async def _call(self, request: Awaitable[T]) -> T:
        if not self._logged_in:
            await self._login()
        try:
            return await request
        except discord.Forbidden as error:
            if error.code == DM_CLOSED:
                raise DMsClosed(str(error)) from error
            if error.code == OPENING_DMS_TOO_FAST or not _is_discord_json(error):
                # The DM brake, or Cloudflare restricting the client after too many invalid
                # requests (rate-limits.mdx, "Invalid Request Limit"): both pass with time.
                raise DiscordUnavailable(str(error)) from error
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

    async def post(self, channel_id: int, message: OutgoingMessage, *, guild_id: int | None = None) -> int:
        if guild_id is not None and not await self._in_guild(guild_id, channel_id):
            raise ChannelOutsideStore(f"channel {channel_id} is not a channel of server {guild_id}")
        return await self._send(channel_id, message)

    async def _in_guild(self, guild_id: int, channel_id: int) -> bool:
        """Whether `channel_id` is one of the guild's channels (Get Guild Channels lists them
        all, also those the bot may not view). A channel never moves to another guild, so a
        channel seen once is known for good; an unknown one makes the list be read again."""
        known = self._guild_channels.setdefault(guild_id, set())
        if channel_id not in known:
            known.update(int(c["id"]) for c in await self.guild_channels(guild_id))
        return channel_id in known

    async def channel_name(self, guild_id: int, channel_id: int) -> str | None:
        """A guild channel's name, from the guild's channel list (which, unlike Get Channel,
        also answers for a channel the bot may not view)."""
        channels = await self.guild_channels(guild_id)
        return next((c["name"] for c in channels if int(c["id"]) == channel_id), None)

    async def bot_user_id(self) -> int:
        """The bot's own user id (GET /users/@me, resources/user.mdx; known once logged in)."""
        if self._user_id is None:
            me = await self._call(self.http.request(Route("GET", "/users/@me")))
            self._user_id = int(me["id"])
        return self._user_id

    async def guild_channels(self, guild_id: int) -> list[dict[str, Any]]:
        """Every channel of a guild, with topics, parents and overwrites (resources/guild.mdx
        "Get Guild Channels")."""
        return [dict(c) for c in await self._call(self.http.get_all_guild_channels(guild_id))]

    async def create_channel(self, guild_id: int, kind: int, **fields: Any) -> dict[str, Any]:
        """A new guild channel (resources/guild.mdx "Create Guild Channel": name, parent_id,
        topic, permission_overwrites)."""
        return dict(await self._call(self.http.create_channel(guild_id, kind, **fields)))  # type: ignore[arg-type]

    async def edit_interaction_reply(self, application_id: int, token: str, content: str) -> None:
        """Edit the first answer to an interaction (interactions/receiving-and-responding.mdx
        "Edit Original Interaction Response"; the token is valid for 15 minutes, after which
        Discord refuses with 401 50027, a DiscordRejected here)."""
        await self._call(self.http.edit_original_interaction_response(application_id, token, content=content))

    async def edit_message(
        self, channel_id: int, message_id: int, content: str, components: list[dict[str, Any]]
    ) -> None:
        """Replace a message's text and components (resources/message.mdx "Edit Message": an
        empty `components` array removes its buttons)."""
        edit = self.http.edit_message(channel_id, message_id, content=content, components=components)
        await self._call(edit)

    async def add_member_role(self, guild_id: int, user_id: int, role_id: int, reason: str) -> None:
        """resources/guild.mdx "Add Guild Member Role" (needs Manage Roles and the role below
        the bot's highest role, else 403 50013)."""
        await self._call(self.http.add_role(guild_id, user_id, role_id, reason=reason))

    async def remove_member_role(self, guild_id: int, user_id: int, role_id: int, reason: str) -> None:
        """resources/guild.mdx "Remove Guild Member Role" (the same rules as adding one)."""
        await self._call(self.http.remove_role(guild_id, user_id, role_id, reason=reason))

    async def guild(self, guild_id: int) -> dict[str, Any]:
        """The guild object (resources/guild.mdx "Get Guild"): its owner and roles, positions
        included."""
        return dict(await self._call(self.http.get_guild(guild_id)))

    async def member(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """A guild member object (resources/guild.mdx "Get Guild Member"): their role ids."""
        return dict(await self._call(self.http.get_member(guild_id, user_id)))

    async def delete_channel(self, channel_id: int) -> None:
        try:
            await self._call(self.http.delete_channel(channel_id))
        except DiscordRejected as error:
            if isinstance(error.__cause__, discord.NotFound):
                return  # already gone: deleting is idempotent
            raise

    async def close(self) -> None:
        await self.http.close()
        if self.budget is not None:
            await self.budget.close()
