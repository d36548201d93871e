"""Paying a ticket from the buyer's saldo, and refunding a paid ticket to it (issue 21, items 3-4).

Paying: the ledger's debit ("purchase:<ticket>") and the ticket's `open → paid` are written in
ONE MongoDB transaction, with the ticket's `deliver_product` outbox entry. So there is never a
debit without a paid ticket waiting for its delivery, nor a paid ticket without its debit; the
outbox and the delivery watchdog then carry the ticket to `completed` exactly as any verified
ticket (`workflows.tickets`): a worker killed after the payment leaves the entry on the ticket,
and the next worker delivers it once (the DM's nonce and `complete` happen once). A seller
who cancels it gets the buyer the key or the money, never neither, never both
(`refund_cancelled`, run by the cancel's `refund_saldo` follow-up).

Refunding: a seller gives money of a paid ticket back to the buyer's saldo, in full or in part.
The ledger's credit ("refund:<ticket>:<n>", the ticket's n-th refund), the ticket's refund
record with `refunded` raised, and a history entry are written in ONE transaction whose ticket
write holds only while `refunded + amount` stays within what was paid; two sellers refunding
at once conflict on the ticket, and the transaction that retries sees the first refund.
"""

from __future__ import annotations

from typing import Any

from beanie import PydanticObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models.product import DeliveryMode
from models.stock_item import StockItem, StockItemStatus
from models.store import utcnow
from models.ticket import Actor, HistoryEntry, OutboxEntry, Refund, Ticket, TicketState
from models.wallet import EntryKind, Wallet
from workflows import audit, outbox, tickets, wallet
from workflows.actor_names import ActorName
from workflows.discord_contract import components, custom_ids
from workflows.discord_contract.components import ButtonStyle, Component
from workflows.discord_contract.custom_ids import Action
from workflows.errors import NotPermitted, StoreError
from workflows.i18n import text
from workflows.money import format_amount
from workflows.tickets import TicketRef, TransitionResult

# The method a receipt names for a ticket paid from saldo (it has no payment method).
SALDO = "Saldo"
# The reason the `verify` history entry of a saldo payment records (`workflows.ticket_story`).
PAID_FROM_SALDO = "paid from saldo"
REFUND_TRIGGER = "refund"  # the history entry of a refund (not a state change)
REFUND_REASON_MAX = 500
CANCELLED_REASON = "cancelled before delivery"


class SaldoRefused(StoreError):
    """Why a ticket was not paid from saldo or not refunded, in the reader's language
    (`saldo_s2.refused.<key>`); amounts in `values` are already written ("Rp 50.000")."""

    code = "saldo_refused"

    def _text(self, locale: str) -> str:
        return text(locale, f"saldo_s2.refused.{self.key}", **self.values)


def paid_from_saldo(ticket: Ticket) -> bool:
    """Whether the ticket was paid from its buyer's saldo."""
    return ticket.verification is not None and ticket.verification.wallet_entry_id is not None


def refundable(ticket: Ticket) -> int:
    """How much of the ticket's payment can still go back to saldo: what was paid (its amount
    due, once verified; from saldo, without a kode unik) minus what was refunded already; 0
    for an unpaid ticket."""
    if ticket.verification is None:
        return 0
    return max(0, ticket.amount_due - ticket.refunded)


async def can_pay(ticket: Ticket, balance: int | None = None) -> bool:
    """Whether the buyer may press "Pay with saldo" now: the ticket waits for its payment (no
    transfer reported) and the buyer's balance covers the amount due."""
    if ticket.state is not TicketState.OPEN or ticket.payment_report is not None:
        return False
    if balance is None:
        balance = await wallet.balance(ticket.guild_id, ticket.buyer_id)
    return covers(ticket, balance)


def price(ticket: Ticket) -> int:
    """What paying `ticket` from saldo costs: its amount due without the kode unik, which only
    tells bank transfers of the same price apart (a coupon's discount stays in)."""
    return ticket.amount_due - ticket.unique_code


