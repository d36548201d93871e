"""The rating modal was submitted: record it, and post it to the testimonials channel."""

from __future__ import annotations

import discord

from bot import replies
from bot.modals.payment_report import field
from bot.people import as_buyer
from models.store import Store
from workflows import ratings
from workflows.discord_contract.custom_ids import COMMENT_FIELD
from workflows.i18n import text


async def on_rating(interaction: discord.Interaction, store: Store, ticket_id: str, stars: int) -> None:
    """rating:<ticket>:<stars>, the stars checked by the grammar (a client can send anything)."""
    await replies.ack(interaction)
    buyer = as_buyer(interaction.user)
    rating = await ratings.rate(ticket_id, buyer, stars, field(interaction, COMMENT_FIELD))
    channel = store.testimonial_channel_id
    if channel and _in_store_guild(interaction, store, channel):
        post = text(
            store.locale,
            "rating.testimonial",
            stars="⭐" * rating.stars,
            buyer=interaction.user.id,
            comment=rating.comment or "—",
        )
        await interaction.client.http.send_message(channel, post)
    await replies.say(interaction, text(store.locale, "ticket.rated"))


def _in_store_guild(interaction: discord.Interaction, store: Store, channel_id: int) -> bool:
    """The testimonial channel is one of the store's own guild (the bot's gateway cache knows
    every channel of its guilds, with its guild): a buyer's words never land in another server."""
    channel = interaction.client.get_channel(channel_id)
    guild = getattr(channel, "guild", None)
    return guild is not None and guild.id == store.guild_id
