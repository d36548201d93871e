"""Bank mutations (Moota-compatible webhooks): money seen on the seller's account verifies the
one open ticket asking for exactly that amount (kode unik makes it unique).

Nothing here trusts the sender: the body's HMAC-SHA256 with the store's secret is checked in
constant time before anything is parsed, and a mutation is recorded once per provider id, so a
notification delivered five times, even at once, verifies once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

from pymongo.errors import DuplicateKeyError

from models.incoming_payment import IncomingPayment
from models.payment_method import PaymentKind, PaymentMethod
from models.store import utcnow
from models.ticket import Actor, Ticket, TicketState
from models.topup import TopUp
from workflows import blacklist, json_body, plain_text, tickets, topups
from workflows.errors import InvalidInput, StoreError

log = logging.getLogger(__name__)

SOURCE = "moota"
MAX_BODY_BYTES = 256 * 1024
MAX_MUTATIONS = 500


@dataclass(frozen=True)
class Mutation:
    """One bank mutation as Moota reports it (debits carry a negative amount)."""

    mutation_id: str
    amount: int
    bank: str
    description: str


@dataclass(frozen=True)
class MutationOutcome:
    """What became of one mutation: matched, unmatched, ambiguous, duplicate or debit."""

    mutation_id: str
    status: str  # matched | topup | unmatched | ambiguous | duplicate | debit
    ticket_number: int | None = None


def signature_ok(secret: str, body: bytes, signature: str | None) -> bool:
    """The `Signature` header is the hex HMAC-SHA256 of the raw body with the store's secret."""
    if not secret or not signature:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())


