"""Top-ups (issue 21, item 2): a buyer adds saldo by paying the store like they pay a ticket.

The rules, in the shop's words:
  * A top-up request asks for the amount the buyer wants plus a kode unik (1..999), an amount no
    open ticket and no other open top-up of the store asks for, so a bank transfer is matched to
    it by its exact amount. Where the store has QRIS, the buyer also gets a dynamic QRIS for
    exactly that amount. The kode unik is credited too: the buyer paid it.
  * It is paid by the same ways a ticket is: a bank-mutation webhook (`bank_mutations.record`),
    a gateway callback naming the top-up (`gateway_callbacks.settle`), or a seller who checked
    the bank by hand (`verify_by_seller`). Whichever comes, and however often, the top-up is
    credited once: its open → credited change, the wallet's credit ("topup:<id>") and the
    payment's binding are one MongoDB transaction, each a conditional write, so two deliveries
    racing conflict and the second finds it already credited.
  * A transfer that matches both an open ticket and an open top-up (a ticket opened at the same
    moment with the same amount) is not guessed at: it waits on the Payments page.
  * Money that paid nothing (no match, an over-payment, a ticket that had already closed) can be
    credited to the payer's saldo by a seller in one call (`credit_payment`), and automatically
    for gateway money of a closed ticket and over-payments when the store chose so
    (`Store.auto_credit_overpayments`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from beanie import PydanticObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models.incoming_payment import IncomingPayment
from models.payment_method import PaymentKind, PaymentMethod
from models.store import Store, utcnow
from models.ticket import Actor, Ticket, TicketState
from models.topup import TopUp, TopUpState
from models.wallet import EntryKind, WalletEntry
from workflows import audit, qris, wallet
from workflows.errors import InvalidInput, StoreError
from workflows.money import format_amount
from workflows.unique_code import MAX_CODE, free_codes, pick_code
from workflows.wallet import By, WalletRefused

MIN_AMOUNT = 1_000  # Rp 1.000: below this a bank transfer costs more than it adds
MAX_AMOUNT = 100_000_000  # Rp 100.000.000 per request: a typing slip must not ask for more
# Statuses of a payment that paid nothing yet (the Payments page lists them).
UNUSED = ("unmatched", "ambiguous")


@dataclass(frozen=True)
class Credited:
    """What crediting a top-up did: `entry` is its one ledger entry; `now` says this call made
    it (False: it had been credited before, by this payment or another delivery of it)."""

    topup: TopUp
    entry: WalletEntry | None
    now: bool


def _expiry(store: Store) -> timedelta:
    return timedelta(seconds=store.tickets.unpaid_expiry_s)


async def amounts_in_use(guild_id: int, low: int, high: int, now: datetime | None = None) -> list[int]:
    """Amounts open top-ups of the store ask for, in (low, high]: a new ticket avoids them."""
    return await TopUp.get_pymongo_collection().distinct(
        "amount_due",
        {
            "guild_id": guild_id,
            "state": TopUpState.OPEN.value,
            "expires_at": {"$gt": now or utcnow()},
            "amount_due": {"$gt": low, "$lte": high},
        },
    )


async def _expire_old(guild_id: int, now: datetime) -> None:
    """Top-ups nobody paid in time give their amount back (state expired)."""
    await TopUp.get_pymongo_collection().update_many(
        {"guild_id": guild_id, "state": TopUpState.OPEN.value, "expires_at": {"$lte": now}},
        {"$set": {"state": TopUpState.EXPIRED.value}},
    )


async def _method(store: Store, method_id: PydanticObjectId | str | None) -> PaymentMethod | None:
    if method_id is None:
        return None
    try:
        oid = PydanticObjectId(method_id)
    except Exception:
        raise WalletRefused(key="no_method") from None
    method = await PaymentMethod.find_one({"_id": oid, "guild_id": store.guild_id, "active": True})
    if method is None:
        raise WalletRefused(key="no_method")
    return method


async def _qris_for(store: Store, chosen: PaymentMethod | None) -> PaymentMethod | None:
    """The QRIS to show: the chosen method if it is QRIS; with none chosen, the store's first."""
    if chosen is not None:
        return chosen if chosen.kind is PaymentKind.QRIS else None
    return await PaymentMethod.find_one(
        {"guild_id": store.guild_id, "active": True, "kind": PaymentKind.QRIS.value}, sort=[("order", 1)]
    )


