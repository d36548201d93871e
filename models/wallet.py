"""A buyer's saldo in one store (issue 21): the wallet and its append-only ledger.

The balance on `Wallet` is a running total kept for speed (a debit checks it in one conditional
update); the ledger (`WalletEntry`) is the truth. `workflows.wallet` changes both in one MongoDB
transaction, so the balance is always the sum of the wallet's entries, and an entry is never
updated or deleted: a mistake is undone by a compensating entry (a reversal).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from models.store import utcnow


class Wallet(Document):
    """One buyer's saldo in one store, in the currency's smallest unit (rupiah)."""

    guild_id: int
    buyer_id: int
    balance: int = 0
    # The buyer's Discord name as last seen (a top-up, a purchase), so a seller can find them by
    # name; only for showing and searching, never to identify anyone.
    buyer_name: str = ""
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "wallets"
        indexes = [
            IndexModel(
                [("guild_id", ASCENDING), ("buyer_id", ASCENDING)], unique=True, name="one_wallet_per_buyer"
            ),
            IndexModel([("guild_id", ASCENDING), ("balance", DESCENDING)]),
        ]


class EntryKind(StrEnum):
    TOPUP = "topup"  # the buyer paid a top-up request
    PURCHASE = "purchase"  # a ticket paid from saldo
    REFUND = "refund"  # a ticket refunded to saldo by a seller
    ADJUSTMENT = "adjustment"  # a seller's correction, with a reason
    REVERSAL = "reversal"  # undoes one earlier entry
    CREDIT = "credit"  # a payment credited by a seller: unmatched, over-paid, or for a closed ticket


class WalletEntry(Document):
    """One credit (+) or debit (-) of a wallet. Append-only.

    Parameters:
      amount: signed, in the smallest unit: +15000 credits Rp 15.000, -15000 debits it.
      ref: what caused it, unique per store, so the same cause never moves money twice:
        "topup:<topup_id>", "purchase:<ticket_id>", "refund:<ticket_id>:<n>",
        "payment:<incoming_payment_id>", "adjust:<uuid>", "reversal:<entry_id>".
      by: the seller who did it (Discord user id), None when the store did it by itself.
      balance_after: the wallet's balance right after this entry (the same transaction).
    """

    guild_id: int
    buyer_id: int
    amount: int
    kind: EntryKind
    ref: str = Field(max_length=200)
    reason: str = Field(default="", max_length=500)
    by: int | None = None
    by_name: str = ""
    ticket_id: PydanticObjectId | None = None
    balance_after: int
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "wallet_entries"
        indexes = [
            IndexModel(
                [("guild_id", ASCENDING), ("ref", ASCENDING)], unique=True, name="one_entry_per_cause"
            ),
            IndexModel([("guild_id", ASCENDING), ("buyer_id", ASCENDING), ("created_at", DESCENDING)]),
        ]
