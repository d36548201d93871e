"""Live pages: one change stream per dashboard process tells every open page of a store when
one of its tickets changed.

Why one stream, not one per page: MongoDB wakes every open change stream for every write to
the replica set, matching or not. Measured on 2 cores, each stream cost mongod 80–100 µs per
ticket update, against ~300 µs for the update itself, so three sellers' tabs open made every
sale's writes cost the database ~80 % more. One shared stream costs that once per process,
however many pages are open, and none while no page is.

A page does not refetch once per change either: its wake-up is a flag, so a burst of sales
while the page is fetching costs it one more fetch, not one per sale; and during a rush it
refetches at most every `MIN_GAP_S`, so an open page costs the database a bounded load.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import reflex as rx

from models.ticket import Ticket

log = logging.getLogger(__name__)

CHECK_GONE_S = 0.4  # how often a waiting page checks that its browser is still there
RETRY_S = 1.0  # after the stream broke, before it is opened again
MIN_GAP_S = 0.1  # a page refetches at most 10 times a second, however fast sales come


# The running app, handed over by web/app.py when it builds it (`serve`). The pages cannot
# import web/app.py to find it: web/app.py imports the pages.
_app: rx.App | None = None


def serve(app: rx.App) -> None:
    """Makes `app` the one whose open browser tabs `connected` looks up."""
    global _app
    _app = app


def connected(client_token: str) -> bool:
    """Whether the browser tab with `client_token` is still connected to this process."""
    if _app is None:
        raise RuntimeError("web.live.serve(app) was not called: web/app.py calls it when it builds the app")
    namespace = _app.event_namespace
    return namespace is not None and client_token in namespace.token_to_sid


class TicketChanges:
    """The tickets' change stream of one event loop, shared by the pages waiting on it.

    Parameters:
      collection: the tickets' collection (a client of this loop).
      min_gap_s: the least time between two refetches of one page.
    """

    def __init__(self, collection: Any, min_gap_s: float = MIN_GAP_S) -> None:
        self.collection = collection
        self.min_gap_s = min_gap_s
        self.waiting: dict[int, set[asyncio.Event]] = {}
        self._stream: asyncio.Task[None] | None = None
        self.following = asyncio.Event()  # set while the stream is open
        self.opened = 0  # how many times it was opened

    async def changes(self, guild_id: int, still_wanted: Callable[[], bool]) -> AsyncIterator[None]:
        """Yields after each change (or burst of changes) to the guild's tickets, for as long as
        `still_wanted()` holds. The first yield comes as soon as the stream is open: a page
        loaded its data before it subscribed, and a sale in between must not go unseen."""
        changed = asyncio.Event()
        self.waiting.setdefault(guild_id, set()).add(changed)
        self._ensure_stream()
        awaited, loop, last = self.following, asyncio.get_running_loop(), float("-inf")
        try:
            while still_wanted():
                try:
                    await asyncio.wait_for(awaited.wait(), CHECK_GONE_S)
                except TimeoutError:
                    continue
                if (wait := last + self.min_gap_s - loop.time()) > 0:
                    await asyncio.sleep(wait)  # during a rush: what comes meanwhile joins in
                awaited, last = changed, loop.time()
                changed.clear()
                yield
        finally:
            waiters = self.waiting.get(guild_id, set())
            waiters.discard(changed)
            if not waiters:
                self.waiting.pop(guild_id, None)
            if not self.waiting and self._stream is not None:
                stream, self._stream = self._stream, None
                stream.cancel()  # nobody is looking: the database is not woken for us
                await asyncio.wait([stream])

    def _ensure_stream(self) -> None:
        if self._stream is None or self._stream.done():
            self._stream = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        # Only the guild of each changed ticket comes back (the post-image lookup stays on the
        # server); an update does not carry the guild otherwise.
        pipeline = [{"$project": {"fullDocument.guild_id": 1}}]
        while True:
            try:
                async with await self.collection.watch(pipeline, full_document="updateLookup") as stream:
                    self.opened += 1
                    self.following.set()
                    async for change in stream:
                        guild = (change.get("fullDocument") or {}).get("guild_id")
                        for changed in self.waiting.get(guild, ()):
                            changed.set()
            except asyncio.CancelledError:
                self.following.clear()
                raise
            except Exception:
                self.following.clear()
                log.exception("the tickets' change stream broke; open pages refetch and it reopens")
                for waiters in self.waiting.values():  # a change may have been missed meanwhile
                    for changed in waiters:
                        changed.set()
                await asyncio.sleep(RETRY_S)


_shared: dict[asyncio.AbstractEventLoop, TicketChanges] = {}


def shared() -> TicketChanges:
    """This loop's stream (a dashboard process runs one loop; tests start several)."""
    loop = asyncio.get_running_loop()
    held = _shared.get(loop)
    collection = Ticket.get_pymongo_collection()
    if held is None or held.collection is not collection:
        for old in [old for old in _shared if old.is_closed()]:
            del _shared[old]
        held = _shared[loop] = TicketChanges(collection)
    return held


async def ticket_changes(guild_id: int, client_token: str) -> AsyncIterator[None]:
    """Yields once per change (or burst of changes) to the store's tickets while the client is
    connected."""
    async for _ in shared().changes(guild_id, lambda: connected(client_token)):
        yield
