"""/panel: a seller posts the live product panel in the current channel (the dashboard's
Publish calls the same `bot.panel.publish`)."""

from __future__ import annotations

import discord

from bot.panel import publish
from bot.people import is_seller
from models.store import Store
from workflows import products
from workflows.i18n import text


def register(bot: discord.Bot) -> None:
    @bot.slash_command(
        name="panel",
        description="Post the live product panel in this channel",
        default_member_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )
    async def panel(ctx: discord.ApplicationContext) -> None:
        await ctx.defer(ephemeral=True)
        store = await products.open_store(ctx.guild_id)
        if not is_seller(ctx.author, store):
            await ctx.followup.send(text(store.locale, "ticket.not_seller"), ephemeral=True)
            return
        await Store.get_pymongo_collection().update_one(
            {"_id": store.id}, {"$set": {"panel.channel_id": ctx.channel_id, "panel.message_id": None}}
        )
        await publish(bot, await products.get_store(ctx.guild_id))
        await ctx.followup.send(text(store.locale, "panel.posted"), ephemeral=True)
