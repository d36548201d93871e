"""Use a coupon: opens the coupon modal (only for the ticket's buyer, only while unpaid)."""

from __future__ import annotations

import discord

from bot import replies
from models.store import Store
from models.ticket import TicketState
from workflows import tickets
from workflows.coupons import CouponRefused
from workflows.discord_contract import custom_ids
from workflows.discord_contract.custom_ids import Action
from workflows.i18n import text


class CouponModal(discord.ui.Modal):
    """One field, the code; answered by `bot.modals.coupon` (survives restarts)."""

    def __init__(self, store: Store, ticket_id: str) -> None:
        super().__init__(
            title=text(store.locale, "coupons.modal_title"),
            custom_id=custom_ids.ticket(Action.COUPON_CODE, ticket_id).build(),
        )
        self.add_item(
            discord.ui.InputText(
                label=text(store.locale, "coupons.code_label"),
                custom_id=custom_ids.COUPON_FIELD,
                min_length=1,
                max_length=32,
            )
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        return None  # the router handles the submission


async def on_coupon(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    """coupon:<ticket>: refuse early what the modal could not change, else ask for the code."""
    ticket = await tickets.get_ticket(ticket_id)
    refusal = None
    if interaction.user.id != ticket.buyer_id:
        refusal = CouponRefused(key="not_yours")
    elif ticket.coupon is not None:
        refusal = CouponRefused(key="one_per_ticket", code=ticket.coupon.code)
    elif ticket.state is not TicketState.OPEN or ticket.payment_report is not None:
        refusal = CouponRefused(key="not_open")
    if refusal is not None:
        await replies.say(interaction, refusal.in_locale(store.locale))
        return
    await interaction.response.send_modal(CouponModal(store, ticket_id))
