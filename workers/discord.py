"""The Discord side effects workers need, behind one small interface.

Workers never talk to the bot process: they call Discord's REST API directly (the bot issue
implements `DiscordActions` over REST with the bot token). `RecordingDiscord` implements it
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


class DiscordError(Exception):
    """Discord refused or failed a request."""


class DiscordUnavailable(DiscordError):
    """Discord is down, slow or rate limiting us: worth retrying later."""


class DiscordRejected(DiscordError):
    """Discord refused for good (missing access, unknown channel): retrying will not help."""


class DMsClosed(DiscordRejected):
    """The user does not accept direct messages from the bot (Discord error 50007)."""


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

    async def post(self, channel_id: int, message: OutgoingMessage) -> int:
        """Post in a channel; returns the message id."""
        ...

    async def delete_channel(self, channel_id: int) -> None:
        """Delete a channel; deleting one that is already gone is not an error."""
        ...

    async def close(self) -> None: ...


class RecordingDiscord:
    """Records every action in Redis under `<namespace>:discord:*` instead of sending it.

    Parameters:
      redis: an asyncio Redis client.
      namespace: key prefix (one per store or per test).

    Tests steer it through Redis: user ids in `:dm_closed` have their DMs closed; an action
    named in the `:hold` hash (e.g. "send_dm:before") announces itself on the `:held` list and
    waits until the field is removed, so a test can kill a worker at exactly that point.
    """

    def __init__(self, redis: Redis, namespace: str) -> None:
        self.redis = redis
        self.key = f"{namespace}:discord"

    async def _hold(self, point: str) -> None:
        if not await self.redis.hexists(f"{self.key}:hold", point):
            return
        await self.redis.rpush(f"{self.key}:held", point)
        while await self.redis.hexists(f"{self.key}:hold", point):
            await asyncio.sleep(0.02)

    async def _record(self, kind: str, target: int, message: OutgoingMessage) -> int:
        if message.nonce:
            # enforce_nonce: the same nonce to the same target returns the first message.
            existing = await self.redis.hget(f"{self.key}:nonces", f"{target}:{message.nonce}")
            if existing is not None:
                return int(existing)
        message_id = int(await self.redis.incr(f"{self.key}:next_id")) + 10**17
        if message.nonce:
            first = await self.redis.hsetnx(f"{self.key}:nonces", f"{target}:{message.nonce}", message_id)
            if not first:
                return int(await self.redis.hget(f"{self.key}:nonces", f"{target}:{message.nonce}"))
        record = {
            "kind": kind,
            "target": target,
            "id": message_id,
            "content": message.content,
            "embeds": message.embeds,
            "components": message.components,
            "files": [
                {"filename": f.filename, "size": len(f.data), "sha256": hashlib.sha256(f.data).hexdigest()}
                for f in message.files
            ],
            "nonce": message.nonce,
        }
        await self.redis.rpush(f"{self.key}:actions", json.dumps(record))
        return message_id

    async def send_dm(self, user_id: int, message: OutgoingMessage) -> int:
        await self._hold("send_dm:before")
        if await self.redis.sismember(f"{self.key}:dm_closed", str(user_id)):
            raise DMsClosed(f"user {user_id} does not accept direct messages (50007)")
        message_id = await self._record("dm", user_id, message)
        await self._hold("send_dm:after")
        return message_id

    async def post(self, channel_id: int, message: OutgoingMessage) -> int:
        await self._hold("post:before")
        return await self._record("post", channel_id, message)

    async def delete_channel(self, channel_id: int) -> None:
        await self.redis.rpush(f"{self.key}:actions", json.dumps({"kind": "delete_channel", "target": channel_id}))

    async def close(self) -> None:
        await self.redis.aclose()


async def recorded_actions(redis: Redis, namespace: str) -> list[dict[str, Any]]:
    """Everything a RecordingDiscord recorded, oldest first."""
    return [json.loads(raw) for raw in await redis.lrange(f"{namespace}:discord:actions", 0, -1)]
