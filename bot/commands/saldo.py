"""/saldo: a buyer sees their own saldo in this store, privately: the balance and the last ten
entries of its ledger, in the store's language (issue 21, item 5). The wallet read is the
caller's, whoever they are: nobody can read another buyer's saldo."""

from __future__ import annotations

import discord

from workflows import saldo_statement
from workflows.i18n import text
from workflows.products import cached_store


def register(bot: discord.Bot) -> None:
    @bot.slash_command(
        name="saldo",
        description="Your saldo in this store and its latest entries",
        description_localizations={"id": text("id", "saldo_s3.command")},
        contexts={discord.InteractionContextType.guild},
    )
    async def saldo_command(ctx: discord.ApplicationContext) -> None:
        await ctx.defer(ephemeral=True)  # only the buyer sees their saldo
        store = await cached_store(ctx.guild_id)
        shown = await saldo_statement.statement_of(store.guild_id, ctx.author.id)
        answer = discord.Embed.from_dict(saldo_statement.message(store, shown))
        await ctx.followup.send(embed=answer, ephemeral=True)