def covers(ticket: Ticket, balance: int) -> bool:
    """`can_pay` with the balance already known (a message drawn without a database read)."""
    waiting = ticket.state is TicketState.OPEN and ticket.payment_report is None
    return waiting and balance >= price(ticket)


def pay_button(locale: str, ticket: Ticket, balance: int) -> Component:
    """The ticket's "Pay with saldo (Rp 125.000)" button, its label showing the balance."""
    label = text(locale, "saldo_s2.pay_button", balance=format_amount(balance, ticket.currency))
    return components.button(custom_ids.ticket(Action.PAY_SALDO, ticket.id), label, ButtonStyle.PRIMARY)


async def _read(ticket_id: PydanticObjectId, session: AsyncClientSession) -> Ticket:
    raw = await Ticket.get_pymongo_collection().find_one({"_id": ticket_id}, session=session)
    if raw is None:  # the caller loaded it a moment ago; tickets are never deleted
        raise SaldoRefused(key="not_open", number="?")
    return Ticket.model_validate(raw)


# --- paying --------------------------------------------------------------------------------


async def pay(ticket_ref: TicketRef, by: Actor) -> TransitionResult:
    """The buyer pays their open ticket from their saldo: "Pay with saldo".

    One transaction debits its `price` (InsufficientSaldo, saying the balance, when it does
    not cover it) and verifies the ticket with that debit, its amount due now that price; the
    delivery follows as for any verified ticket. Pressed twice, or after the ticket was paid
    from saldo already: the same result, debited once (`applied` False the second time).
    Refused (SaldoRefused) for another buyer, for a ticket no longer waiting for payment, or
    one whose transfer was reported."""
    ticket = ticket_ref if isinstance(ticket_ref, Ticket) else await tickets.get_ticket(ticket_ref)
    if by.kind != "buyer" or by.user_id != ticket.buyer_id:
        raise SaldoRefused(key="not_yours")

    async def work(session: AsyncClientSession) -> tuple[TransitionResult, list[OutboxEntry]]:
        current = await _read(ticket.id, session)
        if paid_from_saldo(current):
            return TransitionResult(current, applied=False, message="already paid from saldo"), []
        _check_payable(current)
        entry = await wallet.debit(
            current.guild_id,
            current.buyer_id,
            price(current),
            kind=EntryKind.PURCHASE,
            ref=f"purchase:{current.id}",
            reason=f"#{current.number} {current.product.name} × {current.quantity}",
            ticket_id=current.id,
            session=session,
        )
        result = await tickets.verify(
            current, by, reason=PAID_FROM_SALDO, wallet_entry_id=entry.id, session=session
        )
        if not result.applied:  # moved meanwhile: abort, so the debit goes with it
            raise _Moved(result.ticket)
        known = {e.id for e in current.outbox}
        return result, [e for e in result.ticket.outbox if e.id not in known]

    try:
        result, effects = await wallet.in_transaction(work)
    except _Moved as moved:
        _check_payable(moved.ticket)  # says why (paid by transfer, cancelled, expired)
        raise SaldoRefused(key="changed") from None
    except DuplicateKeyError:
        # A copy of this click committed the same purchase first: it is paid, once.
        current = await tickets.get_ticket(ticket.id)
        if not paid_from_saldo(current):
            raise
        return TransitionResult(current, applied=False, message="already paid from saldo")
    # Only now, committed: a worker handed the delivery before the commit would find it open.
    await outbox.relay(result.ticket.id, effects)
    return result


