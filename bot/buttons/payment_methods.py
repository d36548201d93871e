"""Payment (panel) and Payment method (ticket): every active method with full instructions."""

from __future__ import annotations

import discord

from bot import replies
from models.payment_method import PaymentKind, PaymentMethod
from models.store import Store
from workflows.i18n import text


def describe(method: PaymentMethod) -> str:
    """One method as the buyer needs it: account number and holder, wallet number, address."""
    d = method.details
    if method.kind is PaymentKind.BANK:
        line = f"**{method.provider}** {d.get('account_number', '')} a.n. {d.get('account_name', '')}"
    elif method.kind is PaymentKind.EWALLET:
        line = f"**{method.provider}** {d.get('number', '')} {d.get('account_name', '')}".rstrip()
    elif method.kind is PaymentKind.QRIS:
        line = f"**QRIS** {d.get('image_url', '')}".rstrip()
    else:
        line = f"**{method.provider}** ({d.get('network', '')}) `{d.get('address', '')}`"
    return f"{line}\n{method.instructions}".rstrip()


async def on_payment_methods(interaction: discord.Interaction, store: Store) -> None:
    """payment_btn and methods:<ticket>: list the store's active payment methods."""
    methods = await PaymentMethod.find({"guild_id": store.guild_id, "active": True}).sort("order").to_list()
    if not methods:
        await replies.say(interaction, text(store.locale, "payment.none"))
        return
    embed = discord.Embed(
        title=text(store.locale, "payment.title"), description="\n\n".join(map(describe, methods))
    )
    await replies.say(interaction, "", embed=embed)
