"""Payment-gateway callbacks (Tripay, Midtrans, Xendit): a settled payment verifies its ticket.

Each gateway proves the callback is its own with the store's credentials, compared in constant
time. The ticket is named by the order id we gave the gateway (the ticket's id); the amount and
currency must be exactly the ticket's; only settled statuses verify; the provider's id is
recorded once, so repeats and concurrent duplicates verify once.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pymongo.errors import DuplicateKeyError

from models.incoming_payment import IncomingPayment
from models.store import Store, utcnow
from models.ticket import Actor, Ticket, TicketOutcome, TicketState
from models.topup import TopUp
from workflows import json_body, tickets, topups
from workflows.errors import InvalidInput, StoreError, TicketNotFound
from workflows.i18n import text
from workflows.money import format_amount

# The store's secret each gateway's callbacks are checked with (`GatewayCredentials`).
KEYS = {
    "tripay": "tripay_private_key",
    "midtrans": "midtrans_server_key",
    "xendit": "xendit_callback_token",
}


class Forged(InvalidInput):
    """The callback's signature or token is wrong or missing."""

    code = "forged"


@dataclass(frozen=True)
class Settlement:
    """A gateway's callback reduced to what matters: whose payment, how much, settled or not."""

    source: str
    external_id: str
    ticket_ref: str
    amount: int
    currency: str
    settled: bool


def _json(body: bytes) -> dict[str, Any]:
    data = json_body.parse(body)
    if not isinstance(data, dict):
        raise InvalidInput("body must be a JSON object")
    return data


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise InvalidInput(f"{key}: missing")
    return str(value)[:200]


