"""Rating stars after delivery: a click opens a modal for an optional comment."""

from __future__ import annotations

import discord

from bot import replies
from models.store import Store
from workflows.errors import InvalidInput
from workflows.i18n import text
from workflows.ratings import parse_stars


class RatingModal(discord.ui.Modal):
    """Optional comment; answered by `bot.modals.rating` (survives restarts)."""

    def __init__(self, store: Store, ticket_id: str, stars: int) -> None:
        super().__init__(title="⭐" * stars, custom_id=f"rating:{ticket_id}:{stars}")
        self.add_item(
            discord.ui.InputText(
                label=text(store.locale, "rating.comment"),
                custom_id="comment",
                required=False,
                max_length=500,
                style=discord.InputTextStyle.long,
            )
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        return None  # the router handles the submission


async def on_rate(interaction: discord.Interaction, store: Store, ticket_id: str, stars: str) -> None:
    try:
        # The custom_id comes from the client: a forged one gets the same answer as a typed one.
        count = parse_stars(stars)
    except InvalidInput:
        await replies.say(interaction, text(store.locale, "security.rating_whole_number"))
        return
    await interaction.response.send_modal(RatingModal(store, ticket_id, count))