def _amount(value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidInput("amount: not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.replace(".", "", 1).isdigit():
        number = float(value)
        if number.is_integer():
            return int(number)
    raise InvalidInput("amount: must be a whole number of rupiah")


def parse(body: bytes) -> list[Mutation]:
    """Credit and debit mutations from a Moota body; InvalidInput for anything else."""
    data = json_body.parse(body, MAX_BODY_BYTES)
    if not isinstance(data, list) or not 0 < len(data) <= MAX_MUTATIONS:
        raise InvalidInput("body must be a JSON array of mutations")
    mutations = []
    for n, item in enumerate(data):
        if not isinstance(item, dict):
            raise InvalidInput(f"mutation {n}: not an object")
        mutation_id, kind = item.get("mutation_id"), item.get("type")
        if (
            not isinstance(mutation_id, str | int)
            or isinstance(mutation_id, bool)
            or not str(mutation_id).strip()
        ):
            raise InvalidInput(f"mutation {n}: mutation_id missing")
        if kind not in ("CR", "DB"):
            raise InvalidInput(f"mutation {n}: type must be CR or DB")
        amount = _amount(item.get("amount"))
        if amount <= 0 or amount > 10**12:
            raise InvalidInput(f"mutation {n}: amount out of range")
        bank = item.get("bank_type", "")
        description = item.get("description", "")
        mutations.append(
            Mutation(
                str(mutation_id)[:200] + ("" if kind == "CR" else ":debit"),
                amount if kind == "CR" else -amount,
                plain_text.clean(str(bank), 50),
                plain_text.clean(str(description), 200),
            )
        )
    return mutations


def _bank_key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


async def _bank_fits(ticket: Ticket, bank: str) -> bool:
    """The money arrived on a bank the buyer could have paid to: the bank of the method they
    chose, else any of the store's bank accounts. Unknown banks (no bank_type) are not held
    against a match; the amount with its unique code is the proof."""
    if not bank:
        return True
    query: dict[str, object] = {"guild_id": ticket.guild_id, "kind": PaymentKind.BANK.value}
    if ticket.payment_method_id is not None:
        chosen = await PaymentMethod.get(ticket.payment_method_id)
        if chosen is not None and chosen.kind is PaymentKind.BANK:
            query = {"_id": chosen.id}  # (QRIS and e-wallet money also lands in a store's bank)
    providers = [_bank_key(m.provider) async for m in PaymentMethod.find(query)]
    key = _bank_key(bank)
    return not providers or any(p.startswith(key) or key.startswith(p) for p in providers)


async def record(guild_id: int, mutation: Mutation) -> MutationOutcome:
    """Record one mutation once, and verify the ticket it pays for when exactly one matches."""
    if mutation.amount <= 0:
        return MutationOutcome(mutation.mutation_id, "debit")
    candidates = await Ticket.find(
        {"guild_id": guild_id, "state": TicketState.OPEN.value, "amount_due": mutation.amount}
    ).to_list(2)
    candidates = [t for t in candidates if await _bank_fits(t, mutation.bank)]
    if len(candidates) == 1 and await blacklist.flag_transfer(
        guild_id, candidates[0].buyer_id, mutation.description
    ):
        # From a blacklisted payer (or buyer): never served automatically. The money waits on
        # the Payments page, and the buyer's report is flagged to the sellers (`blacklist`).
        log.info("guild %s: a transfer matches the blacklist; not matched automatically", guild_id)
        candidates = []
    owed = await topups.open_for(guild_id, mutation.amount)  # saldo top-ups asking this amount
    if (
        len(owed) == 1
        and not candidates
        and await blacklist.flag_transfer(guild_id, owed[0].buyer_id, mutation.description)
    ):
        owed = []
    if owed and not candidates and len(owed) == 1:
        return await _pay_topup(guild_id, mutation, owed[0])
    status = {0: "unmatched", 1: "matched"}.get(len(candidates) + len(owed), "ambiguous")
    if status == "ambiguous":  # cannot happen while open amounts are unique; never guess
        log.warning("guild %s: a transfer of %s matches several tickets", guild_id, mutation.amount)
    payment = IncomingPayment(
        guild_id=guild_id,
        amount=mutation.amount,
        source=SOURCE,
        reference=mutation.description,
        external_id=mutation.mutation_id,
        bank=mutation.bank,
        status=status,
        received_at=utcnow(),
        ticket_id=candidates[0].id if status == "matched" else None,
    )
    try:
        await payment.insert()
    except DuplicateKeyError:
        return await _duplicate(guild_id, mutation)
    if status != "matched":
        return MutationOutcome(mutation.mutation_id, status)
    ticket = candidates[0]
    try:
        result = await tickets.verify(
            ticket,
            Actor.system(f"{SOURCE} mutation {mutation.mutation_id}"),
            incoming_payment_id=payment.id,
            reason=f"transfer of {mutation.amount} seen on {mutation.bank}",
        )
    except StoreError:
        result = None
    if result is None or not result.applied:
        await IncomingPayment.get_pymongo_collection().update_one(
            {"_id": payment.id}, {"$set": {"status": "unmatched", "ticket_id": None}}
        )
        return MutationOutcome(mutation.mutation_id, "unmatched")
    return MutationOutcome(mutation.mutation_id, "matched", ticket.number)


async def _duplicate(guild_id: int, mutation: Mutation) -> MutationOutcome:
    """The same mutation again: nothing new, except finishing a top-up's credit that the first
    delivery recorded but did not complete (its process died between the two)."""
    seen = await IncomingPayment.find_one(
        {"guild_id": guild_id, "source": SOURCE, "external_id": mutation.mutation_id}
    )
    if seen is not None:
        await topups.finish(seen)
    return MutationOutcome(mutation.mutation_id, "duplicate")


async def _pay_topup(guild_id: int, mutation: Mutation, topup: TopUp) -> MutationOutcome:
    """The transfer pays a saldo top-up: recorded once, credited once (`workflows.topups`)."""
    payment = IncomingPayment(
        guild_id=guild_id,
        amount=mutation.amount,
        source=SOURCE,
        reference=mutation.description,
        external_id=mutation.mutation_id,
        bank=mutation.bank,
        status="matched",
        received_at=utcnow(),
        topup_id=topup.id,
    )
    try:
        await payment.insert()
    except DuplicateKeyError:
        return await _duplicate(guild_id, mutation)
    done = await topups.pay_with(topup, payment)
    if done.topup.incoming_payment_id != payment.id:
        # Credited a moment ago by other money (a seller's click): this transfer paid nothing.
        await IncomingPayment.get_pymongo_collection().update_one(
            {"_id": payment.id}, {"$set": {"status": "unmatched", "topup_id": None}}
        )
        return MutationOutcome(mutation.mutation_id, "unmatched")
    return MutationOutcome(mutation.mutation_id, "topup")
