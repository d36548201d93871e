"""/orders: a buyer sees their own orders in this store, privately, with a receipt each and
"send again" on the delivered ones; ‹ › turn the pages (issue 20, item 3). What is listed is
the caller's alone: the list is read for whoever ran the command or clicked the page button,
never for the message's first reader."""

from __future__ import annotations

import discord

from bot.components import view
from models.store import Store
from workflows import orders
from workflows.i18n import text
from workflows.products import cached_store


async def _answer(
    store: Store, shown: orders.OrdersPage, reader: discord.User | discord.Member
) -> dict[str, object]:
    """The page as py-cord's message arguments, for `reader` (whose orders they are)."""
    dm_channel_id = None
    if orders.needs_dm_channel(shown):  # a transcript's copy to link: in the reader's DMs
        try:
            # resources/user.mdx "Create DM": the existing DM channel is returned, none is made twice.
            dm_channel_id = (await reader.create_dm()).id
        except discord.HTTPException:
            dm_channel_id = None  # the receipts say the copy is in their DMs instead
    content, embeds, rows = orders.message(store, shown, dm_channel_id)
    return {
        "content": content or None,
        "embeds": [discord.Embed.from_dict(e) for e in embeds],
        "view": view(rows) if rows else None,
    }


def register(bot: discord.Bot) -> None:
    @bot.slash_command(
        name="orders",
        description="Your orders in this store, with receipts",
        description_localizations={"id": text("id", "orders.command")},
        contexts={discord.InteractionContextType.guild},
    )
    async def orders_command(ctx: discord.ApplicationContext) -> None:
        await ctx.defer(ephemeral=True)  # only the buyer sees their orders
        store = await cached_store(ctx.guild_id)
        shown = await orders.page_of(store.guild_id, ctx.author.id, 0)
        answer = {k: v for k, v in (await _answer(store, shown, ctx.author)).items() if v is not None}
        await ctx.followup.send(ephemeral=True, **answer)  # type: ignore[arg-type]


async def on_orders_page(interaction: discord.Interaction, store: Store, page: int) -> None:
    """orders_page:<n>: the clicker's own orders, page n, in place of the list they clicked
    (interactions/receiving-and-responding.mdx, UPDATE_MESSAGE, type 7)."""
    assert interaction.user is not None
    shown = await orders.page_of(store.guild_id, interaction.user.id, page)
    answer = await _answer(store, shown, interaction.user)
    await interaction.response.edit_message(**answer)  # type: ignore[arg-type]
