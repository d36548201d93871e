"""The payment report modal was submitted: report_payment (sellers are then asked to verify)."""

from __future__ import annotations

import discord

from bot import replies
from bot.people import actor
from models.store import Store
from workflows import tickets
from workflows.i18n import text


def field(interaction: discord.Interaction, custom_id: str) -> str:
    for row in (interaction.data or {}).get("components", []):
        for item in row.get("components", []):
            if item.get("custom_id") == custom_id:
                return str(item.get("value") or "")
    return ""


async def on_payment_report(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    await replies.ack(interaction)
    await tickets.report_payment(
        ticket_id,
        actor(interaction.user, store).model_copy(update={"kind": "buyer"}),
        field(interaction, "reference"),
    )
    await replies.say(interaction, text(store.locale, "ticket.reported"))
