"""Rating stars after delivery: a click opens a modal for an optional comment."""

from __future__ import annotations

import discord

from models.store import Store
from workflows.discord_contract import custom_ids
from workflows.discord_contract.custom_ids import Action
from workflows.i18n import text


class RatingModal(discord.ui.Modal):
    """Optional comment; answered by `bot.modals.rating` (survives restarts)."""

    def __init__(self, store: Store, ticket_id: str, stars: int) -> None:
        modal_id = custom_ids.stars(Action.RATING, ticket_id, stars)
        super().__init__(title="⭐" * stars, custom_id=modal_id.build())
        self.add_item(
            discord.ui.InputText(
                label=text(store.locale, "rating.comment"),
                custom_id=custom_ids.COMMENT_FIELD,
                required=False,
                max_length=500,
                style=discord.InputTextStyle.long,
            )
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        return None  # the router handles the submission


async def on_rate(interaction: discord.Interaction, store: Store, ticket_id: str, stars: int) -> None:
    """rate:<ticket>:<stars> (a forged star count never gets here: the router answers it)."""
    await interaction.response.send_modal(RatingModal(store, ticket_id, stars))
