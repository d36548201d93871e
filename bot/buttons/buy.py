"""Buy: choose a product (when there are several), open a ticket; its channel is made by a worker
(`workers.ticket_opening`), which then edits the buyer's "being opened" reply with the link."""

from __future__ import annotations

import asyncio
import logging

import discord

from bot import components, replies
from bot.buttons import buy_saldo, notify
from bot.panel import product_lines
from bot.people import as_buyer
from models.store import Store, utcnow
from models.ticket import TicketOpening
from workflows import analytics, outbox, tickets
from workflows.errors import StoreError
from workflows.i18n import text
from workflows.panel import product_choice
from workflows.products import get_product
from workflows.ticket_channel import INTERACTION_TOKEN_VALID

log = logging.getLogger(__name__)


async def _acknowledge(interaction: discord.Interaction) -> None:
    """Acknowledge at once with an ephemeral "thinking…" answer of the buyer's own (type 5,
    interactions/receiving-and-responding.mdx "Interaction Callback Type"), not the invisible
    type 6 of other buttons: its @original is then this answer, which the bot edits to "being
    opened" and the worker to the channel link. After a type 6, @original would be the panel."""
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, invisible=False)


# Buy clicks being worked on at once, after their acknowledgement. In a rush the bot's event
# loop would otherwise hold hundreds of half-done purchases whose database round trips all
# queue ahead of the next click's acknowledgement, and a click not acknowledged within 3 s is
# lost ("This interaction failed"). Bounded, a new click is acknowledged at once and waits
# its turn for the rest; its answer comes by editing the acknowledgement (valid 15 minutes).
IN_PROGRESS_AT_ONCE = 16
_in_progress = asyncio.Semaphore(IN_PROGRESS_AT_ONCE)


async def on_buy_button(interaction: discord.Interaction, store: Store) -> None:
    """buy_btn: with one product buy it; with several, offer a choice."""
    await _acknowledge(interaction)
    async with _in_progress:
        await analytics.record_panel_click(store.guild_id, interaction.user.id, utcnow())
        # Counted now, from the stock collection: "sold out" is said only of what nobody can
        # buy at this moment (a unit released a second ago by a ticket that failed to open).
        every = await product_lines(store)
        lines = [line for line in every if line.stock > 0]
        # Sold-out products are offered to wait for ("Kabari saya"), below the choice.
        waiting_list = notify.notify_choice(store, every)
        if len(lines) == 1:
            await buy(interaction, store, str(lines[0].product.id))
        elif not lines and waiting_list:
            menus = components.view(waiting_list)
            await replies.say(interaction, text(store.locale, "stock_alerts.all_sold_out"), view=menus)
        elif not lines:
            await replies.say(interaction, text(store.locale, "error.all_sold_out"))
        else:
            menus = components.view(product_choice(store, lines) + waiting_list)
            await replies.say(interaction, text(store.locale, "panel.choose"), view=menus)


async def on_buy_select(interaction: discord.Interaction, store: Store, start: int) -> None:
    """buy_select:<start>: the buyer picked a product in the menu of the products from `start`
    on (the pick itself, the product's id, is the menu's value)."""
    await _acknowledge(interaction)
    values = (interaction.data or {}).get("values") or []
    if values:
        async with _in_progress:
            await buy(interaction, store, values[0])


async def on_buy_with_ticket(interaction: discord.Interaction, store: Store, product_id: str) -> None:
    """buy_ticket:<product>: a buyer offered to pay from saldo chose a ticket instead."""
    await _acknowledge(interaction)
    async with _in_progress:
        await buy(interaction, store, product_id, offer_saldo=False)


async def buy(
    interaction: discord.Interaction, store: Store, product_id: str, *, offer_saldo: bool = True
) -> None:
    """Open the ticket (stock reserved atomically) and say it is being opened; a worker makes
    its channel, posts the instructions and edits this answer with the link. A buyer whose
    saldo covers an automatic product is first asked whether to pay from it at once
    (`bot.buttons.buy_saldo`)."""
    opening = TicketOpening(
        application_id=interaction.application_id,
        interaction_token=interaction.token,
        token_expires_at=utcnow() + INTERACTION_TOKEN_VALID,
    )
    try:
        product = await get_product(store.guild_id, product_id)
        if offer_saldo and await buy_saldo.offer(interaction, store, product):
            return
        # Sellers buy as buyers too (a test purchase).
        buyer = as_buyer(interaction.user)
        ticket = await tickets.open_ticket(store.guild_id, product.id, buyer, opening=opening)
    except StoreError as error:
        await replies.say(interaction, replies.refusal(store.locale, error))
        return
    try:
        # The deferred answer itself (@original), which the worker edits later.
        await interaction.edit_original_response(content=text(store.locale, "opening.in_progress"))
    except discord.HTTPException:  # the ticket opens anyway; the worker's edit or DM tells them
        log.warning("ticket %s: could not tell the buyer it is being opened", ticket.id, exc_info=True)
    finally:
        # Relayed only now, so the worker's "ready" edit always comes after "being opened";
        # if this process dies first, the opening watchdog sends it (`tickets.OPENING_WATCHDOG`).
        await outbox.relay(ticket.id, ticket.outbox)
