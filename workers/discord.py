"""The Discord side effects workers need, behind one small interface.

Workers never talk to the bot process: they call Discord's REST API directly with the bot
token (`RestDiscord`, workers/discord_rest.py). `RecordingDiscord` implements it
by recording into Redis, so tests and the engine-only mode can watch what would be sent.

Every message carries a `nonce`: Discord, with `enforce_nonce`, returns the earlier message
instead of creating a second one when the same nonce is sent again within a few minutes.
That is what makes a delivery re-sent after a worker crash appear once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any, Protocol

from pydantic import BaseModel, Field
from redis.asyncio import Redis

from workers.pipelined_script import PipelinedScript


class DiscordError(Exception):
    """Discord refused or failed a request."""


class DiscordUnavailable(DiscordError):
    """Discord is down, slow or rate limiting us: worth retrying later."""


class DiscordRejected(DiscordError):
    """Discord refused for good (missing access, unknown channel): retrying will not help."""


class DMsClosed(DiscordRejected):
    """The user does not accept direct messages from the bot (Discord error 50007)."""


class ChannelOutsideStore(DiscordRejected):
    """A channel a store's settings name is not one of the store's own server: nothing of the
    store is ever posted there (a seller could otherwise send their transcripts to another
    server's channel)."""


class Attachment(BaseModel):
    filename: str
    content_type: str = "application/octet-stream"
    data: bytes


class OutgoingMessage(BaseModel):
    """A message to post: text, raw embed and component JSON, files, and its de-dup nonce."""

    content: str = ""
    embeds: list[dict[str, Any]] = Field(default_factory=list)
    components: list[dict[str, Any]] = Field(default_factory=list)
    files: list[Attachment] = Field(default_factory=list)
    nonce: str | None = Field(default=None, max_length=25)


class DiscordActions(Protocol):
    """What workers do on Discord."""

    async def send_dm(self, user_id: int, message: OutgoingMessage) -> int:
        """DM a user; returns the message id. Raises DMsClosed when their DMs are closed."""
        ...

    async def post(self, channel_id: int, message: OutgoingMessage, *, guild_id: int | None = None) -> int:
        """Post in a channel; returns the message id. With `guild_id` (a channel from a store's
        settings), the channel must belong to that guild, else ChannelOutsideStore."""
        ...

    async def delete_channel(self, channel_id: int) -> None:
        """Delete a channel; deleting one that is already gone is not an error."""
        ...

    async def edit_message(
        self, channel_id: int, message_id: int, content: str, components: list[dict[str, Any]]
    ) -> None:
        """Replace a posted message's text and components (an empty list removes its buttons)."""
        ...

    async def close(self) -> None: ...


_RECORD = """
-- KEYS: actions, nonces, next_id, dm_closed, hold, requests
-- ARGV: target, nonce, record (JSON with "id": "__ID__"), hold point before, hold point after, is_dm,
--       request name ("post:<channel>", "dm:<user>")
if redis.call('hexists', KEYS[5], ARGV[4]) == 1 then return {-2, 0} end
redis.call('hincrby', KEYS[6], ARGV[7], 1)
if ARGV[6] == '1' and redis.call('sismember', KEYS[4], ARGV[1]) == 1 then return {-1, 0} end
local key = ARGV[1] .. ':' .. ARGV[2]
if ARGV[2] ~= '' then
  local existing = redis.call('hget', KEYS[2], key)
  if existing then return {tonumber(existing), 0} end
end
local id = redis.call('incr', KEYS[3]) + 1000000000000000
if ARGV[2] ~= '' then redis.call('hset', KEYS[2], key, id) end
local record = string.gsub(ARGV[3], '"__ID__"', string.format('%d', id), 1)
redis.call('rpush', KEYS[1], record)
return {id, redis.call('hexists', KEYS[5], ARGV[5])}
"""


class RecordingDiscord:
    """Records every action in Redis under `<namespace>:discord:*` instead of sending it.

    Parameters:
      redis: an asyncio Redis client.
      namespace: key prefix (one per store or per test).

    Tests steer it through Redis: user ids in `:dm_closed` have their DMs closed; an action
    named in the `:hold` hash (e.g. "send_dm:before") announces itself on the `:held` list and
    waits until the field is removed, so a test can kill a worker at exactly that point.
    Each action is one Lua call (nonce check, record, hold check, request count), like one REST request;
    concurrent actions share one Redis round trip (`PipelinedScript`).
    """

    def __init__(self, redis: Redis, namespace: str) -> None:
        self.redis = redis
        self.key = f"{namespace}:discord"
        self._script = PipelinedScript(redis, _RECORD)

    async def _wait_while_held(self, point: str) -> None:
        await self.redis.rpush(f"{self.key}:held", point)
        while await self.redis.hexists(f"{self.key}:hold", point):  # noqa: ASYNC110 (released via Redis)
            await asyncio.sleep(0.02)

    async def _record(self, kind: str, target: int, message: OutgoingMessage) -> int:
        record = json.dumps(
            {
                "kind": kind,
                "target": target,
                "id": "__ID__",
                "content": message.content,
                "embeds": message.embeds,
                "components": message.components,
                "files": [
                    {
                        "filename": f.filename,
                        "size": len(f.data),
                        "sha256": hashlib.sha256(f.data).hexdigest(),
                    }
                    for f in message.files
                ],
                "nonce": message.nonce,
            }
        )
        keys = [f"{self.key}:{k}" for k in ("actions", "nonces", "next_id", "dm_closed", "hold", "requests")]
        while True:
            message_id, hold_after = await self._script(
                keys,
                [
                    target,
                    message.nonce or "",
                    record,
                    f"{kind_point(kind)}:before",
                    f"{kind_point(kind)}:after",
                    "1" if kind == "dm" else "0",
                    f"{kind}:{target}",
                ],
            )
            if message_id == -2:
                await self._wait_while_held(f"{kind_point(kind)}:before")
                continue
            if message_id == -1:
                raise DMsClosed(f"user {target} does not accept direct messages (50007)")
            if hold_after:
                await self._wait_while_held(f"{kind_point(kind)}:after")
            return int(message_id)

    async def send_dm(self, user_id: int, message: OutgoingMessage) -> int:
        return await self._record("dm", user_id, message)

    async def post(self, channel_id: int, message: OutgoingMessage, *, guild_id: int | None = None) -> int:
        return await self._record("post", channel_id, message)

    async def delete_channel(self, channel_id: int) -> None:
        await self.redis.rpush(
            f"{self.key}:actions", json.dumps({"kind": "delete_channel", "target": channel_id})
        )

    async def edit_message(
        self, channel_id: int, message_id: int, content: str, components: list[dict[str, Any]]
    ) -> None:
        record = {"kind": "edit", "target": channel_id, "id": message_id, "content": content}
        await self.redis.rpush(f"{self.key}:actions", json.dumps({**record, "components": components}))

    async def close(self) -> None:
        await self.redis.aclose()


def kind_point(kind: str) -> str:
    """The hold-point prefix of an action kind ("dm" → "send_dm")."""
    return "send_dm" if kind == "dm" else kind


async def recorded_requests(redis: Redis, namespace: str) -> dict[str, int]:
    """How many times each target was sent to ("post:<channel>", "dm:<user>"), counting the
    attempts that Discord's nonce de-duplication (recorded here too) swallowed."""
    counts = await redis.hgetall(f"{namespace}:discord:requests")
    return {k.decode(): int(v) for k, v in counts.items()}


async def recorded_actions(redis: Redis, namespace: str) -> list[dict[str, Any]]:
    """Everything a RecordingDiscord recorded, oldest first."""
    return [json.loads(raw) for raw in await redis.lrange(f"{namespace}:discord:actions", 0, -1)]