async def request(
    store: Store,
    buyer_id: int,
    amount: int,
    *,
    buyer_name: str = "",
    method_id: PydanticObjectId | str | None = None,
    now: datetime | None = None,
) -> TopUp:
    """A buyer asks to add `amount` to their saldo: the top-up with its unique amount to pay
    (and a dynamic QRIS for it where the store has QRIS). Raises WalletRefused for an amount
    out of range, NoUniqueAmountLeft-like refusal when every code is taken."""
    if isinstance(amount, bool) or not isinstance(amount, int) or not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        raise WalletRefused(
            key="topup_range",
            least=format_amount(MIN_AMOUNT, store.currency),
            most=format_amount(MAX_AMOUNT, store.currency),
        )
    now = now or utcnow()
    chosen = await _method(store, method_id)
    shown_qris = await _qris_for(store, chosen)
    await _expire_old(store.guild_id, now)
    await wallet.remember_name(store.guild_id, buyer_id, buyer_name)
    for _attempt in range(20):
        in_use = await amounts_in_use(store.guild_id, amount, amount + MAX_CODE, now)
        in_use += await Ticket.get_pymongo_collection().distinct(
            "amount_due",
            {
                "guild_id": store.guild_id,
                "state": TicketState.OPEN.value,
                "amount_due": {"$gt": amount, "$lte": amount + MAX_CODE},
            },
        )
        candidates = free_codes(amount, in_use)
        if not candidates:
            break
        code = pick_code(candidates)
        topup = TopUp(
            guild_id=store.guild_id,
            buyer_id=buyer_id,
            buyer_name=(buyer_name or "")[:100],
            amount=amount,
            unique_code=code,
            amount_due=amount + code,
            currency=store.currency,
            method_id=chosen.id if chosen else None,
            created_at=now,
            expires_at=now + _expiry(store),
        )
        if shown_qris is not None and "payload" in shown_qris.details:
            try:
                topup.qris_payload = qris.with_amount(shown_qris.details["payload"], topup.amount_due)
            except InvalidInput:
                topup.qris_payload = None  # a broken stored QRIS: the bank accounts still work
        try:
            await topup.insert()
        except DuplicateKeyError as error:
            if "open_topup_amount_unique" in str(error):
                continue  # another top-up took this amount a moment ago: pick again
            raise
        return topup
    raise WalletRefused(key="no_code")


async def get(guild_id: int, topup_id: PydanticObjectId | str) -> TopUp:
    """A top-up of this store, or WalletRefused(no_topup)."""
    try:
        oid = PydanticObjectId(topup_id)
    except Exception:
        raise WalletRefused(key="no_topup") from None
    found = await TopUp.find_one({"_id": oid, "guild_id": guild_id})
    if found is None:
        raise WalletRefused(key="no_topup")
    return found


async def open_for(guild_id: int, amount: int, now: datetime | None = None) -> list[TopUp]:
    """Open top-ups asking for exactly `amount` (at most 2: one is a match, two never happen)."""
    return await TopUp.find(
        {
            "guild_id": guild_id,
            "state": TopUpState.OPEN.value,
            "amount_due": amount,
            "expires_at": {"$gt": now or utcnow()},
        }
    ).to_list(2)


async def _credit(
    topup: TopUp, payment_id: PydanticObjectId | None, by: By, *, states: tuple[TopUpState, ...]
) -> Credited:
    """Credit the top-up once: wallet entry "topup:<id>", top-up → credited, payment bound to it,
    in one transaction; each write conditional, so a second delivery changes nothing."""
    by_id = by if isinstance(by, int) else (by.user_id if isinstance(by, Actor) else None)

    class AlreadyDone(Exception):
        pass

    async def work(session: AsyncClientSession) -> WalletEntry:
        entry = await wallet.credit(
            topup.guild_id,
            topup.buyer_id,
            topup.amount_due,
            kind=EntryKind.TOPUP,
            ref=f"topup:{topup.id}",
            by=by,
            session=session,
        )
        moved = await TopUp.get_pymongo_collection().update_one(
            {"_id": topup.id, "state": {"$in": [s.value for s in states]}},
            {
                "$set": {
                    "state": TopUpState.CREDITED.value,
                    "incoming_payment_id": payment_id,
                    "entry_id": entry.id,
                    "credited_by": by_id,
                    "credited_at": utcnow(),
                }
            },
            session=session,
        )
        if moved.modified_count != 1:
            raise AlreadyDone  # credited before (or expired for an automatic match): undo all
        if payment_id is not None:
            bound = await IncomingPayment.get_pymongo_collection().update_one(
                {
                    "_id": payment_id,
                    "ticket_id": None,
                    "topup_id": {"$in": [None, topup.id]},
                    "status": {"$ne": "credited"},
                },
                {"$set": {"topup_id": topup.id, "status": "matched"}},
                session=session,
            )
            if bound.matched_count != 1:
                raise WalletRefused(key="payment_used")
        return entry

    try:
        entry = await wallet.in_transaction(work)
    except AlreadyDone:
        current = await TopUp.get(topup.id)
        assert current is not None
        done = await WalletEntry.find_one({"guild_id": topup.guild_id, "ref": f"topup:{topup.id}"})
        return Credited(current, done, False)
    current = await TopUp.get(topup.id)
    assert current is not None
    return Credited(current, entry, True)