def _whole(value: Any, key: str) -> int:
    """A positive whole amount from a JSON number or numeric string ("50137", 50137, "50137.00")."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput(f"{key}: not a whole amount")
    try:
        # Decimal, not float: huge or odd values must be refused, not overflow into a 500.
        number = Decimal(str(value)) if not isinstance(value, str) or len(value) <= 40 else None
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or number != number.to_integral_value():
        raise InvalidInput(f"{key}: not a whole amount")
    if not 0 < number <= 10**12:
        raise InvalidInput(f"{key}: not a whole amount")
    return int(number)


def _same(expected: str | None, given: str | None) -> bool:
    # Bytes: compare_digest refuses non-ASCII str with a TypeError (found by the fuzz test).
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected).encode(), str(given).encode())


def tripay(key: str | None, body: bytes, signature: str | None) -> Settlement:
    """A Tripay callback, after checking `X-Callback-Signature` (HMAC-SHA256 of the raw body
    with the store's private key `key`)."""
    expected = hmac.new(key.encode(), body, hashlib.sha256).hexdigest() if key else None
    if not _same(expected, (signature or "").lower()):
        raise Forged("bad X-Callback-Signature")
    data = _json(body)
    return Settlement(
        "tripay",
        _text(data, "reference"),
        _text(data, "merchant_ref"),
        _whole(data.get("total_amount"), "total_amount"),
        "IDR",
        data.get("status") == "PAID",
    )


def midtrans(key: str | None, body: bytes) -> Settlement:
    """A Midtrans notification, after checking `signature_key` (SHA-512 of order, status, amount
    and the store's server key `key`)."""
    if not key:  # refused before the body is even parsed: no secret, nothing to check against
        raise Forged("bad signature_key")
    data = _json(body)
    order, status_code, gross = (
        _text(data, "order_id"),
        _text(data, "status_code"),
        _text(data, "gross_amount"),
    )
    expected = hashlib.sha512(f"{order}{status_code}{gross}{key}".encode()).hexdigest()
    if not _same(expected, str(data.get("signature_key") or "").lower()):
        raise Forged("bad signature_key")
    status = data.get("transaction_status")
    settled = status == "settlement" or (status == "capture" and data.get("fraud_status") == "accept")
    currency = str(data.get("currency") or "IDR")
    return Settlement(
        "midtrans", _text(data, "transaction_id"), order, _whole(gross, "gross_amount"), currency, settled
    )


def xendit(key: str | None, body: bytes, token: str | None) -> Settlement:
    """A Xendit invoice callback, after checking the `x-callback-token` header against `key`."""
    if not _same(key, token):
        raise Forged("bad x-callback-token")
    data = _json(body)
    amount = data.get("paid_amount", data.get("amount"))
    return Settlement(
        "xendit",
        _text(data, "id"),
        _text(data, "external_id"),
        _whole(amount, "amount"),
        str(data.get("currency") or "IDR"),
        data.get("status") in ("PAID", "SETTLED"),
    )


@dataclass(frozen=True)
class Settled:
    """What a callback did: `result` (verified, topup, credited (to a buyer's saldo), kept,
    duplicate, not_settled) and, when kept,
    the payment the seller must refund or match (`kept`), to be announced to them once."""

    result: str
    kept: IncomingPayment | None = None


def why_not_payable(ticket: Ticket) -> str | None:
    """Why money for this ticket cannot pay it (a key of `security.reason`), None when it can."""
    if ticket.state is TicketState.OPEN:
        return None
    if ticket.state is TicketState.CLOSED and ticket.outcome is not None:
        return {TicketOutcome.EXPIRED: "expired", TicketOutcome.CANCELLED: "cancelled"}.get(
            ticket.outcome, "closed"
        )
    return "paid"


def kept_alert(store: Store, payment: IncomingPayment) -> str:
    """The seller's alert, in the store's language, about money kept for refund or matching."""
    return text(
        store.locale,
        "security.payment_kept",
        amount=format_amount(payment.amount, store.currency),
        source=payment.source.capitalize(),
        number=payment.ticket_number,
        reason=text(store.locale, f"security.reason.{payment.reason or 'paid'}"),
    )


async def settle(store: Store, settlement: Settlement) -> Settled:
    """Verify the ticket a settled payment is for. Money for a ticket that is closed, expired
    or already paid (by another provider) pays nothing: it is kept as unmatched with the reason,
    listed on the Payments page for the seller to refund or match."""
    try:
        ticket = await tickets.get_ticket(settlement.ticket_ref)
    except TicketNotFound:
        topup = await topups.named(store.guild_id, settlement.ticket_ref)
        if topup is None:
            raise InvalidInput("unknown order") from None
        return await _settle_topup(store, settlement, topup)
    if ticket.guild_id != store.guild_id:
        raise InvalidInput("unknown order")
    if settlement.amount != ticket.amount_due or settlement.currency != ticket.currency:
        raise InvalidInput(
            f"amount {settlement.amount} {settlement.currency} is not what ticket #{ticket.number} asks"
        )
    if not settlement.settled:
        return Settled("not_settled")
    reason = why_not_payable(ticket)
    payment = IncomingPayment(
        guild_id=store.guild_id,
        amount=settlement.amount,
        source=settlement.source,
        external_id=settlement.external_id,
        reference=f"{settlement.source} {settlement.external_id}"[:200],
        status="matched" if reason is None else "unmatched",
        ticket_id=ticket.id if reason is None else None,
        ticket_number=ticket.number,
        reason=reason or "",
        received_at=utcnow(),
    )
    try:
        await payment.insert()
    except DuplicateKeyError:
        return Settled("duplicate")
    for _ in range(3):  # a concurrent change of the open ticket (not a payment) is tried again
        if reason is not None:
            break
        try:
            result = await tickets.verify(
                ticket,
                Actor.system(f"{settlement.source} callback"),
                incoming_payment_id=payment.id,
                reason=f"{settlement.source} payment {settlement.external_id} settled",
            )
            if result.applied:
                return Settled("verified")
        except StoreError:
            pass
        ticket = await tickets.get_ticket(ticket.id)
        reason = why_not_payable(ticket)
    payment.status, payment.ticket_id, payment.reason = "unmatched", None, reason or "paid"
    await IncomingPayment.get_pymongo_collection().update_one(
        {"_id": payment.id},
        {"$set": {"status": payment.status, "ticket_id": None, "reason": payment.reason}},
    )
    if await topups.auto_credit(store, payment) is not None:
        return Settled("credited")  # the store chose: the buyer's saldo, no seller needed
    return Settled("kept", payment)


async def _settle_topup(store: Store, settlement: Settlement, topup: TopUp) -> Settled:
    """A gateway's money for a saldo top-up (the order id we gave it is the top-up's id): credited
    once. The same top-up paid twice puts the second payment on the buyer's saldo too: saldo was
    what they paid for."""
    if settlement.amount != topup.amount_due or settlement.currency != topup.currency:
        raise InvalidInput(f"amount {settlement.amount} {settlement.currency} is not what the top-up asks")
    if not settlement.settled:
        return Settled("not_settled")
    payment = IncomingPayment(
        guild_id=store.guild_id,
        amount=settlement.amount,
        source=settlement.source,
        external_id=settlement.external_id,
        reference=f"{settlement.source} {settlement.external_id}"[:200],
        status="matched",
        topup_id=topup.id,
        received_at=utcnow(),
    )
    try:
        await payment.insert()
    except DuplicateKeyError:
        seen = await IncomingPayment.find_one(
            {"guild_id": store.guild_id, "source": settlement.source, "external_id": settlement.external_id}
        )
        if seen is not None:
            await topups.finish(seen)
        return Settled("duplicate")
    done = await topups.pay_named(topup, payment)
    if done.topup.incoming_payment_id == payment.id:
        return Settled("topup")
    await IncomingPayment.get_pymongo_collection().update_one(
        {"_id": payment.id}, {"$set": {"status": "unmatched", "topup_id": None, "reason": "paid"}}
    )
    await topups.credit_payment(store.guild_id, payment.id, by=None, buyer_id=topup.buyer_id)
    return Settled("credited")
