"""The outbox: actor messages are written *with* the transition that causes them.

Why an outbox rather than "write the state, then enqueue": the process can die between the
two, and a ticket would sit in `paid` with nobody delivering. Here the follow-up messages
are pushed onto `ticket.outbox` in the same conditional update that moves the state, so
either both exist or neither does. Right after the write, the process that made the
transition relays the entries to the queue and pulls them off the ticket. If it dies before
that, the sweeper relays any entry older than `STALE_AFTER`. A message may therefore be sent
twice (relayed, then the process died before the pull): every actor is idempotent.

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

from models.store import utcnow
from models.ticket import OutboxEntry, Ticket

log = logging.getLogger(__name__)

Dispatcher = Callable[[PydanticObjectId, OutboxEntry], Awaitable[None]]

STALE_AFTER = timedelta(seconds=5)

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
    """Send `entries` and remove them from the ticket. Returns how many were sent."""
    if _dispatcher is None or not entries:
        return 0
    for item in entries:
        await _dispatcher(ticket_id, item)
    await Ticket.get_pymongo_collection().update_one(
        {"_id": ticket_id}, {"$pull": {"outbox": {"id": {"$in": [e.id for e in entries]}}}}
    )
    return len(entries)


async def relay_stale(limit: int = 500) -> int:
    """Relay entries left behind by a process that died after its transition (the sweeper)."""
    cutoff = utcnow() - STALE_AFTER
    sent = 0
    cursor = Ticket.get_pymongo_collection().find(
        {"outbox.created_at": {"$lte": cutoff}}, {"outbox": 1}, limit=limit
    )
    async for raw in cursor:
        stale = [OutboxEntry(**e) for e in raw["outbox"] if e["created_at"] <= cutoff]
        log.warning("relaying %d stale outbox entries of ticket %s", len(stale), raw["_id"])
        sent += await relay(PydanticObjectId(raw["_id"]), stale)
    return sent
