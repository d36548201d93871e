"""A buyer of one store: which tickets they hold open, and when they last opened one."""

from __future__ import annotations

from datetime import datetime

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, IndexModel


class Buyer(Document):
    """Enforces "max open tickets" and the cooldown with one atomic update (double clicks)."""

    guild_id: int
    user_id: int
    open_ticket_ids: list[PydanticObjectId] = Field(default_factory=list)
    last_ticket_at: datetime | None = None

    class Settings:
        name = "buyers"
        indexes = [IndexModel([("guild_id", ASCENDING), ("user_id", ASCENDING)], unique=True)]
