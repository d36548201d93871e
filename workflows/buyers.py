"""Per-buyer limits: at most N open tickets and a cooldown between two, enforced atomically.

A double click on Buy sends two interactions within milliseconds; a read-then-write check
would let both through. The claim below is one conditional upsert: it only matches a buyer
with a free slot and no cooldown, and an upsert that does not match collides with the
unique (guild_id, user_id) index instead of creating a second buyer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from beanie import PydanticObjectId
from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from models.buyer import Buyer
from models.store import Store, utcnow
from models.ticket import Ticket, TicketState
from workflows.errors import CooldownActive, TooManyOpenTickets


def _refusal(store: Store, buyer: Buyer | None, now: datetime) -> Exception | None:
    if buyer is None:
        return None
    limit = store.tickets.max_open_tickets_per_buyer
    if len(buyer.open_ticket_ids) >= limit:
        plural = "ticket" if limit == 1 else "tickets"
        return TooManyOpenTickets(f"you already have {limit} open {plural}; finish or cancel it first")
    if buyer.last_ticket_at is not None:
        wait = buyer.last_ticket_at + timedelta(seconds=store.tickets.cooldown_s) - now
        if wait > timedelta(0):
            seconds = max(1, int(wait.total_seconds() + 0.999))
            return CooldownActive(f"please wait {seconds} s before opening another ticket", seconds)
    return None


async def check(store: Store, user_id: int, now: datetime) -> None:
    """Refuse early, with the right reason, a buyer who may not open a ticket now."""
    refusal = _refusal(store, await Buyer.find_one({"guild_id": store.guild_id, "user_id": user_id}), now)
    if refusal is not None:
        raise refusal


async def claim_slot(store: Store, user_id: int, ticket_id: PydanticObjectId, now: datetime) -> None:
    """Take one open-ticket slot for `ticket_id`; raises TooManyOpenTickets or CooldownActive."""
    limit = store.tickets.max_open_tickets_per_buyer
    cooled_since = now - timedelta(seconds=store.tickets.cooldown_s)
    query = {
        "guild_id": store.guild_id,
        "user_id": user_id,
        f"open_ticket_ids.{limit - 1}": {"$exists": False},
        "$or": [{"last_ticket_at": None}, {"last_ticket_at": {"$lte": cooled_since}}],
    }
    update = {"$push": {"open_ticket_ids": ticket_id}, "$set": {"last_ticket_at": now}}
    try:
        await Buyer.get_pymongo_collection().update_one(query, update, upsert=True)
    except DuplicateKeyError:
        await check(store, user_id, now)
        raise TooManyOpenTickets("you are opening tickets too fast; try again") from None


async def release_slot(guild_id: int, user_id: int, ticket_id: PydanticObjectId) -> None:
    """Free the slot a ticket held (idempotent)."""
    await Buyer.get_pymongo_collection().update_one(
        {"guild_id": guild_id, "user_id": user_id}, {"$pull": {"open_ticket_ids": ticket_id}}
    )


async def release_orphan_slots() -> int:
    """Free slots held by tickets that were never written or are closed (crash repair)."""
    # A ticket id is minted just before its reservation: give its insert time to land.
    cutoff = ObjectId.from_datetime(utcnow() - timedelta(minutes=2))
    buyers = Buyer.get_pymongo_collection()
    held = {
        tid
        async for doc in buyers.find({"open_ticket_ids": {"$lt": cutoff}}, {"open_ticket_ids": 1})
        for tid in doc["open_ticket_ids"]
        if tid < cutoff
    }
    if not held:
        return 0
    live = {
        doc["_id"]
        async for doc in Ticket.get_pymongo_collection().find(
            {"_id": {"$in": list(held)}, "state": {"$ne": TicketState.CLOSED.value}}, {"_id": 1}
        )
    }
    dead = list(held - live)
    if dead:
        await buyers.update_many(
            {"open_ticket_ids": {"$in": dead}}, {"$pull": {"open_ticket_ids": {"$in": dead}}}
        )
    return len(dead)
