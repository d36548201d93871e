"""What a buyer reads about their saldo (issue 21, item 5): the `/saldo` answer (the balance and
the last entries of the ledger) and the lines that say what one entry was, in the store's
language. The ledger itself is `workflows.wallet`; this module only reads it.

A line says what the buyer can check against their own memory: the amount with its sign, what
it was ("Isi saldo", "Pembelian #12", "Penyesuaian oleh penjual: bonus"), and when. Ticket
numbers are looked up in one read for the whole page; the seller's reason is shown as written,
because it is the buyer's only explanation of an adjustment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from beanie import PydanticObjectId

from models.store import Store, utcnow
from models.ticket import Ticket
from models.topup import TopUp, TopUpState
from models.wallet import EntryKind, WalletEntry
from workflows import saldo_payments, topups, wallet
from workflows.discord_contract import embeds
from workflows.discord_contract.embeds import Embed, Field
from workflows.i18n import text
from workflows.message_limits import shorten
from workflows.money import format_amount
from workflows.ticket_story import local_time

SHOWN_ENTRIES = 10  # "the last 10 entries" (issue 21, item 5)
# A field value holds 1,024 characters (resources/message.mdx "Embed Limits"): ten lines of about
# 50 characters plus a reason each; a longer reason is cut so the tenth entry is still shown.
REASON_SHOWN = 40
WAITING_SHOWN = 5  # open top-ups listed under the entries
SALDO_COLOUR = 0x5865F2


@dataclass(frozen=True)
class Statement:
    """A buyer's saldo in one store at one moment: the balance and the newest entries."""

    balance: int
    entries: list[WalletEntry]
    ticket_numbers: dict[PydanticObjectId, int]  # ticket id → its number, for "Pembelian #12"
    waiting: list[TopUp] = field(default_factory=list)  # top-ups asked for, money not seen yet


async def ticket_numbers(entries: Iterable[WalletEntry]) -> dict[PydanticObjectId, int]:
    """The numbers of the tickets the entries name, in one read."""
    ids = list({e.ticket_id for e in entries if e.ticket_id is not None})
    if not ids:
        return {}
    found = Ticket.get_pymongo_collection().find({"_id": {"$in": ids}}, {"number": 1})
    return {PydanticObjectId(doc["_id"]): int(doc["number"]) async for doc in found}


async def statement_of(guild_id: int, buyer_id: int, limit: int = SHOWN_ENTRIES) -> Statement:
    """`buyer_id`'s balance and newest `limit` entries in the store of `guild_id`; only this
    buyer's wallet is read."""
    shown = await wallet.entries(guild_id, buyer_id, limit=limit)
    now = utcnow()
    waiting = [
        t
        for t in await topups.for_buyer(guild_id, buyer_id, limit=WAITING_SHOWN)
        if t.state is TopUpState.OPEN and _aware(t.expires_at) > now
    ]
    return Statement(await wallet.balance(guild_id, buyer_id), shown, await ticket_numbers(shown), waiting)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # MongoDB hands datetimes back naive, in UTC


def signed_amount(entry: WalletEntry, currency: str = "IDR") -> str:
    """+Rp 50.000 for a credit, −Rp 15.000 for a debit."""
    sign = "+" if entry.amount > 0 else "−"
    return f"{sign}{format_amount(abs(entry.amount), currency)}"


def what(entry: WalletEntry, locale: str, numbers: dict[PydanticObjectId, int]) -> str:
    """What the entry was, as the buyer says it ("Pembelian #12", "Penyesuaian: bonus")."""
    number = numbers.get(entry.ticket_id) if entry.ticket_id is not None else None
    kind = entry.kind.value if isinstance(entry.kind, EntryKind) else str(entry.kind)
    if number is not None and kind in (EntryKind.PURCHASE, EntryKind.REFUND, EntryKind.CREDIT):
        said = text(locale, f"saldo_s3.kind.{kind}_ticket", number=number)
    else:
        said = text(locale, f"saldo_s3.kind.{kind}")
    reason = entry.reason
    if number is not None:  # a purchase's reason repeats its number ("#12 Netflix × 1")
        reason = reason.removeprefix(f"#{number} ")
    if reason == saldo_payments.CANCELLED_REASON:  # the store's own words, said in the buyer's
        reason = text(locale, "saldo_s3.cancelled_before_delivery")
    if reason:
        said = text(locale, "saldo_s3.with_reason", what=said, reason=shorten(reason, REASON_SHOWN))
    return said


def entry_line(entry: WalletEntry, locale: str, numbers: dict[PydanticObjectId, int], currency: str) -> str:
    """One entry as one line of the buyer's statement."""
    return text(
        locale,
        "saldo_s3.line",
        amount=signed_amount(entry, currency),
        what=what(entry, locale, numbers),
        when=local_time(entry.created_at, locale),
    )


def message(store: Store, shown: Statement) -> Embed:
    """The ephemeral `/saldo` answer: the balance in large, then the newest entries."""
    locale, currency = store.locale, store.currency
    if shown.entries:
        history = "\n".join(entry_line(e, locale, shown.ticket_numbers, currency) for e in shown.entries)
    else:
        history = text(locale, "saldo_s3.no_entries")
    fields = [Field(text(locale, "saldo_s3.history", count=len(shown.entries)), history)]
    if shown.waiting:  # the buyer who lost the exact amount to pay finds it here
        lines = [
            text(
                locale,
                "saldo_s3.waiting_line",
                amount=format_amount(t.amount_due, t.currency),
                until=local_time(t.expires_at, locale),
            )
            for t in shown.waiting
        ]
        fields.append(Field(text(locale, "saldo_s3.waiting"), "\n".join(lines)))
    return embeds.embed(
        text(locale, "saldo_s3.heading", store=store.name),
        text(locale, "saldo_s3.balance", amount=format_amount(shown.balance, currency)),
        fields=fields,
        footer=text(locale, "saldo_s3.footer"),
        color=SALDO_COLOUR,
    )
