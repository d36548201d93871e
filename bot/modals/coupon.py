"""The coupon modal was submitted: apply the code to the ticket and tell the buyer the new
amount (ephemeral, in the store's language), or why the code was not applied."""

from __future__ import annotations

import discord

from bot import replies
from bot.modals.payment_report import field
from bot.people import as_buyer
from models.store import Store
from workflows import tickets
from workflows.coupons import CouponRefused
from workflows.discord_contract.custom_ids import COUPON_FIELD
from workflows.i18n import text
from workflows.money import format_amount


async def on_coupon_code(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    await replies.ack(interaction)
    try:
        ticket = await tickets.apply_coupon(
            ticket_id, as_buyer(interaction.user), field(interaction, COUPON_FIELD)
        )
    except CouponRefused as refusal:
        await replies.say(interaction, refusal.in_locale(store.locale))
        return
    assert ticket.coupon is not None  # just applied
    await replies.say(
        interaction,
        text(
            store.locale,
            "coupons.applied",
            code=ticket.coupon.code,
            price=format_amount(ticket.subtotal - ticket.coupon.discount, ticket.currency),
            discount=format_amount(ticket.coupon.discount, ticket.currency),
            amount=format_amount(ticket.amount_due, ticket.currency),
        ),
    )
