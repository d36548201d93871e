"""The store's blacklist: people (and payers) the sellers will not sell to (issue 20, item 5)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.store import utcnow


class BlacklistKind(StrEnum):
    USER = "user"  # a Discord user id: Buy refuses them
    PAYER_NAME = "payer_name"  # a name seen on payments: their reports are flagged to sellers
    ACCOUNT = "account"  # an account number seen on payments: likewise


class BlacklistEntry(Document):
    """One blacklisted person or payer.

    Parameters:
      kind: what `value` is.
      value: the Discord user id as text, or the payer name / account number as normalised
        by `workflows.blacklist.normalise` (so "Budi  Santoso" matches "budi santoso").
      label: what the dashboard shows (the member's name, the name as typed).
      reason: the sellers' reason, shown to sellers only.
    """

    guild_id: int
    kind: BlacklistKind
    value: str
    label: str = ""
    reason: str = ""
    created_by: str = ""
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "blacklist"
        indexes = [
            IndexModel([("guild_id", ASCENDING), ("kind", ASCENDING), ("value", ASCENDING)], unique=True)
        ]
