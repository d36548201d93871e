"""› on a panel of more than 25 products: the next page, shown to the buyer who asked."""

from __future__ import annotations

import discord

from bot import replies
from bot.panel import product_lines
from models.store import Store
from workflows.panel import render


async def on_panel_page(interaction: discord.Interaction, store: Store, page: int) -> None:
    rendered = render(store, await product_lines(store), page=page)
    embed = discord.Embed.from_dict(rendered["embeds"][0])
    await replies.say(interaction, "", embed=embed)
