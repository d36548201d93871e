"""One deliverable unit of an automatic product: a key, an account, a code."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.store import utcnow


class StockItemStatus(StrEnum):
    AVAILABLE = "available"
    RESERVED = "reserved"
    DELIVERED = "delivered"


class StockItem(Document):
    """A secret sold once. `secret` is Fernet ciphertext; the plain text never hits the disk."""

    guild_id: int
    product_id: PydanticObjectId
    secret: bytes
    status: StockItemStatus = StockItemStatus.AVAILABLE
    ticket_id: PydanticObjectId | None = None
    reserved_at: datetime | None = None
    delivered_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "stock_items"
        indexes = [
            IndexModel([("product_id", ASCENDING), ("status", ASCENDING), ("created_at", ASCENDING)]),
            IndexModel([("ticket_id", ASCENDING), ("status", ASCENDING)], sparse=True),
            IndexModel([("status", ASCENDING), ("reserved_at", ASCENDING)]),
        ]
