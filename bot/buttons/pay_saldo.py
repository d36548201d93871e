"""Pay with saldo: the buyer pays their unpaid ticket from their balance in one click; the
delivery follows as for any verified ticket (`workflows.saldo_payments.pay`)."""

from __future__ import annotations

import discord

from bot import replies
from bot.people import as_buyer
from models.store import Store
from models.ticket import Ticket
from workflows import saldo_payments, wallet
from workflows.discord_contract import components as contract
from workflows.errors import InsufficientSaldo
from workflows.i18n import text
from workflows.money import format_amount


async def offer(store: Store, ticket: Ticket) -> list[contract.Component]:
    """A row with the button when the buyer's balance covers the ticket now, else nothing."""
    balance = await wallet.balance(ticket.guild_id, ticket.buyer_id)
    if not await saldo_payments.can_pay(ticket, balance):
        return []
    return [contract.row(saldo_payments.pay_button(store.locale, ticket, balance))]


async def on_pay_saldo(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    """pay_saldo:<ticket>: pay it from the clicker's saldo (only its buyer's is taken), then
    say what was paid and what is left."""
    await replies.ack(interaction)
    assert interaction.user is not None
    try:
        result = await saldo_payments.pay(ticket_id, as_buyer(interaction.user))
    except (saldo_payments.SaldoRefused, InsufficientSaldo) as refused:
        await replies.say(interaction, refused.in_locale(store.locale))
        return
    ticket = result.ticket
    balance = await wallet.balance(ticket.guild_id, ticket.buyer_id)
    said = text(
        store.locale,
        "saldo_s2.paid",
        number=ticket.number,
        amount=format_amount(ticket.amount_due, ticket.currency),
        balance=format_amount(balance, ticket.currency),
    )
    await replies.say(interaction, said)
