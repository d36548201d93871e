"""Rating stars after delivery (the buyer only, once)."""

from __future__ import annotations

import discord

from bot import replies
from bot.people import actor
from models.store import Store
from workflows import ratings
from workflows.i18n import text


async def on_rate(interaction: discord.Interaction, store: Store, ticket_id: str, stars: str) -> None:
    await replies.ack(interaction)
    await ratings.rate(
        ticket_id, actor(interaction.user, store).model_copy(update={"kind": "buyer"}), int(stars)
    )
    await replies.say(interaction, text(store.locale, "ticket.rated"))
