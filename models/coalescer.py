"""Coalescing: concurrent requests of one event loop go out as one batch.

Nothing waits on purpose. When no batch is in flight, a request is sent on the next turn of
the event loop (with whatever else was queued in that turn); while one is in flight, requests
gather and go as the next batch when it returns. An idle process therefore sends single
requests at once, and a busy one sends them in batches that grow with the load.

Used for MongoDB commands (`models.batch`) and Redis scripts (`workers.pipelined_script`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Request = TypeVar("Request")
Result = TypeVar("Result")

MAX_BATCH = 256


class Coalescer(Generic[Request, Result]):
    """Runs `run(requests)` for batches of concurrent requests; one batch in flight at a time.

    `run` returns one result per request, in order, or an exception instance for a request
    that failed on its own (raised to that caller only). If `run` itself raises, every caller
    of the batch gets the error.
    """

    def __init__(self, run: Callable[[list[Request]], Awaitable[Sequence[Result | BaseException]]]) -> None:
        self._run = run
        self._pending: list[tuple[Request, asyncio.Future[Result]]] = []
        self._busy = False

    async def submit(self, request: Request) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if not self._busy:
            self._busy = True
            asyncio.get_running_loop().call_soon(self._send)
        return await future

    def _send(self) -> None:
        batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
        if not batch:
            self._busy = False
            return
        asyncio.get_running_loop().create_task(self._complete(batch))

    async def _complete(self, batch: list[tuple[Request, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._run([request for request, _ in batch])
        except BaseException as error:  # handed to every caller of the batch
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            if not isinstance(error, Exception):
                raise
        else:
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue  # the caller was cancelled
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)
        finally:
            self._send()
