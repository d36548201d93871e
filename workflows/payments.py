"""Matching money that arrived to the ticket that asked for exactly that amount (kode unik)."""

from __future__ import annotations

from beanie import PydanticObjectId
from pymongo import ASCENDING, ReturnDocument

from models.incoming_payment import IncomingPayment
from models.ticket import Ticket


async def claim_incoming_payment(ticket: Ticket) -> PydanticObjectId | None:
    """Atomically bind the oldest unmatched payment of exactly `amount_due` to this ticket."""
    claimed = await IncomingPayment.get_pymongo_collection().find_one_and_update(
        {"guild_id": ticket.guild_id, "amount": ticket.amount_due, "ticket_id": None},
        {"$set": {"ticket_id": ticket.id}},
        sort=[("received_at", ASCENDING)],
        projection={"_id": 1},
        return_document=ReturnDocument.AFTER,
    )
    return PydanticObjectId(claimed["_id"]) if claimed else None


async def unclaim(payment_id: PydanticObjectId, ticket_id: PydanticObjectId) -> None:
    """Give a claimed payment back when its ticket could not be verified after all."""
    await IncomingPayment.get_pymongo_collection().update_one(
        {"_id": payment_id, "ticket_id": ticket_id}, {"$set": {"ticket_id": None}}
    )