class _Moved(Exception):
    """The ticket changed between the transaction's read and its write: roll back the debit."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__(f"ticket {ticket.id} moved")
        self.ticket = ticket


def _check_payable(ticket: Ticket) -> None:
    if ticket.state is not TicketState.OPEN:
        raise SaldoRefused(key="not_open", number=ticket.number)
    if ticket.payment_report is not None:
        # A transfer the sellers are checking: paying again from saldo would pay twice.
        raise SaldoRefused(key="reported", number=ticket.number)


# --- refunds -------------------------------------------------------------------------------


async def refund(ticket_ref: TicketRef, amount: int, *, by: Actor, reason: str = "") -> Refund:
    """A seller gives `amount` of a paid ticket back to its buyer's saldo (all or part of it).

    Refused (SaldoRefused) for an unpaid ticket and for more than `refundable(ticket)`; only
    sellers refund (NotPermitted). The ticket's history, its refunds and the ledger record it,
    and the audit log names the seller."""
    if by.kind != "seller":
        raise NotPermitted("only sellers can refund tickets")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise SaldoRefused(key="amount")
    reason = (reason or "").strip()[:REFUND_REASON_MAX]
    ticket = ticket_ref if isinstance(ticket_ref, Ticket) else await tickets.get_ticket(ticket_ref)
    await _wallet_exists(ticket)

    told: list[OutboxEntry] = []  # the buyer is told by DM: a follow-up written with the refund

    async def work(session: AsyncClientSession) -> tuple[Ticket, Refund]:
        told.clear()  # a retried transaction writes its own
        return await _refund_in(session, ticket.id, amount, by, reason, told)

    before, record = await wallet.in_transaction(work)
    await outbox.relay(ticket.id, told)
    await _audit(before, record)
    return record


async def handed_over(ticket: Ticket) -> bool:
    """Whether a delivery took the ticket's keys off the shelf (`stock.hand_over`, just before
    sending): then they may be in the buyer's DMs. Never for a manual product (its delivery is
    the seller's note, not the service)."""
    if ticket.product.delivery_mode is DeliveryMode.MANUAL:
        return False
    taken = await StockItem.find_one({"ticket_id": ticket.id, "status": StockItemStatus.DELIVERED.value})
    return taken is not None


async def refund_cancelled(ticket: Ticket, *, unreachable: bool = False) -> Refund | None:
    """A ticket paid from saldo was cancelled by a seller (the `refund_saldo` follow-up of the
    cancel): what is left of its payment goes back to the buyer's saldo, unless its product may
    have reached the buyer; then the seller decides (the ticket shows whether the delivery was
    sent, and `refund` is one click). None when nothing was refunded now.

    A delivery marks the ticket's keys delivered (`stock.hand_over`) before it sends anything,
    and sends nothing once the ticket is no longer paid. So no key of the ticket marked
    delivered means none was sent, nor ever will be. A manual product's delivery is the
    seller's note, not the service: refunded unless a delivery was recorded. Run again (a
    retried message), it finds nothing left to refund. Keys handed over without a recorded
    delivery are finished by the worker instead (`workers.actors.refund_saldo`); `unreachable`:
    that failed because Discord refuses the buyer's DMs and the ticket has no channel (bought
    from the panel), as every attempt before it did, so the money goes back. (The one case
    this misses: a DM that left while the buyer's DMs were open, from a worker killed before
    recording it, and DMs closed since.)"""
    if not paid_from_saldo(ticket) or refundable(ticket) == 0 or ticket.delivery is not None:
        return None
    if not unreachable and await handed_over(ticket):
        return None
    await _wallet_exists(ticket)
    cancel = next((h for h in reversed(ticket.history) if h.trigger == "cancel"), None)
    by = cancel.by if cancel is not None else Actor.system("cancel")

    async def work(session: AsyncClientSession) -> tuple[Ticket, Refund]:
        return await _refund_in(session, ticket.id, None, by, CANCELLED_REASON)

    try:
        before, record = await wallet.in_transaction(work)
    except SaldoRefused:  # a seller refunded the rest meanwhile: nothing left to give back
        return None
    await _audit(before, record)
    return record


