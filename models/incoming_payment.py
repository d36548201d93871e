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

    class Settings:
        name = "incoming_payments"
        indexes = [IndexModel([("guild_id", ASCENDING), ("amount", ASCENDING), ("ticket_id", ASCENDING)])]
