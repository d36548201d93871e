"""The transcript log: every message posted in a ticket channel, with edits and deletes."""

from __future__ import annotations

from datetime import datetime

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, IndexModel


class StoredAttachment(BaseModel):
    """An attachment copied into the store's own storage (Discord URLs expire)."""

    filename: str
    content_type: str = "application/octet-stream"
    size: int = 0
    stored_path: str | None = None


class MessageEdit(BaseModel):
    content: str
    at: datetime


class TicketMessage(Document):
    ticket_id: PydanticObjectId
    guild_id: int
    channel_id: int
    message_id: int
    author_id: int
    author_name: str
    author_is_bot: bool = False
    content: str = ""
    embeds_text: list[str] = Field(default_factory=list)
    attachments: list[StoredAttachment] = Field(default_factory=list)
    created_at: datetime
    edits: list[MessageEdit] = Field(default_factory=list)
    deleted_at: datetime | None = None

    class Settings:
        name = "ticket_messages"
        indexes = [
            IndexModel([("ticket_id", ASCENDING), ("created_at", ASCENDING)]),
            IndexModel([("message_id", ASCENDING)], unique=True),
        ]
