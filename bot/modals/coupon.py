"""The coupon modal was submitted: apply the code to the ticket and tell the buyer the new
amount (ephemeral, in the store's language), or why the code was not applied. The ticket's
opening instructions are edited to the new amount too, so the channel never shows a stale one."""

from __future__ import annotations

import logging

import discord

from bot import replies
from bot.modals.payment_report import field
from bot.people import as_buyer
from models.store import Store
from models.ticket import Ticket
from workers.ticket_instructions import instructions
from workflows import tickets
from workflows.coupons import CouponRefused
from workflows.discord_contract.custom_ids import COUPON_FIELD
from workflows.i18n import text
from workflows.money import format_amount

log = logging.getLogger(__name__)


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
    said = text(
        store.locale,
        "coupons.applied",
        code=ticket.coupon.code,
        price=format_amount(ticket.subtotal - ticket.coupon.discount, ticket.currency),
        discount=format_amount(ticket.coupon.discount, ticket.currency),
        amount=format_amount(ticket.amount_due, ticket.currency),
    )
    if ticket.payment_method_id is not None:  # its instructions (a QRIS with the amount) are older
        said += "\n" + text(store.locale, "coupons.choose_again")
    await replies.say(interaction, said)
    await _show_new_amount(interaction, store, ticket)


async def _show_new_amount(interaction: discord.Interaction, store: Store, ticket: Ticket) -> None:
    """Edit the opening instructions to the new amount: content only, so the buttons stay
    (resources/message.mdx, Edit Message: fields left out are not changed)."""
    opening = ticket.opening
    if ticket.channel_id is None or opening is None or opening.instructions_message_id is None:
        return
    try:
        await interaction.client.http.edit_message(
            ticket.channel_id, opening.instructions_message_id, content=instructions(store, ticket).content
        )
    except discord.HTTPException:  # the buyer was told the amount already; the channel may be gone
        log.warning("ticket %s: could not edit its instructions to the new amount", ticket.id, exc_info=True)
