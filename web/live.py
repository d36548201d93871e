"""Live pages: watch MongoDB's change stream for one store's tickets while the browser is open.

A page's background task calls `changes(...)`; it yields whenever a ticket of the store
changes, and stops when the browser has gone (its websocket token is no longer linked).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from models.ticket import Ticket

log = logging.getLogger(__name__)


def connected(client_token: str) -> bool:
    from web.app import app  # the running app; imported late (it imports the pages)

    namespace = app.event_namespace
    return namespace is not None and client_token in namespace.token_to_sid


async def ticket_changes(guild_id: int, client_token: str) -> AsyncIterator[None]:
    """Yields once per change to the store's tickets while the client is connected. (Draining a
    burst before yielding would cost one more `max_await_time_ms` wait on every change.)"""
    pipeline = [{"$match": {"fullDocument.guild_id": guild_id}}]
    collection = Ticket.get_pymongo_collection()
    async with await collection.watch(
        pipeline, full_document="updateLookup", max_await_time_ms=400
    ) as stream:
        while connected(client_token):
            change = await stream.try_next()
            if change is not None:
                yield
