"""Buy: choose a product (when there are several), open a ticket, open its private channel."""

from __future__ import annotations

import discord

from bot import replies, ticket_channels
from bot.panel import product_lines
from bot.people import as_buyer
from models.store import Store, utcnow
from models.ticket import Actor, Ticket
from workers.setup_check import tell_seller_tickets_blocked
from workflows import analytics, tickets
from workflows.errors import StoreError
from workflows.i18n import text
from workflows.money import format_amount
from workflows.panel import product_choice
from workflows.products import get_product


async def on_buy_button(interaction: discord.Interaction, store: Store) -> None:
    """buy_btn: with one product buy it; with several, offer a choice."""
    await replies.ack(interaction)
    await analytics.record_panel_click(store.guild_id, interaction.user.id, utcnow())
    lines = [line for line in await product_lines(store) if line.stock > 0]
    if len(lines) == 1:
        await buy(interaction, store, str(lines[0].product.id))
    elif not lines:
        await replies.say(interaction, text(store.locale, "error.all_sold_out"))
    else:
        await replies.say(interaction, text(store.locale, "panel.choose"), view=_choice(store, lines))


def _choice(store: Store, lines: list) -> discord.ui.View:  # type: ignore[type-arg]
    """The product menus of `workflows.panel.product_choice` as a py-cord view."""
    view = discord.ui.View(timeout=None)
    for row in product_choice(store, lines):
        menu = row["components"][0]
        options = [
            discord.SelectOption(label=o["label"], value=o["value"], description=o["description"])
            for o in menu["options"]
        ]
        view.add_item(
            discord.ui.Select(custom_id=menu["custom_id"], placeholder=menu["placeholder"], options=options)
        )
    return view


async def on_buy_select(interaction: discord.Interaction, store: Store) -> None:
    """buy_select:*: the buyer picked a product."""
    await replies.ack(interaction)
    values = (interaction.data or {}).get("values") or []
    if values:
        await buy(interaction, store, values[0])


async def buy(interaction: discord.Interaction, store: Store, product_id: str) -> None:
    """Open the ticket (stock reserved atomically), its channel, and post the instructions."""
    try:
        product = await get_product(store.guild_id, product_id)
        # Sellers buy as buyers too (a test purchase).
        buyer = as_buyer(interaction.user)
        ticket = await tickets.open_ticket(store.guild_id, product.id, buyer)
    except StoreError as error:
        await replies.say(interaction, replies.refusal(store.locale, error))
        return
    try:
        channel = await ticket_channels.create(interaction.guild, store, interaction.user, product.name)
    except discord.HTTPException as error:
        # Cancelling puts the reserved stock back on sale.
        await tickets.cancel(ticket, Actor.system("bot"), "ticket channel could not be created")
        if not isinstance(error, discord.Forbidden):
            await replies.say(interaction, text(store.locale, "buy.channel_failed"))
            return
        # 403: the bot lacks a permission where tickets open (topics/opcodes-and-status-codes.mdx
        # 50013 Missing Permissions); retrying will not help until the seller fixes it.
        await replies.say(interaction, text(store.locale, "setup_check.buy_blocked"))
        client = interaction.client
        await tell_seller_tickets_blocked(
            client.http, store, client.user.id, interaction.user.id, ticket.number
        )
        return
    await tickets.attach_channel(ticket.id, channel.id)
    await channel.send(**instructions(store, ticket))
    await replies.say(interaction, text(store.locale, "buy.opened", channel=channel.id))


def instructions(store: Store, ticket: Ticket) -> dict[str, object]:
    """The ticket's opening message: what to pay, and its buttons."""
    content = text(
        store.locale,
        "ticket.instructions",
        buyer=ticket.buyer_id,
        number=ticket.number,
        product=ticket.product.name,
        quantity=ticket.quantity,
        amount=format_amount(ticket.amount_due, ticket.currency),
        minutes=store.tickets.unpaid_expiry_s // 60,
    )
    view = discord.ui.View(timeout=None)
    for label, custom_id, style in (
        (text(store.locale, "ticket.choose_method"), f"methods:{ticket.id}", discord.ButtonStyle.secondary),
        (text(store.locale, "ticket.paid"), f"paid:{ticket.id}", discord.ButtonStyle.success),
        (text(store.locale, "ticket.cancel"), f"cancel:{ticket.id}", discord.ButtonStyle.danger),
    ):
        view.add_item(discord.ui.Button(label=label, custom_id=custom_id, style=style))
    return {"content": content, "view": view}
