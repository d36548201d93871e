"""Rating stars after delivery: a click opens a modal for an optional comment."""

from __future__ import annotations

import discord

from models.store import Store
from workflows.i18n import text


class RatingModal(discord.ui.Modal):
    """Optional comment; answered by `bot.modals.rating` (survives restarts)."""

    def __init__(self, store: Store, ticket_id: str, stars: str) -> None:
        super().__init__(title="⭐" * int(stars), custom_id=f"rating:{ticket_id}:{stars}")
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
    await interaction.response.send_modal(RatingModal(store, ticket_id, stars))
