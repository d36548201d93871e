"""A buyer's rating of a completed purchase (one per ticket)."""

from __future__ import annotations

from datetime import datetime

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from models.store import utcnow


class Rating(Document):
    ticket_id: PydanticObjectId
    guild_id: int
    product_id: PydanticObjectId
    buyer_id: int
    stars: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "ratings"
        indexes = [
            IndexModel([("ticket_id", ASCENDING)], unique=True),
            IndexModel([("guild_id", ASCENDING), ("created_at", DESCENDING)]),
            IndexModel([("product_id", ASCENDING)]),
        ]
