"""Buy with saldo, from the panel: a buyer whose saldo covers an automatic product is asked,
after Buy, whether to pay it from saldo at once or to open a ticket as usual. Paid from saldo,
the purchase is a ticket without a channel: opened, paid (`workflows.saldo_payments.pay`) and
delivered by DM like any other, with no one to wait for."""

from __future__ import annotations

import logging

import discord

from bot import components, replies
from bot.people import as_buyer
from models.product import DeliveryMode, Product
from models.store import Store
from workflows import saldo_payments, tickets, wallet
from workflows.discord_contract import components as contract
from workflows.discord_contract import custom_ids
from workflows.discord_contract.components import ButtonStyle
from workflows.discord_contract.custom_ids import Action
from workflows.errors import InsufficientSaldo, StoreError
from workflows.i18n import text
from workflows.money import format_amount

log = logging.getLogger(__name__)


async def offer(interaction: discord.Interaction, store: Store, product: Product) -> bool:
    """Ask the buyer how to pay, in their (deferred) answer to Buy, when their saldo covers one
    unit of an automatic product. False (nothing asked) otherwise: Buy goes on as usual."""
    if product.delivery_mode is not DeliveryMode.AUTOMATIC or interaction.user is None:
        return False
    balance = await wallet.balance(store.guild_id, interaction.user.id)
    if balance < product.price:
        return False
    locale, currency = store.locale, store.currency
    price = format_amount(product.price, currency)
    question = text(
        locale,
        "saldo_s2.buy_choice",
        product=product.name,
        price=price,
        balance=format_amount(balance, currency),
    )
    row = contract.row(
        contract.button(
            custom_ids.product(Action.BUY_WITH_SALDO, product.id),
            text(locale, "saldo_s2.buy_saldo_button", price=price),
            ButtonStyle.SUCCESS,
        ),
        contract.button(
            custom_ids.product(Action.BUY_WITH_TICKET, product.id),
            text(locale, "saldo_s2.buy_ticket_button"),
            ButtonStyle.SECONDARY,
        ),
    )
    await interaction.edit_original_response(content=question, view=components.view([row]))
    return True


async def on_buy_with_saldo(interaction: discord.Interaction, store: Store, product_id: str) -> None:
    """buy_saldo:<product>: open a ticket without a channel and pay it from the clicker's saldo;
    the key goes by DM. The question's buttons go at once (the acknowledgement edits them away),
    and the store's own limits (open tickets, cooldown) still apply to a double click."""
    assert interaction.user is not None
    await interaction.response.edit_message(content=text(store.locale, "saldo_s2.buying"), view=None)
    buyer = as_buyer(interaction.user)
    try:
        ticket = await tickets.open_ticket(store.guild_id, product_id, buyer)
    except StoreError as error:
        await interaction.edit_original_response(content=replies.refusal(store.locale, error))
        return
    try:
        result = await saldo_payments.pay(ticket, buyer)
    except (saldo_payments.SaldoRefused, InsufficientSaldo) as refused:
        # Spent meanwhile (another purchase): nothing is kept, the stock goes back at once.
        await tickets.cancel(ticket, buyer, "saldo did not cover it")
        await interaction.edit_original_response(content=refused.in_locale(store.locale))
        return
    paid = result.ticket
    said = text(
        store.locale,
        "saldo_s2.bought",
        number=paid.number,
        product=paid.product.name,
        amount=format_amount(paid.amount_due, paid.currency),
        balance=format_amount(await wallet.balance(store.guild_id, paid.buyer_id), paid.currency),
    )
    log.info("ticket %s (#%s) bought with saldo by %s", paid.id, paid.number, paid.buyer_id)
    await interaction.edit_original_response(content=said)