async def pay_with(topup: TopUp, payment: IncomingPayment) -> Credited:
    """Money matched automatically (a bank mutation, a gateway callback) pays the top-up."""
    return await _credit(topup, payment.id, None, states=(TopUpState.OPEN,))


async def pay_named(topup: TopUp, payment: IncomingPayment) -> Credited:
    """Money that names the top-up (a gateway's order id) pays it, even past its expiry: the
    buyer paid this very request."""
    return await _credit(topup, payment.id, None, states=(TopUpState.OPEN, TopUpState.EXPIRED))


async def named(guild_id: int, ref: str) -> TopUp | None:
    """The top-up a gateway's order id names, if it is one of this store's."""
    try:
        oid = PydanticObjectId(ref)
    except Exception:
        return None
    return await TopUp.find_one({"_id": oid, "guild_id": guild_id})


async def finish(payment: IncomingPayment) -> Credited | None:
    """A payment recorded for a top-up whose credit did not happen (the process died between the
    two): credit it now. Called when the same payment is delivered again."""
    if payment.topup_id is None:
        return None
    topup = await TopUp.get(payment.topup_id)
    if topup is None or topup.state is TopUpState.CREDITED:
        return None
    return await _credit(topup, payment.id, None, states=(TopUpState.OPEN, TopUpState.EXPIRED))


async def verify_by_seller(
    guild_id: int,
    topup_id: PydanticObjectId | str,
    by: Actor,
    *,
    payment_id: PydanticObjectId | str | None = None,
) -> Credited:
    """A seller saw the money (on the bank's app, or as a payment on the Payments page, named by
    `payment_id`) and credits the top-up. An expired top-up can be credited this way too: the
    seller saw the money. Crediting twice changes nothing."""
    if by.kind != "seller":
        raise WalletRefused(key="sellers_only")
    topup = await get(guild_id, topup_id)
    payment_oid: PydanticObjectId | None = None
    if payment_id is not None:
        try:
            payment_oid = PydanticObjectId(payment_id)
        except Exception:
            raise WalletRefused(key="payment_used") from None
        if await IncomingPayment.find_one({"_id": payment_oid, "guild_id": guild_id}) is None:
            raise WalletRefused(key="payment_used")
    done = await _credit(topup, payment_oid, by, states=(TopUpState.OPEN, TopUpState.EXPIRED))
    if done.now:
        await audit.record(
            guild_id,
            by,
            "wallet.topup_verified",
            subject=topup.buyer_name or await wallet.buyer_name(guild_id, topup.buyer_id),
            subject_id=topup.id,
            before={"state": topup.state.value},
            after={"state": done.topup.state.value, "amount": topup.amount_due},
        )
    return done


async def for_buyer(guild_id: int, buyer_id: int, limit: int = 10) -> list[TopUp]:
    """The buyer's top-ups, newest first."""
    return (
        await TopUp.find({"guild_id": guild_id, "buyer_id": buyer_id})
        .sort("-created_at")
        .limit(limit)
        .to_list()
    )


async def open_topups(guild_id: int, limit: int = 100) -> list[TopUp]:
    """Top-ups waiting for money (for a seller verifying by hand), newest first."""
    return (
        await TopUp.find(
            {"guild_id": guild_id, "state": TopUpState.OPEN.value, "expires_at": {"$gt": utcnow()}}
        )
        .sort("-created_at")
        .limit(limit)
        .to_list()
    )


# --- telling the buyer -------------------------------------------------------------------------


async def to_notify(limit: int = 100) -> list[TopUp]:
    """Credited top-ups whose buyer has not been told yet, oldest first (for the DM sender)."""
    return (
        await TopUp.find({"state": TopUpState.CREDITED.value, "notified_at": None})
        .sort("credited_at")
        .limit(limit)
        .to_list()
    )


async def mark_notified(topup_id: PydanticObjectId) -> bool:
    """Record that the buyer was told; True only for the one caller that recorded it, so two
    senders racing send one DM when each claims before sending."""
    changed = await TopUp.get_pymongo_collection().update_one(
        {"_id": topup_id, "state": TopUpState.CREDITED.value, "notified_at": None},
        {"$set": {"notified_at": utcnow()}},
    )
    return changed.modified_count == 1


