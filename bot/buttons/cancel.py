"""Cancel (buyer before payment, or seller): the stock goes back on the shelf."""

from __future__ import annotations

import discord

from bot import replies
from bot.people import actor
from models.store import Store
from workflows import tickets


async def on_cancel(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    await replies.ack(interaction)
    result = await tickets.cancel(ticket_id, actor(interaction.user, store), "cancelled in Discord")
    await replies.say(interaction, result.message or "✔")
