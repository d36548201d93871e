""""Kabari saya" / "Notify me": a buyer picks a sold-out product to be told by DM when it is back
(issue 20, item 4; the line and the DMs are `workflows.stock_alerts`'). The menu comes with the
answer to Buy: alone when everything is sold out, under the product choice otherwise (the
choice has at most 4 menus, so this fifth row fits: components/reference.mdx, Action Row, "up
to 5 action rows" per message)."""

from __future__ import annotations

from typing import Any

import discord

from bot import replies
from bot.panel import product_lines
from models.store import Store
from workflows import stock_alerts
from workflows.discord_contract import components, custom_ids
from workflows.discord_contract.components import Option
from workflows.errors import StoreError
from workflows.i18n import text
from workflows.money import format_amount
from workflows.panel import ProductLine


def notify_choice(store: Store, lines: list[ProductLine]) -> list[dict[str, Any]]:
    """One menu of the first 25 sold-out products (empty when none is sold out)."""
    sold_out = [line for line in lines if line.stock <= 0][: components.OPTIONS_MAX]
    if not sold_out:
        return []
    options = [
        Option(line.product.name, str(line.product.id), format_amount(line.product.price, store.currency))
        for line in sold_out
    ]
    placeholder = text(store.locale, "stock_alerts.notify_choose")
    return [components.menu(custom_ids.notify_menu(0), options, placeholder)]


async def on_notify_me(interaction: discord.Interaction, store: Store, start: int) -> None:
    """notify_me:<start>: the buyer picked a sold-out product; they join its waiting line."""
    await replies.ack(interaction)
    values = (interaction.data or {}).get("values") or []
    if not values:
        return
    lines = {str(line.product.id): line for line in await product_lines(store)}
    try:
        outcome = await stock_alerts.ask(store.guild_id, values[0], interaction.user.id)
    except StoreError as error:
        await replies.say(interaction, replies.refusal(store.locale, error))
        return
    line = lines.get(values[0])
    name = line.product.name if line else ""
    await replies.say(interaction, text(store.locale, f"stock_alerts.{outcome}", product=name))
