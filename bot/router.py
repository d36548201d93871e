"""Routes every button, menu and modal to its handler by its parsed custom id
(`workflows.discord_contract.custom_ids`), so buttons keep working after a restart: nothing
about them lives in the bot's memory. A handler gets the custom id's typed arguments (a
ticket id, a page, stars), never a string it would have to check itself."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

from bot import replies
from bot.buttons import (
    buy,
    buy_saldo,
    cancel,
    close,
    coupon,
    notify,
    paid,
    panel_page,
    pay_saldo,
    payment_methods,
    rate,
    resend,
    verify,
)
from bot.commands import orders
from bot.modals import coupon as coupon_modal
from bot.modals import payment_report, rating
from models.store import Store
from workflows import tickets
from workflows.discord_contract import custom_ids
from workflows.discord_contract.custom_ids import Action, InvalidCustomId
from workflows.errors import StoreError
from workflows.i18n import text
from workflows.products import cached_store

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[None]]

HANDLERS: dict[Action, Handler] = {
    Action.BUY: buy.on_buy_button,
    Action.PRODUCT_CHOSEN: buy.on_buy_select,
    Action.PAYMENT_METHODS: payment_methods.on_payment_methods,
    Action.PANEL_PAGE: panel_page.on_panel_page,
    Action.NOTIFY_ME: notify.on_notify_me,
    Action.CHOOSE_METHOD: payment_methods.on_choose_method,
    Action.METHOD_CHOSEN: payment_methods.on_method_chosen,
    Action.PAID: paid.on_paid,
    Action.PAYMENT_REPORT: payment_report.on_payment_report,
    Action.VERIFY: verify.on_verify,
    Action.REJECT: verify.on_reject,
    Action.CANCEL: cancel.on_cancel,
    Action.CANCEL_CONFIRM: cancel.on_cancel_confirm,
    Action.CANCEL_KEEP: cancel.on_cancel_keep,
    Action.CLOSE: close.on_close,
    Action.CLOSE_CONFIRM: close.on_close_confirm,
    Action.RATE: rate.on_rate,
    Action.RATING: rating.on_rating,
    Action.COUPON: coupon.on_coupon,
    Action.COUPON_CODE: coupon_modal.on_coupon_code,
    Action.ORDERS_PAGE: orders.on_orders_page,
    Action.RESEND: resend.on_resend,
    Action.PAY_SALDO: pay_saldo.on_pay_saldo,
    Action.BUY_WITH_SALDO: buy_saldo.on_buy_with_saldo,
    Action.BUY_WITH_TICKET: buy.on_buy_with_ticket,
}
assert set(HANDLERS) == set(Action), "every action of the grammar has a handler"


async def _store_for(interaction: discord.Interaction, ticket_id: str | None) -> Store:
    if interaction.guild_id is not None:
        return await cached_store(interaction.guild_id)
    ticket = await tickets.get_ticket(ticket_id or "")  # a DM (the rating prompt): by its ticket
    return await cached_store(ticket.guild_id)


async def _refuse_forged(interaction: discord.Interaction, error: InvalidCustomId) -> None:
    """A custom id naming one of our actions with arguments we never made (a forged or damaged
    client request): the clicker is answered, in the store's language where it is known."""
    store = await cached_store(interaction.guild_id) if interaction.guild_id is not None else None
    locale = store.locale if store else "en"
    stars = error.action in (Action.RATE, Action.RATING)
    key = "security.rating_whole_number" if stars else "contract.forged"
    await replies.say(interaction, text(locale, key))


async def on_interaction(interaction: discord.Interaction) -> None:
    """The bot's listener for component clicks and modal submissions."""
    if interaction.type not in (discord.InteractionType.component, discord.InteractionType.modal_submit):
        return
    raw = str((interaction.data or {}).get("custom_id", ""))
    store: Store | None = None
    try:
        try:
            custom_id = custom_ids.parse(raw)
        except InvalidCustomId as error:
            if error.action is not None:
                log.info("refused %s", error)
                await _refuse_forged(interaction, error)
            return  # not one of ours: nothing to answer
        store = await _store_for(interaction, custom_id.ticket_id)
        await HANDLERS[custom_id.action](interaction, store, *custom_id.arguments)
    except StoreError as error:
        await replies.say(interaction, replies.refusal(store.locale if store else "en", error))
    except Exception:
        log.exception("interaction %s failed", raw)
        await replies.say(
            interaction, text(store.locale if store else "en", "error.generic", reason="internal error")
        )
