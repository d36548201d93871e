"""The audit log: one seller action that changed the shop or a ticket (issue 20, item 6)."""

from __future__ import annotations

from datetime import datetime

from beanie import Document
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from models.store import utcnow
from models.ticket import Actor


class FieldChange(BaseModel):
    """One changed field, as text. `before`/`after` are None when the field did not exist on
    that side (a creation, a removal) and both None for a secret: the log says it changed,
    never what it is."""

    field: str
    before: str | None = None
    after: str | None = None
    secret: bool = False


class AuditEntry(Document):
    """Who did what, when, to which thing of the store.

    Parameters:
      action: `<area>.<verb>` ("product.changed", "ticket.verified"); the area is what the
        dashboard's "what" filter picks.
      subject: the thing's name as the seller knows it (the product's name, "#12" for a
        ticket, the coupon's code), kept as it was then.
      subject_id: its id, to find every entry of one thing.
      changes: the changed fields only, before and after.
    """

    guild_id: int
    at: datetime = Field(default_factory=utcnow)
    by: Actor
    action: str
    subject: str = ""
    subject_id: str = ""
    changes: list[FieldChange] = Field(default_factory=list)

    @property
    def area(self) -> str:
        return self.action.split(".", 1)[0]

    class Settings:
        name = "audit_log"
        indexes = [
            IndexModel([("guild_id", ASCENDING), ("at", DESCENDING)]),
            IndexModel([("guild_id", ASCENDING), ("by.user_id", ASCENDING), ("at", DESCENDING)]),
        ]
