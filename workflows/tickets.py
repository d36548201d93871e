"""Tickets: opening one, and every transition of its life. Nothing else writes a ticket's state.

Each transition is:
  1. the machine (`workflows.machine`) says where the trigger leads from the loaded state, or
     refuses with TransitionNotAllowed / UnknownTrigger;
  2. one conditional update on `{_id, state, version}` writes the new state, bumps the
     version, appends a history entry and pushes the follow-up actor messages (the outbox)
     and the state's timer (`next_due_at`), all at once;
  3. if nothing matched, somebody else moved the ticket first: the caller gets a
     `TransitionResult` with `applied=False` and the ticket as it now is (a clean no-op);
  4. after the write: reservations released (cancel, expire), buyer slot freed (closed),
     analytics event recorded, outbox relayed.

Steps in 4 are idempotent and re-derivable, so a crash between 2 and 4 is repaired by the
sweeper (stale outbox, orphan reservations and slots) and loses nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from beanie import PydanticObjectId
from pydantic import BaseModel
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models import batch
from models.coupon import AppliedCoupon
from models.payment_method import PaymentMethod
from models.product import MAX_PRICE
from models.store import Store, utcnow
from models.ticket import (
    Actor,
    DeliveryRecord,
    HistoryEntry,
    OutboxEntry,
    PaymentReport,
    ProductSnapshot,
    Ticket,
    TicketOpening,
    TicketOutcome,
    TicketState,
    Verification,
)
from workflows import audit, blacklist, buyers, coupons, outbox, plain_text, stock, topups
from workflows.actor_names import ActorName
from workflows.errors import (
    InvalidInput,
    NotPermitted,
    NoUniqueAmountLeft,
    ProductUnavailable,
    TicketNotFound,
    TransitionNotAllowed,
    UnknownTrigger,
)
from workflows.machine import TRIGGERS, next_state
from workflows.products import get_product, get_store
from workflows.unique_code import MAX_CODE, free_codes, pick_code

log = logging.getLogger(__name__)

# Watchdogs: if a state's work has not moved the ticket on by then, the sweeper sends it again.
DELIVERY_WATCHDOG = timedelta(seconds=60)
# A ticket opened from Buy waits on its channel first: a process that died before relaying the
# opening, or while making the channel, is covered by this timer (`workers.ticket_opening`).
OPENING_WATCHDOG = timedelta(seconds=30)
OPENING_ACTION = ActorName.OPEN_TICKET_CHANNEL
ARCHIVE_WATCHDOG = timedelta(seconds=120)

# What a ticket learns while it waits in one state, forgotten when it moves to another: how
# often its timer was claimed (`timers.claim_due`) and why its delivery failed.
_LEFT_BEHIND: dict[str, None] = {"due_attempts": None, "delivery_problem": None}

# Which actor a ticket in a state is waiting for when its timer comes due.
DUE_ACTION = {
    TicketState.OPEN: ActorName.EXPIRE_UNPAID,
    TicketState.PAID: ActorName.DELIVER_PRODUCT,
    TicketState.COMPLETED: ActorName.AUTO_CLOSE,
    TicketState.CLOSED: ActorName.ARCHIVE_TRANSCRIPT,
}


def _encode(value: Any) -> Any:
    """A value as BSON wants it (pydantic's own dump: StrEnums are str, ObjectIds stay)."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return [_encode(item) for item in value]
    return value


@dataclass(frozen=True)
class TransitionResult:
    """What a trigger did. `applied` is False when another actor moved the ticket first."""

    ticket: Ticket
    applied: bool
    message: str = ""


# --- reading -------------------------------------------------------------------------------


TicketRef = Ticket | PydanticObjectId | str


async def get_ticket(ticket_id: PydanticObjectId | str) -> Ticket:
    """A ticket by id, or TicketNotFound."""
    try:
        oid = PydanticObjectId(ticket_id)
    except Exception:
        raise TicketNotFound(f"no ticket with id {ticket_id!r}") from None
    # Read with the driver (concurrent reads share one query, `models.batch`) and validate
    # once: every actor starts here, and Beanie's query layer costs more than the read itself.
    raw = await batch.find_by_id(Ticket.get_pymongo_collection(), oid)
    if raw is None:
        raise TicketNotFound(f"no ticket with id {ticket_id!r}")
    return Ticket.model_validate(raw)


async def attach_channel(
    ticket_id: PydanticObjectId | str, channel_id: int, category_id: int | None = None
) -> None:
    """Record the ticket's private channel once it exists (not a state change); `category_id`
    is where a worker made it (`workers.ticket_opening`)."""
    changes: dict[str, Any] = {"channel_id": channel_id}
    if category_id is not None:
        changes["opening.category_id"] = category_id
    await batch.update_by_id(Ticket.get_pymongo_collection(), PydanticObjectId(ticket_id), {"$set": changes})


async def note_instructions(ticket_id: PydanticObjectId, message_id: int) -> None:
    """The opening instructions are in the ticket's channel: a later run does not post them
    again (Discord's nonce only de-duplicates for a few minutes, resources/message.mdx)."""
    await batch.update_by_id(
        Ticket.get_pymongo_collection(), ticket_id, {"$set": {"opening.instructions_message_id": message_id}}
    )


async def note_verify_prompt(ticket_id: PydanticObjectId, message_id: int) -> None:
    """The "please verify" prompt of the latest payment report is this message
    (`workers.prompts` edits it once the report is verified or rejected)."""
    await batch.update_by_id(
        Ticket.get_pymongo_collection(), ticket_id, {"$set": {"verify_prompt_id": message_id}}
    )


def already_done(ticket: Ticket, trigger: str) -> bool:
    """Whether `ticket` already shows what `trigger` asks for because someone else did it
    first (a double click, two sellers at once, an automatic match): the caller reports that
    as the success it asked for, not as an error. Only for verify and reject_payment."""
    if trigger == "verify":
        return ticket.verification is not None
    if trigger == "reject_payment":
        waiting = ticket.state is TicketState.OPEN and ticket.payment_report is None
        return waiting and _last_report_step(ticket) == "reject_payment"
    return False


def _last_report_step(ticket: Ticket) -> str | None:
    """report_payment or reject_payment, whichever happened last."""
    steps = ("report_payment", "reject_payment")
    return next((h.trigger for h in reversed(ticket.history) if h.trigger in steps), None)


async def opening_done(ticket: Ticket, *, now: datetime | None = None) -> None:
    """The buyer has been told their channel is ready: the interaction token is forgotten, the
    opening's follow-ups are consumed, and the ticket waits on its unpaid expiry from now on
    (unless a transition already gave it another timer, say a seller verified it meanwhile)."""
    now = now or utcnow()
    still_opening = {"$eq": ["$next_due_action", OPENING_ACTION]}

    def unless_moved_on(value: Any, field: str) -> dict[str, Any]:
        return {"$cond": [still_opening, {"$literal": value}, f"${field}"]}

    await Ticket.get_pymongo_collection().update_one(
        {"_id": ticket.id},
        [
            {
                "$set": {
                    "opening.interaction_token": None,
                    "opening.done_at": {"$literal": now},
                    "outbox": {
                        "$filter": {
                            "input": {"$ifNull": ["$outbox", []]},
                            "cond": {"$ne": ["$$this.actor", OPENING_ACTION]},
                        }
                    },
                    "next_due_at": unless_moved_on(ticket.expires_at, "next_due_at"),
                    "next_due_action": unless_moved_on(DUE_ACTION[TicketState.OPEN], "next_due_action"),
                    "due_attempts": unless_moved_on(None, "due_attempts"),
                    "due_claim": unless_moved_on(None, "due_claim"),
                }
            }
        ],
    )


async def note_delivery_problem(ticket_id: PydanticObjectId, problem: str) -> bool:
    """The bot could not deliver a paid ticket's product, and retrying will not help (say the
    buyer's DMs are closed and the ticket has no channel): the seller sees why on the ticket
    and can deliver it themselves or cancel. Not a state change; the next transition clears it.
    True when this is news (the ticket did not already show this problem)."""
    result = await Ticket.get_pymongo_collection().update_one(
        {"_id": ticket_id, "state": TicketState.PAID.value}, {"$set": {"delivery_problem": problem[:500]}}
    )
    return result.modified_count == 1


async def record_delivery_after_close(ticket: Ticket, delivery: DeliveryRecord) -> bool:
    """A product sent while the ticket was being cancelled (the DM was already on its way):
    the buyer has it, so the closed ticket keeps the record for the seller to see (not a state
    change). True if recorded; False when the ticket is not closed or already has a delivery."""
    if ticket.state is not TicketState.CLOSED or ticket.delivery is not None:
        return False
    late = delivery.model_copy(update={"note": "sent while the ticket was being cancelled"})
    result = await Ticket.get_pymongo_collection().update_one(
        {"_id": ticket.id, "state": TicketState.CLOSED.value, "delivery": None},
        {"$set": {"delivery": late.model_dump()}},
    )
    return result.modified_count == 1


async def _load(ticket: TicketRef) -> Ticket:
    """The ticket itself when the caller already holds it (an actor), else loaded by id."""
    return ticket if isinstance(ticket, Ticket) else await get_ticket(ticket)


# --- opening -------------------------------------------------------------------------------


async def open_ticket(
    guild_id: int,
    product_id: PydanticObjectId | str,
    buyer: Actor,
    quantity: int = 1,
    *,
    opening: TicketOpening | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Open a ticket for `buyer` buying `quantity` of a product: the Buy button.

    Stock is reserved atomically first (SoldOut when it is gone), then the buyer's slot is
    claimed (TooManyOpenTickets, CooldownActive), then the ticket is written with a number and
    an amount due no other open ticket of the store asks for. Any refusal undoes what was
    taken before it, so a refused buyer changes nothing.

    With `opening` (the Buy button), the ticket is written with its channel still to make: an
    `open_ticket_channel` outbox entry and the opening watchdog in the same insert, so the
    channel is made even if this process dies right after. The entry is *not* relayed here:
    the caller answers the buyer first and then relays `ticket.outbox`, so the worker's "your
    ticket is ready" can never be overwritten by a late "being opened".
    """
    now = now or utcnow()
    if buyer.kind != "buyer" or buyer.user_id is None:
        raise InvalidInput("a ticket is opened by a buyer with a Discord user id")
    store = await get_store(guild_id)
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidInput("quantity: must be a whole number")
    if not 1 <= quantity <= store.tickets.max_quantity:
        raise InvalidInput(f"quantity: must be from 1 to {store.tickets.max_quantity}")
    product = await get_product(guild_id, product_id)
    if not product.active:
        raise ProductUnavailable(f"{product.name} is not on sale right now")
    subtotal = product.price * quantity
    if subtotal + MAX_CODE > MAX_PRICE:
        raise InvalidInput("that order is too large to pay in one transfer")
    await blacklist.refuse_buyer(guild_id, buyer.user_id)
    await buyers.check(store, buyer.user_id, now)

    ticket_id = PydanticObjectId()
    sealed_items = await stock.reserve(product, ticket_id, quantity)
    try:
        await buyers.claim_slot(store, buyer.user_id, ticket_id, now)
    except Exception:
        await stock.release(product.id, product.delivery_mode, ticket_id, quantity)
        raise
    try:
        return await _insert_ticket(
            store, product, ticket_id, buyer, quantity, subtotal, sealed_items, now, opening
        )
    except BaseException:
        await stock.release(product.id, product.delivery_mode, ticket_id, quantity)
        await buyers.release_slot(guild_id, buyer.user_id, ticket_id)
        raise


async def _insert_ticket(  # type: ignore[no-untyped-def]
    store, product, ticket_id, buyer, quantity, subtotal, sealed_items, now, opening
) -> Ticket:
    counter = await Store.get_pymongo_collection().find_one_and_update(
        {"_id": store.id}, {"$inc": {"ticket_counter": 1}}, return_document=ReturnDocument.AFTER
    )
    expires_at = now + timedelta(seconds=store.tickets.unpaid_expiry_s)
    due_at, due_action, effects = expires_at, DUE_ACTION[TicketState.OPEN], []
    if opening is not None:
        due_at, due_action = now + OPENING_WATCHDOG, OPENING_ACTION
        effects = [outbox.entry(OPENING_ACTION)]
    for _attempt in range(20):
        candidates = await _free_unique_codes(store.guild_id, subtotal)
        if not candidates:
            raise NoUniqueAmountLeft(
                "too many unpaid tickets at this price right now; please try again in a few minutes"
            )
        code = pick_code(candidates)
        ticket = Ticket(
            id=ticket_id,
            guild_id=store.guild_id,
            number=counter["ticket_counter"],
            buyer_id=buyer.user_id,
            buyer_name=buyer.name,
            product=ProductSnapshot(
                product_id=product.id,
                name=product.name,
                unit_price=product.price,
                delivery_mode=product.delivery_mode,
            ),
            quantity=quantity,
            sealed_items=sealed_items,
            currency=store.currency,
            subtotal=subtotal,
            unique_code=code,
            amount_due=subtotal + code,
            state=TicketState.OPEN,
            history=[HistoryEntry(at=now, trigger="open", source=None, dest=TicketState.OPEN, by=buyer)],
            expires_at=expires_at,
            auto_close_s=store.tickets.auto_close_s,
            opening=opening,
            outbox=effects,
            next_due_at=due_at,
            next_due_action=due_action,
            created_at=now,
            updated_at=now,
        )
        try:
            await ticket.insert()
        except DuplicateKeyError as error:
            if "open_amount_unique" in str(error):
                continue  # another buyer took this amount a moment ago: pick again
            raise
        return ticket
    raise NoUniqueAmountLeft("could not find a free payment amount; please try again")


async def _free_unique_codes(guild_id: int, subtotal: int) -> list[int]:
    in_use = await Ticket.get_pymongo_collection().distinct(
        "amount_due",
        {
            "guild_id": guild_id,
            "state": TicketState.OPEN.value,
            "amount_due": {"$gt": subtotal, "$lte": subtotal + MAX_CODE},
        },
    )
    # Open saldo top-ups ask for unique amounts too: a transfer must name one thing to pay.
    in_use += await topups.amounts_in_use(guild_id, subtotal, subtotal + MAX_CODE)
    return free_codes(subtotal, in_use)


# --- coupons -------------------------------------------------------------------------------


async def apply_coupon(ticket_ref: TicketRef, by: Actor, code: str, *, now: datetime | None = None) -> Ticket:
    """The buyer's coupon, typed in their unpaid ticket: a use is claimed atomically
    (`coupons.claim`), then the ticket's amount due is recomputed with a new unique code, in one
    conditional write on the ticket's version. Refusals are CouponRefused saying why; one
    coupon per ticket (see `workflows.coupons`). Not a state change: the ticket stays open, its
    history records the coupon and its version moves, so a payment matched or reported for the
    old amount in the meantime wins and the coupon's use is given back."""
    ticket = await _load(ticket_ref)
    now = now or utcnow()
    if by.kind == "buyer" and by.user_id != ticket.buyer_id:
        raise coupons.CouponRefused(key="not_yours")
    if ticket.coupon is not None:
        raise coupons.CouponRefused(key="one_per_ticket", code=ticket.coupon.code)
    if ticket.state is not TicketState.OPEN or ticket.payment_report is not None:
        raise coupons.CouponRefused(key="not_open")
    coupon = await coupons.find(ticket.guild_id, code)
    off = coupons.check(
        coupon, ticket.product.product_id, ticket.product.name, ticket.subtotal, ticket.currency, now
    )
    price = coupons.price_after(ticket.subtotal, off, ticket.currency)
    await coupons.claim(coupon, ticket.id, ticket.buyer_id)
    applied = AppliedCoupon(
        coupon_id=coupon.id, code=coupon.code, discount=ticket.subtotal - price, applied_at=now
    )
    try:
        moved = await _write_coupon(ticket, applied, price, by, now)
    except BaseException:
        await coupons.release(coupon.id, ticket.id, ticket.buyer_id)
        raise
    if moved is None:
        await coupons.release(coupon.id, ticket.id, ticket.buyer_id)
        raise coupons.CouponRefused(key="changed")
    return moved


async def _write_coupon(
    ticket: Ticket, applied: AppliedCoupon, price: int, by: Actor, now: datetime
) -> Ticket | None:
    """The ticket with its coupon and new amount due, or None when it moved meanwhile."""
    entry = HistoryEntry(
        at=now, trigger="apply_coupon", source=ticket.state, dest=ticket.state, by=by, reason=applied.code
    )
    for _attempt in range(20):
        candidates = await _free_unique_codes(ticket.guild_id, price)
        if not candidates:
            raise NoUniqueAmountLeft("too many unpaid tickets at this price right now; please try again")
        code = pick_code(candidates)
        changes = {
            "coupon": applied.model_dump(),
            "unique_code": code,
            "amount_due": price + code,
            "version": ticket.version + 1,
            "updated_at": now,
        }
        try:
            result = await Ticket.get_pymongo_collection().update_one(
                {
                    "_id": ticket.id,
                    "state": TicketState.OPEN.value,
                    "version": ticket.version,
                    "coupon": None,
                    "payment_report": None,
                },
                {"$set": changes, "$push": {"history": _encode(entry)}},
            )
        except DuplicateKeyError as error:
            if "open_amount_unique" in str(error):
                continue  # another ticket took this amount a moment ago: pick again
            raise
        if result.matched_count == 0:
            return None
        changes["coupon"] = applied
        return ticket.model_copy(update={**changes, "history": [*ticket.history, entry]})
    raise NoUniqueAmountLeft("could not find a free payment amount; please try again")


# --- the transition core ---------------------------------------------------------------------


async def _apply(
    ticket: Ticket,
    trigger: str,
    by: Actor,
    reason: str = "",
    *,
    changes: dict[str, Any] | None = None,
    effects: list[OutboxEntry] | None = None,
    consumed: str | None = None,
    now: datetime | None = None,
    session: AsyncClientSession | None = None,
) -> TransitionResult:
    """With `session` (a MongoDB transaction of the caller's, e.g. a saldo debit beside the
    transition), the write joins that transaction and nothing follows it here: the caller relays
    the new outbox entries once its transaction has committed (`workflows.saldo_payments`)."""
    now = now or utcnow()
    dest = next_state(ticket.state, trigger)
    changes = dict(changes or {})
    effects = list(effects or [])
    if dest != ticket.state:
        changes.update(_timer_for(ticket, dest, now), **_LEFT_BEHIND)
    changes.update(state=dest, version=ticket.version + 1, updated_at=now)
    entry = HistoryEntry(at=now, trigger=trigger, source=ticket.state, dest=dest, by=by, reason=reason)
    # The outbox is edited on the server, not written back as read: another actor may have
    # consumed its own entry since we read the ticket (`outbox.consume` does not move the
    # version), and writing our stale copy would bring that entry back to life. The entry this
    # transition handles is removed and the new ones added in this same write.
    kept: dict[str, Any] = {"$ifNull": ["$outbox", []]}
    if consumed:
        kept = {"$filter": {"input": kept, "cond": {"$ne": ["$$this.id", consumed]}}}
    update = [
        {
            "$set": {
                **{key: {"$literal": _encode(value)} for key, value in changes.items()},
                "outbox": {"$concatArrays": [kept, {"$literal": _encode(effects)}]},
                "history": {"$concatArrays": [{"$ifNull": ["$history", []]}, {"$literal": [_encode(entry)]}]},
            }
        }
    ]
    if session is None:
        matched = await batch.conditional_update(
            Ticket.get_pymongo_collection(),
            ticket.id,
            {"state": ticket.state.value, "version": ticket.version},
            update,
        )
    else:  # the coalesced bulk write cannot join a transaction: a plain conditional update
        written = await Ticket.get_pymongo_collection().update_one(
            {"_id": ticket.id, "state": ticket.state.value, "version": ticket.version},
            update,
            session=session,
        )
        matched = written.matched_count == 1
    changes["outbox"] = [e for e in ticket.outbox if e.id != consumed] + effects
    if not matched:
        if session is not None:
            raw = await Ticket.get_pymongo_collection().find_one({"_id": ticket.id}, session=session)
            return TransitionResult(Ticket.model_validate(raw), applied=False)
        current = await get_ticket(ticket.id)
        log.info("ticket %s: %s lost the race (now %s)", ticket.id, trigger, current.state)
        return TransitionResult(
            current,
            applied=False,
            message=f"ticket #{current.number} was changed by someone else first "
            f"(it is now {current.state.value}); nothing was done",
        )
    moved = ticket.model_copy(update={**changes, "history": [*ticket.history, entry]})
    if session is not None:
        return TransitionResult(moved, applied=True)
    await _after(moved, trigger)
    await outbox.relay(moved.id, effects)
    return TransitionResult(moved, applied=True)


def _timer_for(ticket: Ticket, dest: TicketState, now: datetime) -> dict[str, Any]:
    """The one timer a ticket in `dest` waits on."""
    if dest is TicketState.PAID:
        return {"next_due_at": now + DELIVERY_WATCHDOG, "next_due_action": DUE_ACTION[dest]}
    if dest is TicketState.COMPLETED:
        at = now + timedelta(seconds=ticket.auto_close_s)
        return {"auto_close_at": at, "next_due_at": at, "next_due_action": DUE_ACTION[dest]}
    if dest is TicketState.CLOSED:
        return {"next_due_at": now + ARCHIVE_WATCHDOG, "next_due_action": DUE_ACTION[dest]}
    return {}


async def _after(ticket: Ticket, trigger: str) -> None:
    # The buyer's slot is not freed here: a closed ticket stops counting by itself, and
    # `buyers` prunes closed tickets from a buyer's slots when the limit is reached.
    if trigger in ("cancel", "expire"):
        await stock.release_for(ticket)
        if ticket.coupon is not None:  # its use goes back to the coupon (once: `coupons.release`)
            await coupons.release(ticket.coupon.coupon_id, ticket.id, ticket.buyer_id)


def _require(by: Actor, *kinds: str, action: str) -> None:
    if by.kind not in kinds:
        raise NotPermitted(f"only {' or '.join(k + 's' for k in kinds if k != 'system')} can {action}")


def _require_buyer_or_seller(ticket: Ticket, by: Actor, action: str) -> None:
    if by.kind == "buyer" and by.user_id != ticket.buyer_id:
        raise NotPermitted(f"only the buyer of ticket #{ticket.number} can {action}")


# --- the triggers ----------------------------------------------------------------------------


async def choose_payment_method(
    ticket_ref: TicketRef, by: Actor, method_id: PydanticObjectId | str
) -> TransitionResult:
    """The buyer picks how they will pay (shown with full instructions in the ticket)."""
    ticket = await _load(ticket_ref)
    _require_buyer_or_seller(ticket, by, "choose the payment method")
    try:
        method = await PaymentMethod.get(PydanticObjectId(method_id))
    except Exception:
        method = None
    if method is None or method.guild_id != ticket.guild_id or not method.active:
        raise InvalidInput("that payment method is not available in this store")
    return await _apply(
        ticket,
        "choose_payment_method",
        by,
        f"{method.kind.value}: {method.provider}",
        changes={"payment_method_id": method.id},
    )


async def report_payment(
    ticket_ref: TicketRef, by: Actor, reference: str, proof_ref: str | None = None
) -> TransitionResult:
    """The buyer says "I have paid", with a transfer reference and maybe a proof image."""
    ticket = await _load(ticket_ref)
    _require(by, "buyer", "seller", action="report a payment")
    _require_buyer_or_seller(ticket, by, "report its payment")
    reference = plain_text.clean(reference or "")  # no NULs or bidi overrides shown to sellers
    if not 1 <= len(reference) <= 200:
        raise InvalidInput("reference: give the transfer reference or sender name (1 to 200 characters)")
    previous = ticket.payment_report
    if previous is not None and (previous.reference, previous.proof_ref) == (reference, proof_ref):
        # The same report again ("I have paid" submitted twice): sellers were asked once.
        return TransitionResult(ticket, applied=False, message=f"ticket #{ticket.number}: already reported")
    now = utcnow()
    report = PaymentReport(
        reference=reference, proof_ref=proof_ref, reported_at=now, reported_by=by.user_id or 0
    )
    return await _apply(
        ticket,
        "report_payment",
        by,
        "payment reported",
        changes={"payment_report": report},
        effects=[outbox.entry(ActorName.VERIFY_PAYMENT)],
        now=now,
    )


async def verify(
    ticket_ref: TicketRef,
    by: Actor,
    *,
    incoming_payment_id: PydanticObjectId | None = None,
    reason: str = "",
    consumed: str | None = None,
    wallet_entry_id: PydanticObjectId | None = None,
    session: AsyncClientSession | None = None,
) -> TransitionResult:
    """Payment confirmed (by a seller, or by an automatic match): the product is delivered next.

    A buyer pays their own ticket only from their saldo: `wallet_entry_id` is the ledger's
    debit, written in the same transaction `session` (`workflows.saldo_payments.pay`)."""
    ticket = await _load(ticket_ref)
    if wallet_entry_id is not None and session is not None:
        _require(by, "buyer", action="pay from saldo")
        _require_buyer_or_seller(ticket, by, "pay it from saldo")
    else:
        _require(by, "seller", "system", action="verify payments")
    now = utcnow()
    verification = Verification(
        by=by,
        at=now,
        automatic=by.kind == "system",
        incoming_payment_id=incoming_payment_id,
        wallet_entry_id=wallet_entry_id,
    )
    changes: dict[str, Any] = {"verification": verification, "paid_at": now}
    if wallet_entry_id is not None:  # saldo pays the price: a kode unik only tells transfers apart
        changes.update(amount_due=ticket.amount_due - ticket.unique_code, unique_code=0)
    result = await _apply(
        ticket,
        "verify",
        by,
        reason or "payment verified",
        changes=changes,
        effects=[outbox.entry(ActorName.DELIVER_PRODUCT), *_settle_prompt(ticket)],
        consumed=consumed,
        now=now,
        session=session,
    )
    await _audit(ticket, result, "ticket.verified", by)
    return result


async def _audit(before: Ticket, result: TransitionResult, action: str, by: Actor, reason: str = "") -> None:
    """A seller's own act on a ticket goes in the audit log (an automatic match does not: no one
    acted); a click that changed nothing (already done) neither."""
    if by.kind != "seller" or not result.applied:
        return
    after = {"state": result.ticket.state, **({"reason": reason} if reason else {})}
    await audit.record(
        before.guild_id, by, action, subject=f"#{before.number} {before.product.name}", subject_id=before.id,
        before={"state": before.state}, after=after, always=True,
    )


async def reject_payment(ticket_ref: TicketRef, by: Actor, reason: str) -> TransitionResult:
    """The seller did not receive the money: the report is cleared and the buyer told why."""
    ticket = await _load(ticket_ref)
    _require(by, "seller", action="reject payments")
    reason = (reason or "").strip()[:500] or "payment not found"
    if ticket.state is TicketState.OPEN and already_done(ticket, "reject_payment"):
        # Rejected already (a double click, another seller): the buyer is told once.
        return TransitionResult(ticket, applied=False, message=f"ticket #{ticket.number}: already rejected")
    result = await _apply(
        ticket,
        "reject_payment",
        by,
        reason,
        changes={"payment_report": None},
        effects=[
            outbox.entry(
                ActorName.NOTIFY_TICKET, notice="payment_rejected", reason=reason, nonce=outbox.nonce("n")
            ),
            *_settle_prompt(ticket),
        ],
    )
    await _audit(ticket, result, "ticket.rejected", by, reason)
    return result


def _settle_prompt(ticket: Ticket) -> list[OutboxEntry]:
    """The follow-up that edits the sellers' "please verify" prompt to say how it ended
    (`workers.prompts`), when a report may have one."""
    if ticket.payment_report is None and ticket.verify_prompt_id is None:
        return []
    return [outbox.entry(ActorName.SETTLE_PAYMENT_PROMPT)]


async def complete(
    ticket_ref: TicketRef,
    delivery: DeliveryRecord,
    *,
    consumed: str | None = None,
    by: Actor | None = None,
    handed_over: bool = False,
) -> TransitionResult:
    """The product reached the buyer: ask for a rating and start the auto-close timer.

    `handed_over`: the ticket's stock already left the shelf (`stock.hand_over`); otherwise the
    sweeper settles it (`stock.settle_deliveries`)."""
    ticket = await _load(ticket_ref)
    settle = {} if handed_over else {"settle_pending": True}
    return await _apply(
        ticket,
        "complete",
        by or Actor.system(ActorName.DELIVER_PRODUCT.value),
        f"delivered by {delivery.via}",
        changes={"delivery": delivery, "completed_at": delivery.delivered_at, **settle},
        effects=[outbox.entry(ActorName.PROMPT_RATING)],
        consumed=consumed,
    )


async def deliver_manually(ticket_ref: TicketRef, by: Actor, note: str = "") -> TransitionResult:
    """A seller delivered a paid ticket's product themselves (e.g. a manual product): record it
    and complete the ticket, exactly as the bot's delivery would."""
    ticket = await _load(ticket_ref)
    _require(by, "seller", action="deliver products")
    record = DeliveryRecord(
        via="manual", item_count=ticket.quantity, delivered_at=utcnow(), note=note.strip()[:500]
    )
    handed_over = ticket.state is TicketState.PAID  # else `complete` refuses below
    if handed_over:
        await stock.hand_over(ticket)
    result = await complete(ticket, record, by=by, handed_over=handed_over)
    await _audit(ticket, result, "ticket.delivered", by, record.note)
    return result


async def close(ticket_ref: TicketRef, by: Actor, reason: str = "") -> TransitionResult:
    """Close a completed ticket: its transcript is archived and its channel removed."""
    ticket = await _load(ticket_ref)
    _require_buyer_or_seller(ticket, by, "close it")
    return await _end(ticket, "close", by, reason or "closed", TicketOutcome.COMPLETED)


async def cancel(ticket_ref: TicketRef, by: Actor, reason: str = "") -> TransitionResult:
    """Cancel a ticket before delivery; its stock goes back on the shelf.

    A buyer may cancel their own unpaid ticket; a seller may also cancel a paid one (after
    refunding it) when the product cannot be delivered.
    """
    ticket = await _load(ticket_ref)
    _require_buyer_or_seller(ticket, by, "cancel it")
    if by.kind == "buyer" and ticket.state is TicketState.PAID:
        raise NotPermitted("this ticket is already paid; ask the seller to cancel and refund it")
    result = await _end(ticket, "cancel", by, reason or "cancelled", TicketOutcome.CANCELLED)
    await _audit(ticket, result, "ticket.cancelled", by, reason)
    return result


async def expire(ticket_ref: TicketRef, *, now: datetime | None = None) -> TransitionResult:
    """An unpaid ticket ran out of time; its stock goes back on the shelf."""
    ticket = await _load(ticket_ref)
    now = now or utcnow()
    if ticket.state is TicketState.OPEN and ticket.expires_at and ticket.expires_at > now:
        raise TransitionNotAllowed(
            f"ticket #{ticket.number} does not expire until {ticket.expires_at:%H:%M:%S}"
        )
    by = Actor.system("expiry timer")
    return await _end(ticket, "expire", by, "unpaid past the store's expiry", TicketOutcome.EXPIRED, now)


async def _end(
    ticket: Ticket, trigger: str, by: Actor, reason: str, outcome: TicketOutcome, now: datetime | None = None
) -> TransitionResult:
    """Every way into `closed`: the outcome is recorded and the transcript archived."""
    now = now or utcnow()
    effects = [outbox.entry(ActorName.ARCHIVE_TRANSCRIPT)]
    if trigger == "cancel" and ticket.verification is not None and ticket.verification.wallet_entry_id:
        # Paid from saldo: the money goes back unless the product may have left (written with
        # the cancel, so a crash right after it still refunds: `workflows.saldo_payments`).
        effects.append(outbox.entry(ActorName.REFUND_SALDO))
    if trigger == "close" and ticket.rating is None:
        # The prompt in the ticket's channel goes with the channel: ask the buyer by DM, once.
        effects.append(outbox.entry(ActorName.PROMPT_RATING, by_dm=True))
    return await _apply(
        ticket,
        trigger,
        by,
        reason,
        changes={"outcome": outcome, "closed_at": now},
        effects=effects,
        now=now,
    )


_BY_NAME = {
    "choose_payment_method": choose_payment_method,
    "report_payment": report_payment,
    "verify": verify,
    "reject_payment": reject_payment,
    "close": close,
    "cancel": cancel,
}


async def fire(ticket_ref: TicketRef, trigger: str, by: Actor, **arguments: Any) -> TransitionResult:
    """Fire a trigger by name (dashboard and API entry point); unknown names are refused."""
    if trigger not in TRIGGERS:
        raise UnknownTrigger(f"'{trigger}' is not something that can happen to a ticket")
    if trigger not in _BY_NAME:
        raise NotPermitted(f"'{trigger}' is done by the store itself, not by a person")
    return await _BY_NAME[trigger](ticket_ref, by, **arguments)
