"""A top-up request (issue 21, item 2): a buyer asks to add saldo and is given an amount to pay.

Like a ticket, a top-up asks for its own unique amount (the requested amount + kode unik), so a
bank transfer is matched to it by its exact amount; where the store has QRIS, the buyer also gets
a dynamic QRIS for exactly that amount. It is credited once: the top-up's open → credited change
and the wallet's credit ("topup:<id>") are one MongoDB transaction (`workflows.topups`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from models.store import utcnow


class TopUpState(StrEnum):
    OPEN = "open"  # waiting for the money
    CREDITED = "credited"  # the money arrived and is on the buyer's saldo
    EXPIRED = "expired"  # nothing arrived in time; its amount is free again


class TopUp(Document):
    """One request to add saldo.

    Parameters:
      amount: what the buyer asked for, credited to their saldo when paid.
      unique_code, amount_due: the addition and the exact amount to transfer; the addition is
        credited too (the buyer paid it), so the saldo grows by `amount_due`.
      method_id: the payment method the buyer chose (None: any bank account of the store).
      qris_payload: a dynamic QRIS for `amount_due`, when the chosen (or only) method is QRIS.
      incoming_payment_id: the money that paid it; entry_id: its ledger entry.
      credited_by: the seller who verified it by hand (None when the store matched it itself).
    """

    guild_id: int
    buyer_id: int
    buyer_name: str = ""
    amount: int = Field(gt=0)
    unique_code: int = 0
    amount_due: int = Field(gt=0)
    currency: str = "IDR"
    method_id: PydanticObjectId | None = None
    qris_payload: str | None = None
    state: TopUpState = TopUpState.OPEN
    incoming_payment_id: PydanticObjectId | None = None
    entry_id: PydanticObjectId | None = None
    credited_by: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    credited_at: datetime | None = None
    # The buyer was told (by DM) that the saldo arrived: set once by whoever told them.
    notified_at: datetime | None = None

    class Settings:
        name = "topups"
        indexes = [
            IndexModel(
                [("guild_id", ASCENDING), ("amount_due", ASCENDING)],
                unique=True,
                partialFilterExpression={"state": "open"},
                name="open_topup_amount_unique",
            ),
            IndexModel([("guild_id", ASCENDING), ("buyer_id", ASCENDING), ("created_at", DESCENDING)]),
            IndexModel(
                [("credited_at", ASCENDING)],
                partialFilterExpression={"state": "credited", "notified_at": None},
                name="credited_not_told",
            ),
        ]
