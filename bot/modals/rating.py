"""The rating modal was submitted: record it, and post it to the testimonials channel."""

from __future__ import annotations

import discord

from bot import replies
from bot.modals.payment_report import field
from bot.people import as_buyer
from models.store import Store
from workflows import ratings
from workflows.i18n import text


async def on_rating(interaction: discord.Interaction, store: Store, ticket_id: str, stars: str) -> None:
    await replies.ack(interaction)
    buyer = as_buyer(interaction.user)
    rating = await ratings.rate(ticket_id, buyer, int(stars), field(interaction, "comment"))
    if store.testimonial_channel_id:
        post = text(
            store.locale,
            "rating.testimonial",
            stars="⭐" * rating.stars,
            buyer=interaction.user.id,
            comment=rating.comment or "—",
        )
        await interaction.client.http.send_message(store.testimonial_channel_id, post)
    await replies.say(interaction, text(store.locale, "ticket.rated"))
