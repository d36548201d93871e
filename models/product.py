"""A product on sale, priced in the store currency's smallest unit."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, IndexModel

from models.store import utcnow

MAX_PRICE = 10**12  # a trillion rupiah: anything above is a typo, not a price


class DeliveryMode(StrEnum):
    """How a product reaches the buyer."""

    AUTOMATIC = "automatic"  # one StockItem (key, account…) per unit, sent by the bot
    MANUAL = "manual"  # the seller's delivery text, stock kept as a number


class ManualReservation(BaseModel):
    """Units of a manual product held for an open ticket."""

    ticket_id: PydanticObjectId
    quantity: int
    at: datetime = Field(default_factory=utcnow)


class Product(Document):
    """A product of one store.

    `stock` counts units of a MANUAL product that can still be bought; AUTOMATIC products count
    their available StockItems instead. `reservations` records which ticket holds which
    manual units, so a crash between reserving and opening a ticket can be repaired.
    """

    guild_id: int
    name: str = Field(min_length=1, max_length=100)
    price: int = Field(gt=0, le=MAX_PRICE)
    description: str = Field(default="", max_length=1000)
    image_ref: str | None = None
    # A 3D model (glTF binary, a media ref `<guild>/<hex>.glb`) and the still picture drawn
    # from it (`<guild>/<hex>.png`, with its `_thumb.png`): the panel's picture when there is
    # no photo (workflows/model3d.py, workflows/model_still.py).
    model_ref: str | None = None
    model_still_ref: str | None = None
    active: bool = True
    delivery_mode: DeliveryMode = DeliveryMode.AUTOMATIC
    stock: int = Field(default=0, ge=0)
    manual_delivery_text: str = Field(default="", max_length=2000)
    reservations: list[ManualReservation] = Field(default_factory=list)
    sort_order: int = 0
    # A Discord role the buyer gets once the product is delivered (issue 20, item 2), taken
    # back after `role_days` days (None: kept for good). The name is what the seller picked,
    # shown where the role id alone would say nothing.
    role_id: int | None = None
    role_name: str = Field(default="", max_length=100)
    role_days: int | None = Field(default=None, ge=1, le=3650)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "products"
        indexes = [
            IndexModel([("guild_id", ASCENDING), ("active", ASCENDING), ("sort_order", ASCENDING)]),
            IndexModel([("reservations.ticket_id", ASCENDING)], sparse=True),
            IndexModel([("reservations.at", ASCENDING)], sparse=True),
        ]
