"""Matching money that arrived to the ticket that asked for exactly that amount (kode unik)."""

from __future__ import annotations

from beanie import PydanticObjectId

from models import batch
from models.incoming_payment import IncomingPayment
from models.store import Store
from models.ticket import Actor, Ticket
from workflows import outbox, tickets, topups
from workflows.errors import InvalidInput, NotPermitted, StoreError, TransitionNotAllowed
from workflows.tickets import TransitionResult

# Money that paid nothing yet: no ticket, no saldo top-up, not credited to anyone's saldo.
FREE = {"ticket_id": None, "topup_id": None, "credited_to": None}


async def claim_incoming_payment(ticket: Ticket) -> PydanticObjectId | None:
    """Atomically bind the oldest unmatched payment of exactly `amount_due` to this ticket.

    The claim is one conditional update (`ticket_id` still unset); if another ticket's claim
    got that payment first, the next oldest is tried.
    """
    collection = IncomingPayment.get_pymongo_collection()

    async def bound_to(ticket_id: PydanticObjectId | None) -> list[dict]:
        # Concurrent checks share one query (`batch.find_all`), whichever ticket they look for.
        equal = {"guild_id": ticket.guild_id, "amount": ticket.amount_due, "ticket_id": ticket_id}
        return await batch.find_all(collection, equal, "received_at", fields=())

    for candidate in await bound_to(None):
        if await batch.conditional_update(
            collection, candidate["_id"], FREE, {"$set": {"ticket_id": ticket.id}}
        ):
            return PydanticObjectId(candidate["_id"])
    # Money this ticket already claimed: a check that died before verifying, run again (or a
    # copy of this message running beside it).
    bound = await bound_to(ticket.id)
    return PydanticObjectId(bound[0]["_id"]) if bound else None


async def verify_automatically(ticket: Ticket, consumed: str | None = None) -> bool:
    """Verify a ticket whose buyer reported paying with money of exactly its amount due, if
    that money has arrived. True: a payment was found and the ticket is verified with it (by
    this call or by a copy of it running at the same time); False: no money seen yet, so
    sellers must check. A payment is given back only when the ticket was not verified with
    it, so the copy that lost the race never unbinds the money the winner used.
    `consumed`: the outbox entry this check handles."""
    payment_id = await claim_incoming_payment(ticket)
    if payment_id is None:
        return False
    try:
        result = await tickets.verify(
            ticket,
            Actor.system("payment match"),
            incoming_payment_id=payment_id,
            reason=f"amount {ticket.amount_due} received",
            consumed=consumed,
        )
        applied, current = result.applied, result.ticket
    except TransitionNotAllowed:
        applied, current = False, await tickets.get_ticket(ticket.id)
    if not applied:
        used = current.verification.incoming_payment_id if current.verification else None
        if used != payment_id:
            await unclaim(payment_id, ticket.id)
        await outbox.consume(ticket.id, consumed)
    return True


async def unclaim(payment_id: PydanticObjectId, ticket_id: PydanticObjectId) -> None:
    """Give a claimed payment back when its ticket could not be verified after all."""
    await IncomingPayment.get_pymongo_collection().update_one(
        {"_id": payment_id, "ticket_id": ticket_id}, {"$set": {"ticket_id": None}}
    )


async def unmatched(guild_id: int, limit: int = 100) -> list[IncomingPayment]:
    """Money seen that paid no ticket automatically (no or several matches), newest first."""
    return (
        await IncomingPayment.find(
            {"guild_id": guild_id, "ticket_id": None, "status": {"$in": ["unmatched", "ambiguous"]}}
        )
        .sort("-received_at")
        .limit(limit)
        .to_list()
    )


async def match_by_seller(
    payment_id: PydanticObjectId | str, ticket_ref: Ticket | str, by: Actor
) -> TransitionResult:
    """A seller says this money paid that ticket (e.g. the buyer forgot the unique code): the
    payment is bound to the ticket once, and the ticket verified through the workflow."""
    if by.kind != "seller":
        raise NotPermitted("only sellers can match payments to tickets")
    ticket = ticket_ref if isinstance(ticket_ref, Ticket) else await tickets.get_ticket(ticket_ref)
    try:
        oid = PydanticObjectId(payment_id)
    except Exception:
        raise InvalidInput("no such payment") from None
    claimed = await IncomingPayment.get_pymongo_collection().update_one(
        {"_id": oid, "guild_id": ticket.guild_id, **FREE},
        {"$set": {"ticket_id": ticket.id, "status": "matched"}},
    )
    if claimed.modified_count != 1:
        raise InvalidInput("that payment is unknown here or already matched to a ticket")
    try:
        result = await tickets.verify(
            ticket, by, incoming_payment_id=oid, reason="payment matched by the seller"
        )
    except StoreError:
        result = None
    if result is None or not result.applied:
        await IncomingPayment.get_pymongo_collection().update_one(
            {"_id": oid, "ticket_id": ticket.id}, {"$set": {"ticket_id": None, "status": "unmatched"}}
        )
        raise InvalidInput(f"ticket #{ticket.number} cannot be verified now (it is {ticket.state.value})")
    store = await Store.find_one({"guild_id": ticket.guild_id})
    payment = await IncomingPayment.get(oid)
    if store is not None and payment is not None and payment.amount > ticket.amount_due:
        await topups.auto_credit(store, payment)  # the over-paid part, if the store chose so
    return result
