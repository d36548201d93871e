"""The sellers' side of saldo (issue 21, item 5): every buyer's balance by name, one buyer's
ledger, an adjustment with its reason, and the ledger as a CSV file for their books.

The balances, entries and adjustments are `workflows.wallet`'s; this module adds what a seller
needs around them. Names: a wallet keeps the buyer's Discord name as last seen; a wallet that has
none yet (credited by a seller before the buyer ever used saldo) is named as on the buyer's
latest ticket or top-up, and found by that name too. The CSV is for spreadsheets: amounts as
integers to sum, times in UTC, and no cell a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from pymongo import DESCENDING

from models.ticket import Ticket
from models.topup import TopUp
from models.wallet import EntryKind, Wallet, WalletEntry
from workflows import wallet
from workflows.errors import StoreError
from workflows.i18n import text

REASON_MAX = wallet.REASON_MAX
LISTED = 50  # wallets on one page of the dashboard, richest first
EXPORTED = 10_000  # ledger lines in one CSV file: a year of a busy store


class AdjustmentRefused(StoreError):
    """Why the dashboard did not send an adjustment on (an amount it could not read), in the
    reader's language (`saldo_s3.refused.*`); the ledger's own refusals are `wallet`'s."""

    code = "adjustment_refused"

    def _text(self, locale: str) -> str:
        return text(locale, f"saldo_s3.refused.{self.key}", **self.values)


@dataclass(frozen=True)
class NamedWallet:
    """A buyer's balance with the buyer's name."""

    buyer_id: int
    name: str
    balance: int


async def _names_from(collection: Any, guild_id: int, match: dict[str, Any]) -> dict[int, str]:
    """`buyer_id → buyer_name` as on the latest document of each buyer matching `match`."""
    pipeline = [
        {"$match": {"guild_id": guild_id, **match}},
        {"$sort": {"created_at": -1}},
        {"$group": {"_id": "$buyer_id", "name": {"$first": "$buyer_name"}}},
    ]
    rows = await collection.aggregate(pipeline)
    return {int(row["_id"]): row.get("name") or "" async for row in rows}


async def buyer_names(guild_id: int, buyer_ids: list[int]) -> dict[int, str]:
    """`buyer_id → name` for the buyers the store has a name for: as kept on the wallet (the
    buyer's last top-up or purchase), else as on their latest ticket or top-up."""
    wanted = {"buyer_id": {"$in": buyer_ids}}
    names: dict[int, str] = {}
    for collection in (TopUp.get_pymongo_collection(), Ticket.get_pymongo_collection()):
        names.update({k: v for k, v in (await _names_from(collection, guild_id, wanted)).items() if v})
    kept = Wallet.get_pymongo_collection().find(
        {"guild_id": guild_id, **wanted}, {"buyer_id": 1, "buyer_name": 1}
    )
    names.update({int(w["buyer_id"]): w["buyer_name"] async for w in kept if w.get("buyer_name")})
    return names


async def named_wallets(guild_id: int, query: str = "", limit: int = LISTED) -> list[NamedWallet]:
    """The store's wallets, richest first, with their buyers' names; with `query`, only the
    buyers whose name contains it (any case) or whose Discord id does."""
    query = query.strip()
    found = await wallet.wallets(guild_id, query=query, limit=limit)
    if query:
        # A wallet whose buyer's name is not kept on it yet is still found by their ticket's name.
        pattern = {"buyer_name": {"$regex": re.escape(query), "$options": "i"}}
        named = set(await _names_from(Ticket.get_pymongo_collection(), guild_id, pattern))
        named -= {w.buyer_id for w in found}
        if named:
            more = Wallet.find({"guild_id": guild_id, "buyer_id": {"$in": sorted(named)}}).limit(limit)
            found = sorted([*found, *await more.to_list()], key=lambda w: (-w.balance, w.buyer_id))[:limit]
    names = await buyer_names(guild_id, [w.buyer_id for w in found])
    return [NamedWallet(w.buyer_id, names.get(w.buyer_id, ""), w.balance) for w in found]


async def ledger(guild_id: int, buyer_id: int | None = None, limit: int = EXPORTED) -> list[WalletEntry]:
    """Entries of one buyer's wallet (or of every wallet of the store), newest first."""
    if buyer_id is not None:
        return await wallet.entries(guild_id, buyer_id, limit=limit)
    found = WalletEntry.find({"guild_id": guild_id}).sort([("created_at", DESCENDING), ("_id", DESCENDING)])
    return await found.limit(limit).to_list()


CSV_COLUMNS = (
    "time_utc",
    "buyer_id",
    "buyer",
    "kind",
    "amount",
    "balance_after",
    "reason",
    "by",
    "ref",
)


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run: a buyer's Discord name is theirs to choose, and
    one starting with = + - @ would be read as a formula (OWASP "CSV Injection")."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def ledger_csv(entries: list[WalletEntry], names: dict[int, str]) -> str:
    """The entries as CSV for a spreadsheet: amounts as plain integers in the currency's smallest
    unit (rupiah), to sum; times in UTC (ISO 8601), so a sheet sorts them."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        at = e.created_at if e.created_at.tzinfo else e.created_at.replace(tzinfo=UTC)
        writer.writerow(
            [
                at.astimezone(UTC).isoformat(timespec="seconds"),
                e.buyer_id,
                _cell(names.get(e.buyer_id, "")),
                e.kind.value if isinstance(e.kind, EntryKind) else e.kind,
                e.amount,
                e.balance_after,
                _cell(e.reason),
                _cell(e.by_name) or (e.by or ""),
                e.ref,
            ]
        )
    return out.getvalue()
