"""Payment (panel): every active method with full instructions. Payment method (ticket): the
buyer picks one; it is recorded on the ticket and its instructions shown with the amount."""

from __future__ import annotations

import io

import discord

from bot import components, replies
from bot.buttons import pay_saldo
from bot.people import actor
from models.payment_method import PaymentKind, PaymentMethod
from models.store import Store
from workflows import qris, tickets
from workflows.discord_contract import components as contract
from workflows.discord_contract import custom_ids
from workflows.discord_contract.custom_ids import Action
from workflows.discord_contract.embeds import embed
from workflows.i18n import text
from workflows.money import format_amount


def describe(method: PaymentMethod, locale: str = "id") -> str:
    """One method as the buyer needs it: account number and holder, wallet number, address."""
    d = method.details
    if method.kind in (PaymentKind.BANK, PaymentKind.EWALLET):
        # Bank and e-wallet alike: the buyer checks the holder's name before sending money.
        number = d.get("account_number") or d.get("number") or ""
        holder = text(locale, "story.holder", name=d["account_name"]) if d.get("account_name") else ""
        line = f"**{method.provider}** {number} {holder}".rstrip()
    elif method.kind is PaymentKind.QRIS:
        line = f"**QRIS** {d.get('merchant_name') or d.get('image_url', '')}".rstrip()
    else:
        line = f"**{method.provider}** ({d.get('network', '')}) `{d.get('address', '')}`"
    return f"{line}\n{method.instructions}".rstrip()


def qris_images(methods: list[PaymentMethod]) -> tuple[list[discord.Embed], list[discord.File]]:
    """The QRIS codes themselves, as images a buyer can scan: drawn from the payload the
    dashboard checked (attached), or an image address given by hand."""
    embeds, files = [], []
    for m in methods:
        if m.kind is not PaymentKind.QRIS:
            continue
        embed = discord.Embed(title=f"QRIS {m.provider}")
        if m.details.get("payload"):
            name = f"qris-{m.id}.png"
            files.append(discord.File(io.BytesIO(qris.qr_png(m.details["payload"])), filename=name))
            embeds.append(embed.set_image(url=f"attachment://{name}"))
        elif m.details.get("image_url"):
            embeds.append(embed.set_image(url=m.details["image_url"]))
    return embeds, files


async def _methods(store: Store) -> list[PaymentMethod]:
    return await PaymentMethod.find({"guild_id": store.guild_id, "active": True}).sort("order").to_list()


async def on_payment_methods(interaction: discord.Interaction, store: Store) -> None:
    """payment_btn: list the store's active payment methods."""
    methods = await _methods(store)
    if not methods:
        await replies.say(interaction, text(store.locale, "payment.none"))
        return
    description = "\n\n".join(describe(m, store.locale) for m in methods)
    # Many methods with long instructions: the description is cut at Discord's 4,096.
    listing = discord.Embed.from_dict(embed(text(store.locale, "payment.title"), description))
    codes, files = qris_images(methods)
    await replies.say(
        interaction, "", embeds=[listing, *codes][:10], **({"files": files[:9]} if files else {})
    )


async def on_choose_method(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    """methods:<ticket>: offer the methods as a menu (the buyer's pick is `on_method_chosen`)."""
    methods = await _methods(store)
    if not methods:
        await replies.say(interaction, text(store.locale, "payment.none"))
        return
    options = [
        contract.Option(m.provider, str(m.id), text(store.locale, f"story.kind.{m.kind.value}"))
        for m in methods[: contract.OPTIONS_MAX]
    ]
    question = text(store.locale, "ticket.choose_method")
    menu = contract.menu(custom_ids.ticket(Action.METHOD_CHOSEN, ticket_id), options, question)
    # A buyer whose saldo covers it (topped up since the ticket opened, say) may pay from it.
    saldo = await pay_saldo.offer(store, await tickets.get_ticket(ticket_id))
    await replies.say(interaction, question, view=components.view([menu, *saldo]))


async def on_method_chosen(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    """method:<ticket>: record the chosen method and show how to pay with it."""
    await replies.ack(interaction)
    values = (interaction.data or {}).get("values") or []
    result = await tickets.choose_payment_method(ticket_id, actor(interaction.user, store), values[0])
    method = await PaymentMethod.get(result.ticket.payment_method_id)
    amount = format_amount(result.ticket.amount_due, result.ticket.currency)
    how = discord.Embed.from_dict(
        embed(
            f"{text(store.locale, 'payment.title')}: {method.provider}",
            f"{describe(method, store.locale)}\n\n**{amount}**",
        )
    )
    files = []
    if method.kind is PaymentKind.QRIS and method.details.get("payload"):
        # A QRIS made for this ticket: the buyer's app fills in the exact amount, kode unik included.
        payload = qris.with_amount(method.details["payload"], result.ticket.amount_due)
        name = f"qris-{result.ticket.number}.png"
        files.append(discord.File(io.BytesIO(qris.qr_png(payload)), filename=name))
        how.set_image(url=f"attachment://{name}")
        await replies.say(interaction, "", embed=how, files=files)
        return
    codes, files = qris_images([method])
    await replies.say(interaction, "", embeds=[how, *codes], **({"files": files} if files else {}))
