"""Routes every button, menu and modal to its handler by custom_id, so buttons keep working
after a restart: nothing about them lives in the bot's memory."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

from bot import replies
from bot.buttons import buy, cancel, close, paid, panel_page, payment_methods, rate, verify
from bot.modals import payment_report, rating
from models.store import Store
from workflows import tickets
from workflows.errors import StoreError
from workflows.i18n import text
from workflows.products import cached_store

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[None]]

BY_PREFIX: dict[str, Handler] = {
    "buy_btn": buy.on_buy_button,
    "buy_select": buy.on_buy_select,
    "payment_btn": payment_methods.on_payment_methods,
    "methods": payment_methods.on_choose_method,
    "method": payment_methods.on_method_chosen,
    "paid": paid.on_paid,
    "report": payment_report.on_payment_report,
    "verify": verify.on_verify,
    "reject": verify.on_reject,
    "cancel": cancel.on_cancel,
    "close": close.on_close,
    "close_confirm": close.on_close_confirm,
    "panel_page": panel_page.on_panel_page,
    "rate": rate.on_rate,
    "rating": rating.on_rating,
}
NEEDS_TICKET = {
    "methods",
    "method",
    "paid",
    "report",
    "verify",
    "reject",
    "cancel",
    "rate",
    "rating",
    "close",
    "close_confirm",
}
WITH_ARGUMENTS = {*NEEDS_TICKET, "panel_page"}


async def _store_for(interaction: discord.Interaction, ticket_id: str | None) -> Store:
    if interaction.guild_id is not None:
        return await cached_store(interaction.guild_id)
    ticket = await tickets.get_ticket(ticket_id or "")
    return await cached_store(ticket.guild_id)


async def on_interaction(interaction: discord.Interaction) -> None:
    """The bot's listener for component clicks and modal submissions."""
    if interaction.type not in (discord.InteractionType.component, discord.InteractionType.modal_submit):
        return
    custom_id = str((interaction.data or {}).get("custom_id", ""))
    prefix, *parts = custom_id.split(":")
    handler = BY_PREFIX.get(prefix)
    if handler is None:
        return
    store: Store | None = None
    try:
        store = await _store_for(interaction, parts[0] if prefix in NEEDS_TICKET else None)
        arguments = parts if prefix in WITH_ARGUMENTS else []
        await handler(interaction, store, *arguments)
    except StoreError as error:
        await replies.say(interaction, replies.refusal(store.locale if store else "en", error))
    except Exception:
        log.exception("interaction %s failed", custom_id)
        await replies.say(
            interaction, text(store.locale if store else "en", "error.generic", reason="internal error")
        )
