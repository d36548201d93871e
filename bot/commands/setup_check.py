"""/setup-check: a seller asks what the bot may do where the store needs it, and gets the fix
for what it may not, privately (the dashboard's "Setup check" page shows the same report)."""

from __future__ import annotations

import discord

from bot.people import is_seller
from workers.discord import DiscordUnavailable
from workers.setup_check import read
from workflows import products
from workflows.i18n import text

EMBED_DESCRIPTION_MAX = 4096  # resources/message.mdx "Embed Limits"
GREEN, RED = 0x57F287, 0xED4245


def register(bot: discord.Bot) -> None:
    # No default_member_permissions: people with one of the store's seller roles but without
    # Manage Server may run it too; `is_seller` decides, as for every seller action.
    @bot.slash_command(
        name="setup-check",
        description="Check what the bot may do where the store needs it",
        description_localizations={"id": text("id", "setup_check.command")},
        contexts={discord.InteractionContextType.guild},  # `guild_only` is deprecated in py-cord 2.6
    )
    async def setup_check(ctx: discord.ApplicationContext) -> None:
        await ctx.defer(ephemeral=True)
        store = await products.open_store(ctx.guild_id)
        if not is_seller(ctx.author, store):
            await ctx.followup.send(text(store.locale, "setup_check.not_seller"), ephemeral=True)
            return
        try:
            report = await read(bot.http, store, bot.user.id)
        except DiscordUnavailable:
            await ctx.followup.send(text(store.locale, "setup_check.unavailable"), ephemeral=True)
            return
        summary, *lines = report.lines(store.locale)
        description = "\n".join(lines)
        if len(description) > EMBED_DESCRIPTION_MAX:
            description = description[: EMBED_DESCRIPTION_MAX - 1] + "…"
        embed = discord.Embed(
            title=text(store.locale, "setup_check.title"),
            description=description,
            color=GREEN if report.ok else RED,
        )
        await ctx.followup.send(summary, embed=embed, ephemeral=True)
