"""The transcript log: every message in a ticket channel, its attachments copied into the
store's own storage (Discord's attachment URLs expire and vanish with the channel), its edits
and its deletion."""

from __future__ import annotations

import logging
from pathlib import Path

import discord

from models.store import utcnow
from models.ticket import Ticket
from models.ticket_message import MessageEdit, StoredAttachment, TicketMessage
from workflows import plain_text
from workflows.errors import InvalidInput
from workflows.images import check_image

log = logging.getLogger(__name__)

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024


MAX_STORED_NAME = 100


def stored_name(attachment: discord.Attachment) -> str:
    """A file name safe to join into a path: the attachment's id, then the last component of
    its name with only letters, digits, `.`, `-` and `_` kept, never `..`, at most 100 chars."""
    tail = plain_text.clean(attachment.filename).replace("\\", "/").rsplit("/", 1)[-1]
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in ".-_") else "_" for ch in tail)
    safe = safe.strip("._")[:MAX_STORED_NAME] or "file"
    return f"{int(attachment.id)}-{safe}"


class TranscriptLog:
    """Parameters:
    data_dir: the store's data directory (attachments go under `attachments/`).
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    async def _copy(self, ticket: Ticket, attachment: discord.Attachment) -> StoredAttachment:
        stored = StoredAttachment(
            filename=plain_text.clean(attachment.filename, 200) or "file",
            content_type=attachment.content_type or "application/octet-stream",
            size=attachment.size,
        )
        if attachment.size > MAX_ATTACHMENT_BYTES:
            return stored
        data = await attachment.read()
        if stored.content_type.startswith("image/"):
            try:
                stored.content_type = check_image(data, MAX_ATTACHMENT_BYTES).content_type
            except InvalidInput:
                stored.content_type = "application/octet-stream"  # not really an image: kept as a file
        # The raw filename is the sender's to choose ("../../etc/passwd"): it stays display text
        # on the record, and the file on disk gets a safe name, unique by the attachment's id.
        relative = Path("attachments") / str(ticket.guild_id) / str(ticket.id) / stored_name(attachment)
        path = self.data_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        stored.stored_path = str(relative)
        return stored

    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None:
            return
        ticket = await Ticket.find_one({"channel_id": message.channel.id})
        if ticket is None:
            return
        attachments = [await self._copy(ticket, a) for a in message.attachments]
        entry = TicketMessage(
            ticket_id=ticket.id,
            guild_id=ticket.guild_id,
            channel_id=message.channel.id,
            message_id=message.id,
            author_id=message.author.id,
            author_name=message.author.name,
            author_is_bot=message.author.bot,
            content=message.content,
            embeds_text=[e.description or e.title or "" for e in message.embeds],
            attachments=attachments,
            created_at=message.created_at,
        )
        await TicketMessage.get_pymongo_collection().update_one(
            {"message_id": message.id}, {"$setOnInsert": entry.model_dump(exclude={"id"})}, upsert=True
        )

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        content = payload.data.get("content")
        if content is None:
            return
        previous = await TicketMessage.find_one({"message_id": payload.message_id})
        if previous is None or previous.content == content:
            return
        await TicketMessage.get_pymongo_collection().update_one(
            {"_id": previous.id},
            {
                "$set": {"content": content},
                "$push": {"edits": MessageEdit(content=previous.content, at=utcnow()).model_dump()},
            },
        )

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await TicketMessage.get_pymongo_collection().update_one(
            {"message_id": payload.message_id, "deleted_at": None}, {"$set": {"deleted_at": utcnow()}}
        )