# --- money that paid nothing, credited to saldo -------------------------------------------------


@dataclass(frozen=True)
class PaymentCredit:
    """The part of a payment that became saldo, and whose."""

    entry: WalletEntry
    buyer_id: int
    amount: int
    now: bool


async def creditable(payment: IncomingPayment) -> tuple[int | None, int, Ticket | None]:
    """Who a payment can be credited to and how much: (buyer or None when unknown, amount, the
    ticket it concerns). An unmatched payment: all of it, to the buyer of the ticket it was for
    (gateway money for a closed ticket) if known. A payment that paid a ticket: what it paid
    beyond the ticket's amount due (an over-payment), to that ticket's buyer."""
    if payment.topup_id is not None or payment.status == "credited":
        return None, 0, None
    if payment.ticket_id is not None:
        ticket = await Ticket.get(payment.ticket_id)
        if ticket is None:
            return None, 0, None
        return ticket.buyer_id, max(payment.amount - ticket.amount_due, 0), ticket
    ticket = None
    if payment.ticket_number is not None:
        ticket = await Ticket.find_one({"guild_id": payment.guild_id, "number": payment.ticket_number})
    return (ticket.buyer_id if ticket else None), payment.amount, ticket


async def credit_payment(
    guild_id: int,
    payment_id: PydanticObjectId | str,
    *,
    by: By,
    buyer_id: int | None = None,
    reason: str = "",
) -> PaymentCredit:
    """Put money that paid nothing (or the over-paid part of a payment) on a buyer's saldo, once
    ("payment:<id>"). `buyer_id`: whose, when the payment does not say (a bank transfer that
    matched nothing); otherwise the ticket's buyer. `by` None: the store did it by itself (the
    `auto_credit_overpayments` setting)."""
    try:
        oid = PydanticObjectId(payment_id)
    except Exception:
        raise WalletRefused(key="no_payment") from None
    payment = await IncomingPayment.find_one({"_id": oid, "guild_id": guild_id})
    if payment is None:
        raise WalletRefused(key="no_payment")
    done = await WalletEntry.find_one({"guild_id": guild_id, "ref": f"payment:{oid}"})
    if done is not None:
        return PaymentCredit(done, done.buyer_id, done.amount, False)
    known, amount, ticket = await creditable(payment)
    whose = known if known is not None else buyer_id
    if amount <= 0:
        raise WalletRefused(key="payment_used")
    if whose is None:
        raise WalletRefused(key="whose")
    unused = payment.ticket_id is None

    async def work(session: AsyncClientSession) -> WalletEntry:
        entry = await wallet.credit(
            guild_id,
            whose,
            amount,
            kind=EntryKind.CREDIT,
            ref=f"payment:{oid}",
            reason=reason or payment.reference,
            by=by,
            ticket_id=ticket.id if ticket else None,
            session=session,
        )
        match: dict[str, Any] = {"_id": oid, "topup_id": None, "status": {"$ne": "credited"}}
        change: dict[str, Any] = {"credited_to": whose}
        if unused:  # the whole payment becomes saldo: it leaves the Payments page's list
            match.update(ticket_id=None, status={"$in": list(UNUSED)})
            change["status"] = "credited"
        bound = await IncomingPayment.get_pymongo_collection().update_one(
            match, {"$set": change}, session=session
        )
        if bound.matched_count != 1:
            raise WalletRefused(key="payment_used")  # matched or credited a moment ago: undo
        return entry

    try:
        entry = await wallet.in_transaction(work)
    except DuplicateKeyError:
        entry = await WalletEntry.find_one({"guild_id": guild_id, "ref": f"payment:{oid}"})
        if entry is None:
            raise
        return PaymentCredit(entry, entry.buyer_id, entry.amount, False)
    await audit.record(
        guild_id,
        wallet.actor_of(by) or Actor.system("auto credit"),
        "wallet.payment_credited",
        subject=await wallet.buyer_name(guild_id, whose),
        subject_id=oid,
        after={"amount": amount, "ticket": f"#{ticket.number}" if ticket else None},
        always=True,
    )
    return PaymentCredit(entry, whose, amount, True)


async def auto_credit(store: Store, payment: IncomingPayment) -> PaymentCredit | None:
    """When the store chose so, credit money the store could not use to the buyer it came from
    (gateway money for a closed ticket, an over-payment). Nothing when the buyer is unknown."""
    if not store.auto_credit_overpayments:
        return None
    known, amount, _ticket = await creditable(payment)
    if known is None or amount <= 0:
        return None
    try:
        return await credit_payment(store.guild_id, payment.id, by=None)
    except StoreError:
        return None  # matched or credited by a seller at the same moment
