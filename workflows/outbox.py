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

A relay that fails (the broker's Redis is away) never fails the transition: the entries are
safe on the ticket, so the caller (a seller's Verify, a payment webhook) still sees it done.
They are marked for the sweeper instead, which relays them on its next pass that reaches the
broker: seconds after Redis comes back, not `STALE_AFTER` later.

Per-state watchdog timers (`next_due_at`) are a second net for messages that were queued but
lost with a broker, see `workflows.timers`.

This module knows no queue: a process that can send (a worker, the bot, the dashboard)
registers a dispatcher with `configure`; without one, entries wait for the sweeper.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from beanie import PydanticObjectId

from models import batch
from models.store import utcnow
from models.ticket import OutboxEntry, Ticket

log = logging.getLogger(__name__)

Dispatcher = Callable[[PydanticObjectId, OutboxEntry], Awaitable[None]]

STALE_AFTER = timedelta(seconds=60)
# An entry whose relay failed gets this `created_at`: older than any cutoff, so the sweeper's
# usual query (on the indexed `outbox.created_at`) takes it on its very next pass. The real
# creation time is not needed afterwards: the sweeper itself overwrites it when it relays.
UNSENT = datetime(1970, 1, 1, tzinfo=UTC)

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
    """Send `entries` to the queue. Returns how many were sent (0 without a dispatcher).

    Never raises for a broker that cannot be reached: the entries not sent are marked
    `UNSENT` on the ticket for the sweeper, and the caller's transition stands."""
    if _dispatcher is None or not entries:
        return 0
    for sent, item in enumerate(entries):
        try:
            await _dispatcher(ticket_id, item)
        except Exception as error:  # whatever the broker raises: the entry is safe on the ticket
            log.warning(
                "ticket %s: could not relay %d follow-ups (%s: %s); the sweeper relays them "
                "as soon as the queue answers",
                ticket_id,
                len(entries) - sent,
                type(error).__name__,
                error,
            )
            await _mark_unsent(ticket_id, [e.id for e in entries[sent:]])
            return sent
    return len(entries)


async def _mark_unsent(ticket_id: PydanticObjectId, entry_ids: list[str]) -> None:
    try:
        await Ticket.get_pymongo_collection().update_one(
            {"_id": ticket_id},
            {"$set": {"outbox.$[e].created_at": UNSENT}},
            array_filters=[{"e.id": {"$in": entry_ids}}],
        )
    except Exception:  # MongoDB away too: the entries still wait, for STALE_AFTER
        log.exception("ticket %s: could not mark unsent follow-ups", ticket_id)


async def consume(ticket_id: PydanticObjectId, entry_id: str | None) -> None:
    """Remove a handled entry (for actors whose work is not itself a transition)."""
    if entry_id:
        await batch.update_by_id(
            Ticket.get_pymongo_collection(), ticket_id, {"$pull": {"outbox": {"id": entry_id}}}
        )


async def relay_stale(limit: int = 500) -> int:
    """Relay entries nobody has consumed for STALE_AFTER, and those whose relay failed
    (`UNSENT`), and mark them relayed now (the sweeper). Stops at the first ticket whose relay
    fails: the broker is still away, and the next pass tries again."""
    if _dispatcher is None:
        return 0
    now = utcnow()
    cutoff = now - STALE_AFTER
    sent = 0
    collection = Ticket.get_pymongo_collection()
    async for raw in collection.find({"outbox.created_at": {"$lte": cutoff}}, {"outbox": 1}, limit=limit):
        stale = [OutboxEntry(**e) for e in raw["outbox"] if e["created_at"] <= cutoff]
        log.warning("relaying %d unconsumed outbox entries of ticket %s", len(stale), raw["_id"])
        relayed = await relay(PydanticObjectId(raw["_id"]), stale)
        sent += relayed
        if relayed < len(stale):
            break  # `relay` marked the rest UNSENT again
        await collection.update_one(
            {"_id": raw["_id"]},
            {"$set": {"outbox.$[e].created_at": now}},
            array_filters=[{"e.id": {"$in": [e.id for e in stale]}}],
        )
    return sent
