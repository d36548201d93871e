"""Long timers as due times in MongoDB: they survive a restart of every process.

Each ticket waits on at most one timer, `next_due_at` with `next_due_action` (see
`workflows.tickets.DUE_ACTION`). The sweeper claims due tickets by pushing `next_due_at`
forward by a lease *before* sending the actor message: if the sweeper dies after the claim,
the lease runs out and the ticket is claimed again; if the actor runs, the transition it
makes replaces the timer. Dramatiq's own `delay` is not used for long timers because delayed
messages live in worker memory and come back only minutes after a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from beanie import PydanticObjectId

from models.store import utcnow
from models.ticket import Ticket

LEASE = timedelta(seconds=30)


@dataclass(frozen=True)
class DueWork:
    ticket_id: PydanticObjectId
    action: str


async def claim_due(now: datetime | None = None, *, lease: timedelta = LEASE, limit: int = 500) -> list[DueWork]:
    """Tickets whose timer has come, each claimed for `lease` so one sweep sends it once."""
    now = now or utcnow()
    collection = Ticket.get_pymongo_collection()
    claimed: list[DueWork] = []
    cursor = collection.find(
        {"next_due_at": {"$lte": now}}, {"next_due_at": 1, "next_due_action": 1}, limit=limit
    ).sort("next_due_at", 1)
    async for doc in cursor:
        result = await collection.update_one(
            {"_id": doc["_id"], "next_due_at": doc["next_due_at"]}, {"$set": {"next_due_at": now + lease}}
        )
        if result.modified_count and doc.get("next_due_action"):
            claimed.append(DueWork(PydanticObjectId(doc["_id"]), doc["next_due_action"]))
    return claimed


async def clear(ticket_id: PydanticObjectId, action: str) -> None:
    """The awaited work is done (for work that does not move the state, e.g. archival)."""
    await Ticket.get_pymongo_collection().update_one(
        {"_id": ticket_id, "next_due_action": action}, {"$set": {"next_due_at": None, "next_due_action": None}}
    )
