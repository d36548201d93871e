"""A ticket's opening message: what to pay and its buttons. Apart from the opening actor so
the bot can redraw it (a coupon changes the amount) without importing Dramatiq's broker,
which needs the store's Redis settings at import."""

from __future__ import annotations

import hashlib

from models.store import Store
from models.ticket import Ticket
from workers.discord import OutgoingMessage
from workflows import saldo_payments
from workflows.discord_contract import components, custom_ids
from workflows.discord_contract.components import ButtonStyle
from workflows.discord_contract.custom_ids import Action
from workflows.i18n import text
from workflows.money import format_amount


def nonce(kind: str, ticket: Ticket) -> str:
    """The same nonce for the same message of the same ticket: Discord drops a repeat."""
    return kind + hashlib.sha256(f"{ticket.id}".encode()).hexdigest()[:24]


def instructions(store: Store, ticket: Ticket, balance: int = 0) -> OutgoingMessage:
    """The ticket's opening message: what to pay, and its buttons (choose a method, I have
    paid, cancel; their custom ids from `workflows.discord_contract.custom_ids`), and "Pay with
    saldo" when the buyer's `balance` covers the amount (`workflows.saldo_payments`)."""
    content = text(
        store.locale,
        "ticket.instructions",
        buyer=ticket.buyer_id,
        number=ticket.number,
        product=ticket.product.name,
        quantity=ticket.quantity,
        amount=format_amount(ticket.amount_due, ticket.currency),
        minutes=store.tickets.unpaid_expiry_s // 60,
    )
    buttons = [
        (Action.CHOOSE_METHOD, "ticket.choose_method", ButtonStyle.SECONDARY),
        (Action.PAID, "ticket.paid", ButtonStyle.SUCCESS),
        (Action.COUPON, "coupons.button", ButtonStyle.SECONDARY),  # only while unpaid: posted open
        (Action.CANCEL, "ticket.cancel", ButtonStyle.DANGER),
    ]
    shown = [
        components.button(custom_ids.ticket(action, ticket.id), text(store.locale, label), style)
        for action, label, style in buttons
    ]
    if saldo_payments.covers(ticket, balance):
        shown.insert(0, saldo_payments.pay_button(store.locale, ticket, balance))
    row = components.row(*shown)
    return OutgoingMessage(content=content, components=[row], nonce=nonce("o", ticket))
