"""The blacklist: people the sellers will not sell to, and payers they want to look at twice
(issue 20, item 5).

  * A Discord member on the blacklist who presses Buy is told politely, in the store's
    language, that they cannot buy here; no ticket, no channel, no stock taken
    (`refuse_buyer`, called by `workflows.tickets.open_ticket` before anything is reserved).
  * A payer name or account number on the blacklist is matched against what a buyer writes
    when they report a payment ("transfer reference or sender name") and against the bank's
    description of a transfer: such money is never matched to a ticket automatically, and the
    sellers' "please verify" prompt says who it matched and why (`flag_transfer`,
    `flag_report`). A blacklisted member's own report is flagged the same way (they were
    blacklisted after opening the ticket).
"""

from __future__ import annotations

import re

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from models.blacklist import BlacklistEntry, BlacklistKind
from models.incoming_payment import IncomingPayment
from models.ticket import Actor, Ticket
from workflows import audit
from workflows.errors import InvalidInput, StoreError
from workflows.i18n import text

REASON_MAX = 300
ACCOUNT_DIGITS = re.compile(r"[0-9]{5,30}")


class Blacklisted(StoreError):
    """Buy refused: the buyer is on the store's blacklist. Said politely (`blacklist.refused`),
    without the sellers' reason."""

    code = "blacklisted"

    def __init__(self) -> None:
        super().__init__(key="refused")

    def _text(self, locale: str) -> str:
        return text(locale, "blacklist.refused")


class BlacklistRefused(StoreError):
    """A blacklist entry the dashboard could not add, said from `blacklist.problem.<key>`."""

    code = "blacklist_refused"

    def _text(self, locale: str) -> str:
        return text(locale, f"blacklist.problem.{self.key}", **self.values)


def normalise(kind: BlacklistKind, written: str) -> str:
    """The value as stored and compared: a user id or account number as its digits alone
    ("123-456 789" → "123456789"), a payer name in lower case with single spaces."""
    written = (written or "").strip()
    if kind is BlacklistKind.PAYER_NAME:
        return " ".join(written.casefold().split())[:100]
    return "".join(ch for ch in written if ch.isascii() and ch.isdigit())[:30]


async def add(
    guild_id: int,
    kind: BlacklistKind,
    value: str,
    *,
    label: str = "",
    reason: str = "",
    created_by: str = "",
    by: Actor | None = None,
) -> BlacklistEntry:
    """Put someone on the store's blacklist (BlacklistRefused when the value is empty or
    already there)."""
    kind = BlacklistKind(kind)
    stored = normalise(kind, value)
    if kind is BlacklistKind.PAYER_NAME and len(stored) < 3:
        raise BlacklistRefused(key="name_short")
    if kind is BlacklistKind.ACCOUNT and not ACCOUNT_DIGITS.fullmatch(stored):
        raise BlacklistRefused(key="account_digits")
    if kind is BlacklistKind.USER and not stored:
        raise BlacklistRefused(key="pick_member")
    entry = BlacklistEntry(
        guild_id=guild_id,
        kind=kind,
        value=stored,
        label=(label or value).strip()[:100],
        reason=(reason or "").strip()[:REASON_MAX],
        created_by=created_by,
    )
    try:
        await entry.insert()
    except DuplicateKeyError:
        raise BlacklistRefused(key="already", who=entry.label) from None
    await audit.record(
        guild_id, by, "blacklist.added", subject=entry.label, subject_id=entry.id, always=True,
        after=entry.model_dump(include={"kind", "value", "reason"}),
    )
    return entry


async def remove(guild_id: int, entry_id: PydanticObjectId | str, by: Actor | None = None) -> BlacklistEntry:
    """Take an entry off the blacklist (they may buy again)."""
    try:
        oid = PydanticObjectId(entry_id)
    except Exception:
        raise InvalidInput("no such blacklist entry") from None
    entry = await BlacklistEntry.find_one({"_id": oid, "guild_id": guild_id})
    if entry is None:
        raise InvalidInput("no such blacklist entry")
    await entry.delete()
    await audit.record(
        guild_id, by, "blacklist.removed", subject=entry.label, subject_id=entry.id, always=True,
        before=entry.model_dump(include={"kind", "value", "reason"}),
    )
    return entry


async def entries(guild_id: int) -> list[BlacklistEntry]:
    """The store's blacklist, newest first."""
    return await BlacklistEntry.find({"guild_id": guild_id}).sort("-created_at").to_list()


async def refuse_buyer(guild_id: int, user_id: int) -> None:
    """Raise Blacklisted when this Discord member may not buy in this store."""
    found = await BlacklistEntry.find_one(
        {"guild_id": guild_id, "kind": BlacklistKind.USER.value, "value": str(user_id)}
    )
    if found is not None:
        raise Blacklisted()


async def flag_report(ticket: Ticket) -> BlacklistEntry | None:
    """The blacklist entry a ticket's payment report matches, if any: its buyer, or a payer
    name / account number in the report's reference or in a transfer of exactly the ticket's
    amount that was held back unmatched (`flag_transfer`)."""
    report = ticket.payment_report
    texts = [report.reference if report else ""]
    waiting = IncomingPayment.find(
        {"guild_id": ticket.guild_id, "amount": ticket.amount_due, "ticket_id": None}
    )
    texts += [payment.reference async for payment in waiting]
    return await _matching(ticket.guild_id, ticket.buyer_id, texts)


async def flag_transfer(guild_id: int, buyer_id: int, description: str) -> BlacklistEntry | None:
    """The blacklist entry a transfer about to pay a ticket matches (the ticket's buyer, or a
    payer name / account number in the bank's description): such money is not matched
    automatically (`workflows.bank_mutations.record`), and the buyer's report is flagged."""
    return await _matching(guild_id, buyer_id, [description])


async def _matching(guild_id: int, buyer_id: int, texts: list[str]) -> BlacklistEntry | None:
    names = [f" {normalise(BlacklistKind.PAYER_NAME, t)} " for t in texts if t]
    digits = {
        normalise(BlacklistKind.ACCOUNT, d) for t in texts for d in re.findall(r"[0-9][0-9 .-]{3,40}[0-9]", t)
    }
    async for entry in BlacklistEntry.find({"guild_id": guild_id}):
        if entry.kind is BlacklistKind.USER and entry.value == str(buyer_id):
            return entry
        if entry.kind is BlacklistKind.PAYER_NAME and any(f" {entry.value} " in name for name in names):
            return entry
        if entry.kind is BlacklistKind.ACCOUNT and entry.value in digits:
            return entry
    return None


def warning(entry: BlacklistEntry, locale: str) -> str:
    """The line added to the sellers' "please verify" prompt for a flagged report."""
    kind = text(locale, f"blacklist.kind.{entry.kind.value}")
    return text(
        locale, "blacklist.flagged", kind=kind, who=entry.label or entry.value, reason=entry.reason or "—"
    )


async def known_buyers(guild_id: int, limit: int = 200) -> list[tuple[int, str]]:
    """The store's buyers by name, most recent first: (Discord user id, name as on their
    latest ticket), so a seller picks a person by name rather than by id."""
    pipeline = [
        {"$match": {"guild_id": guild_id}},
        {"$sort": {"created_at": -1}},
        {"$group": {"_id": "$buyer_id", "name": {"$first": "$buyer_name"}, "at": {"$first": "$created_at"}}},
        {"$sort": {"at": -1}},
        {"$limit": limit},
    ]
    rows = await Ticket.get_pymongo_collection().aggregate(pipeline)
    return [(int(row["_id"]), row.get("name") or "") async for row in rows]
