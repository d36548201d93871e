"""Analytics events: the funnel from panel click to completed sale."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.store import utcnow


class EventKind(StrEnum):
    PANEL_CLICK = "panel_click"
    TICKET_OPENED = "ticket_opened"
    PAID = "paid"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    STOCK_REVEALED = "stock_revealed"  # a seller looked at one stock item's text (who, when)


class Event(Document):
    guild_id: int
    kind: EventKind
    product_id: PydanticObjectId | None = None
    ticket_id: PydanticObjectId | None = None
    user_id: int | None = None
    amount: int | None = None
    at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "events"
        indexes = [IndexModel([("guild_id", ASCENDING), ("kind", ASCENDING), ("at", ASCENDING)])]
