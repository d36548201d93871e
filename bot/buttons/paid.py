"""I have paid: opens the payment report modal (only for the ticket's buyer)."""

from __future__ import annotations

import discord

from bot import replies
from models.store import Store
from workflows import tickets
from workflows.discord_contract import custom_ids
from workflows.discord_contract.custom_ids import Action
from workflows.i18n import text


class PaymentReportModal(discord.ui.Modal):
    """Reference field; answered by `bot.modals.payment_report` (survives restarts)."""

    def __init__(self, store: Store, ticket_id: str) -> None:
        super().__init__(
            title=text(store.locale, "payment.modal_title"),
            custom_id=custom_ids.ticket(Action.PAYMENT_REPORT, ticket_id).build(),
        )
        self.add_item(
            discord.ui.InputText(
                label=text(store.locale, "payment.reference"),
                custom_id=custom_ids.REFERENCE_FIELD,
                max_length=200,
            )
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        return None  # the router handles the submission


async def on_paid(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    ticket = await tickets.get_ticket(ticket_id)
    if interaction.user.id != ticket.buyer_id:
        await replies.say(interaction, text(store.locale, "error.generic", reason="not your ticket"))
        return
    await interaction.response.send_modal(PaymentReportModal(store, ticket_id))