async def _wallet_exists(ticket: Ticket) -> None:
    """The buyer's wallet is made (if missing) before a transaction credits it: made inside,
    after the transaction's first read, the transaction would not see it."""
    try:
        await Wallet.get_pymongo_collection().update_one(
            {"guild_id": ticket.guild_id, "buyer_id": ticket.buyer_id},
            {"$setOnInsert": {"balance": 0, "buyer_name": ticket.buyer_name, "updated_at": utcnow()}},
            upsert=True,
        )
    except DuplicateKeyError:
        pass  # made at this moment by someone else: that is all we need


async def _refund_in(
    session: AsyncClientSession,
    ticket_id: PydanticObjectId,
    amount: int | None,
    by: Actor,
    reason: str,
    told: list[OutboxEntry] | None = None,
) -> tuple[Ticket, Refund]:
    """The refund's writes in the caller's transaction: the ledger's credit, the ticket's
    refund record with `refunded` raised, its history entry and, given `told`, the follow-up
    that tells the buyer (added to `told` for the caller to relay after the commit). `amount`
    None: all that is left to refund. Returns the ticket as it was."""
    current = await _read(ticket_id, session)
    if current.verification is None:
        raise SaldoRefused(key="unpaid", number=current.number)
    left = refundable(current)
    amount = left if amount is None else amount
    if amount > left or amount <= 0:
        raise SaldoRefused(
            key="too_much",
            number=current.number,
            amount=format_amount(amount, current.currency),
            left=format_amount(left, current.currency),
        )
    number = len(current.refunds) + 1
    entry = await wallet.credit(
        current.guild_id,
        current.buyer_id,
        amount,
        kind=EntryKind.REFUND,
        ref=f"refund:{current.id}:{number}",
        reason=reason or f"#{current.number} {current.product.name}",
        by=by if by.kind == "seller" else None,
        ticket_id=current.id,
        session=session,
    )
    now = utcnow()
    record = Refund(amount=amount, at=now, by=by, reason=reason, wallet_entry_id=entry.id)
    tell = outbox.entry(ActorName.TELL_REFUND, refund=str(entry.id)) if told is not None else None
    story = HistoryEntry(
        at=now,
        trigger=REFUND_TRIGGER,
        source=current.state,
        dest=current.state,
        by=by,
        reason=format_amount(amount, current.currency),
    )
    # Not a transition: the state and version stay (a concurrent transition keeps its race).
    # The filter re-checks what the read saw, so the write can never go past the amount paid.
    written = await Ticket.get_pymongo_collection().update_one(
        {
            "_id": current.id,
            # A ticket from before refunds has neither field: null matches a missing one.
            "refunded": current.refunded or {"$in": [0, None]},
            f"refunds.{number - 1}": {"$exists": False},
        },
        {
            "$inc": {"refunded": amount},
            "$push": {
                "refunds": record.model_dump(),
                "history": story.model_dump(),
                **({"outbox": tell.model_dump()} if tell is not None else {}),
            },
            "$set": {"updated_at": now},
        },
        session=session,
    )
    if written.matched_count != 1:
        raise SaldoRefused(key="changed")
    if told is not None and tell is not None:
        told.append(tell)
    return current, record


async def _audit(before: Ticket, record: Refund) -> None:
    if record.by.kind != "seller":
        return
    after = before.refunded + record.amount
    await audit.record(
        before.guild_id,
        record.by,
        "ticket.refunded",
        subject=f"#{before.number} {before.product.name}",
        subject_id=before.id,
        before={"refunded": format_amount(before.refunded, before.currency)},
        after={
            "refunded": format_amount(after, before.currency),
            **({"reason": record.reason} if record.reason else {}),
        },
        always=True,
    )


def refund_values(ticket: Ticket) -> dict[str, Any]:
    """What a page or a message says about a ticket's refunds: paid, refunded, still refundable."""
    paid = ticket.amount_due if ticket.verification is not None else 0
    return {
        "paid": format_amount(paid, ticket.currency),
        "refunded": format_amount(ticket.refunded, ticket.currency),
        "left": format_amount(refundable(ticket), ticket.currency),
    }
