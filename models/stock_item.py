"""One deliverable unit of an automatic product: a key, an account, a code."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, IndexModel

from models.store import utcnow


class StockItemStatus(StrEnum):
    AVAILABLE = "available"
    RESERVED = "reserved"
    DELIVERED = "delivered"


class Reveal(BaseModel):
    """A seller looked at an item's plain text on purpose (dashboard, "Reveal")."""

    by: int
    at: datetime


class StockItem(Document):
    """A secret sold once. `secret` is Fernet ciphertext; the plain text never hits the disk.

    `fingerprint` is a keyed hash of the normalised text (`workflows.stock.normalise`): Fernet's
    random IV makes two copies of one key seal differently, so the unique index on
    (product_id, fingerprint) is what keeps a key from being on one product's shelf twice.
    `preview` is the masked form sellers see in lists (`can***@mail.com:***`)."""

    guild_id: int
    product_id: PydanticObjectId
    secret: bytes
    status: StockItemStatus = StockItemStatus.AVAILABLE
    ticket_id: PydanticObjectId | None = None
    reserved_at: datetime | None = None
    delivered_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    fingerprint: str | None = None  # None only for items saved before fingerprints (backfilled)
    preview: str = ""
    reveals: list[Reveal] = Field(default_factory=list)

    class Settings:
        name = "stock_items"
        indexes = [
            IndexModel([("product_id", ASCENDING), ("status", ASCENDING), ("created_at", ASCENDING)]),
            IndexModel([("ticket_id", ASCENDING), ("status", ASCENDING)], sparse=True),
            IndexModel([("status", ASCENDING), ("reserved_at", ASCENDING)]),
            # Partial: items saved before fingerprints have none until `stock.backfill` gives
            # them one, and many missing values must not collide with each other.
            IndexModel(
                [("product_id", ASCENDING), ("fingerprint", ASCENDING)],
                name="one_item_per_product",
                unique=True,
                partialFilterExpression={"fingerprint": {"$type": "string"}},
            ),
        ]
