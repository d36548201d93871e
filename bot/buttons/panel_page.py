"""› on a panel of more than 25 products: the next page, shown to the buyer who asked."""

from __future__ import annotations

import discord

from bot import replies
from bot.components import view
from bot.panel import product_lines
from models.store import Store
from workflows.panel import render


async def on_panel_page(interaction: discord.Interaction, store: Store, page: int) -> None:
    rendered = render(store, await product_lines(store), page=page)
    embeds = [discord.Embed.from_dict(embed) for embed in rendered["embeds"]]  # pictures included
    links = rendered["components"][1:]  # the page's "View in 3D" rows; Buy stays on the panel
    await replies.say(interaction, "", embeds=embeds, **({"view": view(links)} if links else {}))
