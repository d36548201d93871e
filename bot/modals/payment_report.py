"""The payment report modal was submitted: report_payment (sellers are then asked to verify)."""

from __future__ import annotations

import discord
from beanie import PydanticObjectId

from bot import replies
from bot.people import as_buyer
from models.store import Store
from models.ticket_message import TicketMessage
from workflows import plain_text, tickets
from workflows.discord_contract.custom_ids import REFERENCE_FIELD
from workflows.i18n import text


def field(interaction: discord.Interaction, custom_id: str) -> str:
    for row in (interaction.data or {}).get("components", []):
        for item in row.get("components", []):
            if item.get("custom_id") == custom_id:
                return str(item.get("value") or "")
    return ""


async def latest_proof(ticket_id: str, buyer_id: int) -> str | None:
    """The newest image the buyer posted in the ticket (checked and copied by the transcript log)."""
    query = {
        "ticket_id": PydanticObjectId(ticket_id),
        "author_id": buyer_id,
        "attachments.content_type": {"$regex": "^image/"},
    }
    async for message in TicketMessage.find(query).sort("-created_at").limit(1):
        images = [a for a in message.attachments if a.content_type.startswith("image/") and a.stored_path]
        if images:
            return images[-1].stored_path
    return None


async def on_payment_report(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    await replies.ack(interaction)
    reference = plain_text.clean(field(interaction, REFERENCE_FIELD))
    if not reference:  # only control or bidi characters: nothing a seller could check
        await replies.say(interaction, text(store.locale, "security.reference_unreadable"))
        return
    buyer = as_buyer(interaction.user)
    proof = await latest_proof(ticket_id, interaction.user.id)
    await tickets.report_payment(ticket_id, buyer, reference, proof_ref=proof)
    await replies.say(interaction, text(store.locale, "ticket.reported"))
