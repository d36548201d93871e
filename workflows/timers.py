"""Long timers as due times in MongoDB: they survive a restart of every process.

Each ticket waits on at most one timer, `next_due_at` with `next_due_action` (see
`workflows.tickets.DUE_ACTION`). The sweeper claims due tickets by pushing `next_due_at`
forward by a lease *before* sending the actor message: if the sweeper dies after the claim,
the lease runs out and the ticket is claimed again; if the actor runs, the transition it
makes replaces the timer. Dramatiq's own `delay` is not used for long timers because delayed
messages live in worker memory and come back only minutes after a crash.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from beanie import PydanticObjectId

from models.store import utcnow
from models.ticket import Ticket

LEASE = timedelta(seconds=30)
# A ticket claimed again and again (its actor keeps failing, say a buyer whose DMs are closed
# and whose ticket channel is gone) waits twice as long each time, up to an hour, instead of
# adding a dead letter every lease: 30 s, 1 min, 2 min, … 1 h. A transition starts over.
MAX_WAIT = timedelta(hours=1)


@dataclass(frozen=True)
class DueWork:
    """A ticket whose timer came due, and the actor to send for it."""

    ticket_id: PydanticObjectId
    action: str


async def claim_due(
    now: datetime | None = None, *, lease: timedelta = LEASE, limit: int = 500
) -> list[DueWork]:
    """Tickets whose timer has come, each claimed for `lease` so one sweep sends it once.

    One write claims the whole batch: it moves every still-due timer of the batch forward (by
    the lease, doubled for each claim since the ticket's last transition, see MAX_WAIT) and
    stamps it with this sweep's token, and only what carries the token is returned, so two
    sweepers never both send the same ticket's work.
    """
    now = now or utcnow()
    collection = Ticket.get_pymongo_collection()
    due = [
        doc["_id"] async for doc in collection.find({"next_due_at": {"$lte": now}}, {"_id": 1}, limit=limit)
    ]
    if not due:
        return []
    token = uuid.uuid4().hex
    attempts = {"$ifNull": ["$due_attempts", 0]}
    wait_ms = {"$multiply": [lease / timedelta(milliseconds=1), {"$pow": [2, attempts]}]}
    await collection.update_many(
        {"_id": {"$in": due}, "next_due_at": {"$lte": now}},
        [
            {
                "$set": {
                    "next_due_at": {"$add": [now, {"$min": [wait_ms, MAX_WAIT / timedelta(milliseconds=1)]}]},
                    "due_attempts": {"$add": [attempts, 1]},
                    "due_claim": token,
                }
            }
        ],
    )
    return [
        DueWork(PydanticObjectId(doc["_id"]), doc["next_due_action"])
        async for doc in collection.find({"_id": {"$in": due}, "due_claim": token}, {"next_due_action": 1})
        if doc.get("next_due_action")
    ]


# `$set` this to end a ticket's timer when its awaited work does not move the state (archival).
CLEARED: dict[str, None] = {
    "next_due_at": None,
    "next_due_action": None,
    "due_claim": None,
    "due_attempts": None,
}
