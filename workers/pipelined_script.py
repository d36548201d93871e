"""A Redis Lua script whose concurrent calls share one round trip.

A worker's actors run together on one event loop; each Redis call made on its own costs a
round trip (two system calls on each side). Calls made while another batch is on its way are
sent together as one pipeline when it returns (`models.coalescer`), so a busy worker
sends few large pipelines and an idle one sends each call at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from models.coalescer import Coalescer

Call = tuple[tuple[Any, ...], tuple[Any, ...]]


class PipelinedScript:
    """`await script(keys, args)` runs the Lua `source` like `EVALSHA`; concurrent calls go in
    one pipeline. A call that fails raises its own error; the others are unaffected. If Redis
    forgot the script (a restart), it is loaded again and the calls that missed it re-sent.

    Parameters:
      redis: an asyncio client, used on one event loop.
      source: the script's Lua source.
    """

    def __init__(self, redis: Redis, source: str | bytes) -> None:
        self.redis = redis
        self.source = source
        self.sha = hashlib.sha1(source.encode() if isinstance(source, str) else source).hexdigest()
        self._calls: Coalescer[Call, Any] = Coalescer(self._run)

    async def __call__(self, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        return await self._calls.submit((tuple(keys), tuple(args)))

    async def _run(self, calls: list[Call]) -> list[Any]:
        results = await self._send(calls)
        missed = [i for i, result in enumerate(results) if isinstance(result, NoScriptError)]
        if missed:
            await self.redis.script_load(self.source)
            for i, result in zip(missed, await self._send([calls[i] for i in missed]), strict=True):
                results[i] = result
        return results

    async def _send(self, calls: list[Call]) -> list[Any]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for keys, args in calls:
                pipe.evalsha(self.sha, len(keys), *keys, *args)
            return list(await pipe.execute(raise_on_error=False))
