"""The outbox: actor messages are written *with* the transition that causes them.

Why an outbox rather than "write the state, then enqueue": the process can die between the
two, and a ticket would sit in `paid` with nobody delivering. Here the follow-up messages
are written onto `ticket.outbox` in the same conditional update that moves the state, so
either both exist or neither does. Right after the write, the process that made the
transition relays the entries to the queue. An entry stays on the ticket until the actor
that handles it *consumes* it, in the same write as its own work (the next transition, or
`consume`), so relaying costs no extra write. If a process dies before relaying, or a message
is lost with a broker, the sweeper relays entries older than `STALE_AFTER` again (and marks
them, so a long queue is not flooded with copies). A message may therefore arrive twice:
every actor is idempotent.

Per-state watchdog timers (`next_due_at`) are a second net for messages that were queued but
lost with a broker, see `workflows.timers`.

This module knows no queue: a process that can send (a worker, the bot, the dashboard)
registers a dispatcher with `configure`; without one, entries wait for the sweeper.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from beanie import PydanticObjectId

from models import batch
from models.store import utcnow
from models.ticket import OutboxEntry, Ticket

log = logging.getLogger(__name__)

Dispatcher = Callable[[PydanticObjectId, OutboxEntry], Awaitable[None]]

STALE_AFTER = timedelta(seconds=60)

_dispatcher: Dispatcher | None = None


def configure(dispatcher: Dispatcher | None) -> None:
    """Register how this process sends actor messages (None: leave them to the sweeper)."""
    global _dispatcher
    _dispatcher = dispatcher


def entry(actor: str, **kwargs: Any) -> OutboxEntry:
    """A follow-up message for `actor`; `ticket_id` is added when it is relayed."""
    return OutboxEntry(id=uuid.uuid4().hex[:24], actor=actor, kwargs=kwargs, created_at=utcnow())


def nonce(kind: str) -> str:
    """A fresh Discord message nonce (25 characters at most) for a one-off notice."""
    return kind + uuid.uuid4().hex[:24]


async def relay(ticket_id: PydanticObjectId, entries: list[OutboxEntry]) -> int:
    """Send `entries` to the queue. Returns how many were sent (0 without a dispatcher)."""
    if _dispatcher is None or not entries:
        return 0
    for item in entries:
        await _dispatcher(ticket_id, item)
    return len(entries)


async def consume(ticket_id: PydanticObjectId, entry_id: str | None) -> None:
    """Remove a handled entry (for actors whose work is not itself a transition)."""
    if entry_id:
        await batch.update_by_id(
            Ticket.get_pymongo_collection(), ticket_id, {"$pull": {"outbox": {"id": entry_id}}}
        )


async def relay_stale(limit: int = 500) -> int:
    """Relay entries nobody has consumed for STALE_AFTER (the sweeper), and mark them."""
    if _dispatcher is None:
        return 0
    now = utcnow()
    cutoff = now - STALE_AFTER
    sent = 0
    collection = Ticket.get_pymongo_collection()
    async for raw in collection.find({"outbox.created_at": {"$lte": cutoff}}, {"outbox": 1}, limit=limit):
        stale = [OutboxEntry(**e) for e in raw["outbox"] if e["created_at"] <= cutoff]
        log.warning("relaying %d unconsumed outbox entries of ticket %s", len(stale), raw["_id"])
        sent += await relay(PydanticObjectId(raw["_id"]), stale)
        await collection.update_one(
            {"_id": raw["_id"]},
            {"$set": {"outbox.$[e].created_at": now}},
            array_filters=[{"e.id": {"$in": [e.id for e in stale]}}],
        )
    return sent
