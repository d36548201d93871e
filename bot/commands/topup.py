"""/topup <amount> [method]: a buyer asks to add saldo and is shown, privately, the exact amount
to pay (the amount plus its kode unik), how to pay it (the chosen method, or every method of the
store) and, where the store has QRIS, a QRIS made for that exact amount (issue 21, item 5).

The request itself is `workflows.topups.request`; the money is matched like a ticket's (bank
mutation, gateway callback, a seller's verification), and the buyer is told by DM when it is on
their saldo (`workers.saldo_notices`). `method` offers the store's methods as autocomplete
choices (their ids); a method typed by name ("BCA") is found by its name."""

from __future__ import annotations

import io

import discord
from beanie import PydanticObjectId

from bot import replies
from bot.buttons.payment_methods import describe
from models.payment_method import PaymentMethod
from models.store import Store
from models.topup import TopUp
from workflows import qris, topups
from workflows.discord_contract.embeds import embed
from workflows.errors import StoreError
from workflows.i18n import text
from workflows.money import format_amount
from workflows.products import cached_store
from workflows.ticket_story import local_time

CHOICES_MAX = 25  # interactions/application-commands.mdx: an autocomplete answer lists at most 25


async def _methods(guild_id: int) -> list[PaymentMethod]:
    return await PaymentMethod.find({"guild_id": guild_id, "active": True}).sort("order").to_list()


def _named(methods: list[PaymentMethod], written: str) -> PaymentMethod | None:
    """The method a buyer picked (its id, from autocomplete) or typed (its name, any case)."""
    written = written.strip()
    for m in methods:
        if str(m.id) == written or m.provider.casefold() == written.casefold():
            return m
    return None


def how_to_pay(
    store: Store, topup: TopUp, methods: list[PaymentMethod]
) -> tuple[discord.Embed, list[discord.File]]:
    """The answer: the exact amount, until when, the methods, and the QRIS for this amount."""
    locale = store.locale
    due = format_amount(topup.amount_due, topup.currency)
    lines = [
        text(
            locale,
            "saldo_s3.topup.pay",
            amount=due,
            asked=format_amount(topup.amount, topup.currency),
            code=format_amount(topup.unique_code, topup.currency),
        ),
        text(locale, "saldo_s3.topup.until", when=local_time(topup.expires_at, locale)),
        "",
        *[describe(m, locale) for m in methods],
        "",
        text(locale, "saldo_s3.topup.told", amount=due),
    ]
    answer = discord.Embed.from_dict(
        embed(text(locale, "saldo_s3.topup.title", amount=due), "\n".join(lines).strip())
    )
    files: list[discord.File] = []
    if topup.qris_payload:
        # A QRIS for exactly this amount: the buyer's app fills it in, kode unik included.
        name = f"qris-topup-{topup.id}.png"
        files.append(discord.File(io.BytesIO(qris.qr_png(topup.qris_payload)), filename=name))
        answer.set_image(url=f"attachment://{name}")
    return answer, files


async def _method_choices(ctx: discord.AutocompleteContext) -> list[discord.OptionChoice]:
    """The store's active methods whose name contains what the buyer typed so far."""
    typed = str(ctx.value or "").casefold()
    methods = await _methods(ctx.interaction.guild_id or 0)
    return [discord.OptionChoice(m.provider, str(m.id)) for m in methods if typed in m.provider.casefold()][
        :CHOICES_MAX
    ]


def register(bot: discord.Bot) -> None:
    @bot.slash_command(
        name="topup",
        description="Add saldo: shows the exact amount to pay",
        description_localizations={"id": text("id", "saldo_s3.topup.command")},
        contexts={discord.InteractionContextType.guild},
    )
    @discord.option(
        "amount",
        int,
        description="How much saldo to add, in rupiah (e.g. 50000)",
        description_localizations={"id": text("id", "saldo_s3.topup.amount_option")},
        min_value=topups.MIN_AMOUNT,
        max_value=topups.MAX_AMOUNT,
    )
    @discord.option(
        "method",
        str,
        description="How you will pay (leave empty to see every method)",
        description_localizations={"id": text("id", "saldo_s3.topup.method_option")},
        required=False,
        default=None,
        autocomplete=_method_choices,
    )
    async def topup_command(ctx: discord.ApplicationContext, amount: int, method: str | None) -> None:
        await ctx.defer(ephemeral=True)  # only the buyer sees what to pay
        store = await cached_store(ctx.guild_id)
        methods = await _methods(store.guild_id)
        if not methods:  # nothing to pay with: no top-up is asked for (it would hold an amount)
            await ctx.followup.send(text(store.locale, "payment.none"), ephemeral=True)
            return
        chosen = _named(methods, method) if method else None
        if method and chosen is None:
            names = ", ".join(m.provider for m in methods) or "—"
            await ctx.followup.send(
                text(store.locale, "saldo_s3.topup.no_such_method", names=names), ephemeral=True
            )
            return
        try:
            topup = await topups.request(
                store,
                ctx.author.id,
                amount,
                buyer_name=ctx.author.display_name or ctx.author.name,
                method_id=PydanticObjectId(chosen.id) if chosen is not None else None,
            )
        except StoreError as error:
            await ctx.followup.send(replies.refusal(store.locale, error), ephemeral=True)
            return
        answer, files = how_to_pay(store, topup, [chosen] if chosen is not None else methods)
        await ctx.followup.send(embed=answer, ephemeral=True, **({"files": files} if files else {}))
