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
    # Cooldown 0 is none: not even the milliseconds between two clicks handled at once, whose
    # handlers may read the clock in one order and claim their slots in the other.
    if buyer.last_ticket_at is not None and store.tickets.cooldown_s > 0:
        wait = buyer.last_ticket_at + timedelta(seconds=store.tickets.cooldown_s) - now
        if wait > timedelta(0):
            seconds = max(1, int(wait.total_seconds() + 0.999))
            return CooldownActive(f"please wait {seconds} s before opening another ticket", seconds)
    return None


async def _buyer(guild_id: int, user_id: int) -> Buyer | None:
    return await Buyer.find_one({"guild_id": guild_id, "user_id": user_id})


async def check(store: Store, user_id: int, now: datetime) -> None:
    """Refuse early, with the right reason, a buyer who may not open a ticket now."""
    buyer = await _buyer(store.guild_id, user_id)
    if buyer is not None and len(buyer.open_ticket_ids) >= store.tickets.max_open_tickets_per_buyer:
        if await prune_closed(buyer):
            buyer = await _buyer(store.guild_id, user_id)
    refusal = _refusal(store, buyer, now)
    if refusal is not None:
        raise refusal


async def claim_slot(store: Store, user_id: int, ticket_id: PydanticObjectId, now: datetime) -> None:
    """Take one open-ticket slot for `ticket_id`; raises TooManyOpenTickets or CooldownActive."""
    limit = store.tickets.max_open_tickets_per_buyer
    cooled_since = now - timedelta(seconds=store.tickets.cooldown_s)
    query: dict[str, object] = {
        "guild_id": store.guild_id,
        "user_id": user_id,
        f"open_ticket_ids.{limit - 1}": {"$exists": False},
    }
    if store.tickets.cooldown_s > 0:  # 0: no cooldown (`_refusal`)
        query["$or"] = [{"last_ticket_at": None}, {"last_ticket_at": {"$lte": cooled_since}}]
    update = {"$push": {"open_ticket_ids": ticket_id}, "$set": {"last_ticket_at": now}}
    try:
        await Buyer.get_pymongo_collection().update_one(query, update, upsert=True)
    except DuplicateKeyError:
        await check(store, user_id, now)  # raises the precise refusal (after pruning)
        try:
            await Buyer.get_pymongo_collection().update_one(query, update, upsert=True)
        except DuplicateKeyError:
            raise TooManyOpenTickets("you are opening tickets too fast; try again") from None


async def prune_closed(buyer: Buyer) -> int:
    """Free the slots of a buyer's tickets that have closed, or were never written (a crash
    between reserving and writing the ticket), so they no longer count against the limit.

    Slots are freed here, lazily, rather than by every close: only a buyer at the limit pays.
    """
    held = buyer.open_ticket_ids
    states = {
        doc["_id"]: doc["state"]
        async for doc in Ticket.get_pymongo_collection().find({"_id": {"$in": held}}, {"state": 1})
    }
    # A ticket id is minted just before its reservation: an unwritten one may still be landing.
    landing = ObjectId.from_datetime(utcnow() - timedelta(minutes=2))
    gone = [
        tid
        for tid in held
        if states.get(tid) == TicketState.CLOSED.value or (tid not in states and tid < landing)
    ]
    if gone:
        await Buyer.get_pymongo_collection().update_one(
            {"_id": buyer.id}, {"$pull": {"open_ticket_ids": {"$in": gone}}}
        )
    return len(gone)


async def release_slot(guild_id: int, user_id: int, ticket_id: PydanticObjectId) -> None:
    """Free the slot of a ticket that was never written (its opening was refused)."""
    await Buyer.get_pymongo_collection().update_one(
        {"guild_id": guild_id, "user_id": user_id}, {"$pull": {"open_ticket_ids": ticket_id}}
    )
