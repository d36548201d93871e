"""Money seen arriving (a bank mutation, an e-wallet notification), to match against tickets."""

from __future__ import annotations

from datetime import datetime

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.store import utcnow


class IncomingPayment(Document):
    """An amount received; `ticket_id` is set once it has paid for exactly one ticket."""

    guild_id: int
    amount: int = Field(gt=0)
    source: str = Field(default="manual", max_length=50)
    reference: str = Field(default="", max_length=200)
    received_at: datetime = Field(default_factory=utcnow)
    ticket_id: PydanticObjectId | None = None
    # The provider's own id of this payment (Moota's mutation_id…): the same notification
    # delivered twice is recorded once.
    external_id: str | None = Field(default=None, max_length=200)
    bank: str = Field(default="", max_length=50)
    # "matched", "unmatched" (no open ticket asks for this amount), "ambiguous" or "credited"
    # (put on a buyer's saldo by a seller, `workflows.topups.credit_payment`).
    status: str = "unmatched"
    # Gateway money for a ticket that could not take it: that ticket's number, and why
    # ("closed", "expired", "cancelled", "paid": keys of the `security.reason` texts).
    ticket_number: int | None = None
    reason: str = Field(default="", max_length=20)
    # Saldo (issue 21): the top-up this money paid, or the buyer whose saldo it was credited to
    # (status "credited" when all of it became saldo; an over-payment keeps its ticket).
    topup_id: PydanticObjectId | None = None
    credited_to: int | None = None

    class Settings:
        name = "incoming_payments"
        indexes = [
            IndexModel([("guild_id", ASCENDING), ("amount", ASCENDING), ("ticket_id", ASCENDING)]),
            IndexModel(
                [("guild_id", ASCENDING), ("source", ASCENDING), ("external_id", ASCENDING)],
                unique=True,
                partialFilterExpression={"external_id": {"$type": "string"}},
                name="one_payment_per_provider_id",
            ),
        ]
