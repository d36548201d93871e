"""The buyer's orders (issue 20, item 3): what `/orders` lists, the receipt every delivery
carries, and "send it again" for a delivered order.

Only the buyer sees their orders: `page_of` reads the tickets of one buyer in one store, and a
re-send is written only for the ticket's own buyer (`resendable`, then `resend`, whose write
is conditional on the buyer again), whatever custom id a client sends. The re-send itself is
an outbox entry for the `resend_product` worker, written with the history entry that logs it,
so it is sent once even if the bot stops right after the click.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from beanie import PydanticObjectId
from pymongo import DESCENDING

from models.payment_method import PaymentMethod
from models.store import Store, utcnow
from models.ticket import Actor, HistoryEntry, Ticket, TicketState
from workflows import outbox
from workflows.actor_names import ActorName
from workflows.discord_contract import components, custom_ids, embeds
from workflows.discord_contract.components import ButtonStyle, Component
from workflows.discord_contract.embeds import Embed, Field
from workflows.errors import StoreError
from workflows.i18n import text
from workflows.money import format_amount
from workflows.saldo_payments import SALDO
from workflows.ticket_story import local_time

# Ten orders a page: ten receipt fields (an embed holds 25, resources/message.mdx "Embed
# Limits") of at most ~300 characters each stay far under the 6,000 of a message, and their
# "send again" buttons fill two rows of five (components/reference.mdx, Action Row: 5 buttons),
# leaving a row for the page buttons, within a message's 5 rows.
PAGE_SIZE = 10
RESEND_TRIGGER = "resend"  # the history entry that logs a re-send (`workflows.ticket_story`)
RECEIPT_COLOUR = 0x57F287


class ResendRefused(StoreError):
    """Why a delivered order was not sent again, in the reader's language (`orders.refused.*`)."""

    code = "resend_refused"

    def _text(self, locale: str) -> str:
        return text(locale, f"orders.refused.{self.key}", **self.values)


@dataclass(frozen=True)
class OrdersPage:
    """One page of a buyer's orders in one store, newest first."""

    orders: list[Ticket]
    methods: dict[PydanticObjectId, str]  # payment method id → its name ("BCA")
    page: int  # from 0
    pages: int  # at least 1
    total: int


async def page_of(guild_id: int, buyer_id: int, page: int = 0) -> OrdersPage:
    """Page `page` of `buyer_id`'s orders in the store of `guild_id` (a page past the end
    shows the last). Only this buyer's tickets are read: the filter is the point."""
    mine = {"guild_id": guild_id, "buyer_id": buyer_id}
    collection = Ticket.get_pymongo_collection()
    total = await collection.count_documents(mine)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    orders = (
        await Ticket.find(mine)
        .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
        .skip(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .to_list()
    )
    return OrdersPage(orders, await method_names(orders), page, pages, total)


async def method_names(orders: list[Ticket]) -> dict[PydanticObjectId, str]:
    """The names of the payment methods the orders were paid with, in one read."""
    ids = list({t.payment_method_id for t in orders if t.payment_method_id is not None})
    if not ids:
        return {}
    return {m.id: m.provider for m in await PaymentMethod.find({"_id": {"$in": ids}}).to_list()}


def status(ticket: Ticket, locale: str) -> str:
    """Where the order stands, as the buyer says it."""
    if ticket.state is TicketState.CLOSED:
        outcome = ticket.outcome.value if ticket.outcome else "completed"
        return text(locale, f"orders.status.closed_{outcome}")
    return text(locale, f"orders.status.{ticket.state.value}")


def _when(ticket: Ticket) -> datetime:
    return ticket.paid_at or ticket.created_at


def _method(ticket: Ticket, methods: dict[PydanticObjectId, str]) -> str:
    if ticket.verification is not None and ticket.verification.wallet_entry_id is not None:
        return SALDO  # paid from the buyer's saldo (`workflows.saldo_payments`)
    return methods.get(ticket.payment_method_id, "—") if ticket.payment_method_id else "—"


def transcript_link(ticket: Ticket, dm_channel_id: int | None) -> str | None:
    """A link to the buyer's copy of the transcript in their DMs with the bot (sent when the
    ticket closed, `workers.actors.archive_transcript`): Discord's message link
    `https://discord.com/channels/@me/<channel>/<message>` opens it for that buyer only."""
    if ticket.transcript is None or ticket.transcript.buyer_copy_id is None or dm_channel_id is None:
        return None
    return f"https://discord.com/channels/@me/{dm_channel_id}/{ticket.transcript.buyer_copy_id}"


def needs_dm_channel(shown: OrdersPage) -> bool:
    """Whether a transcript on the page can be linked (then the caller finds their DM channel)."""
    return any(t.transcript is not None and t.transcript.buyer_copy_id for t in shown.orders)


def receipt_lines(
    ticket: Ticket, methods: dict[PydanticObjectId, str], locale: str, dm_channel_id: int | None = None
) -> str:
    """An order's receipt in a few lines: amount, method, time, status, transcript."""
    lines = [
        text(
            locale,
            "orders.line",
            amount=format_amount(ticket.amount_due, ticket.currency),
            method=_method(ticket, methods),
            when=local_time(_when(ticket), locale),
            status=status(ticket, locale),
        )
    ]
    if ticket.coupon is not None:
        lines.append(text(locale, "orders.coupon", code=ticket.coupon.code))
    link = transcript_link(ticket, dm_channel_id)
    if link is not None:
        lines.append(text(locale, "orders.transcript_link", url=link))
    elif ticket.transcript is not None:  # archived, but no copy reached the buyer's DMs
        lines.append(text(locale, "orders.transcript"))
    return "\n".join(lines)


def order_title(ticket: Ticket, locale: str) -> str:
    return text(
        locale,
        "orders.title_line",
        number=ticket.number,
        product=ticket.product.name,
        quantity=ticket.quantity,
    )


def can_resend(ticket: Ticket) -> bool:
    """Delivered by the bot (a seller's own hand-over has nothing for the bot to send again)."""
    return ticket.delivery is not None and ticket.delivery.via != "manual"


def message(
    store: Store, shown: OrdersPage, dm_channel_id: int | None = None
) -> tuple[str, list[Embed], list[Component]]:
    """The ephemeral `/orders` answer: content, one embed of receipts, and the buttons (one
    "send again" per delivered order of the page, then ‹ › when there are more pages).
    `dm_channel_id`: the reader's DM channel with the bot, to link transcripts' copies."""
    locale = store.locale
    if not shown.orders:
        return text(locale, "orders.none", store=store.name), [], []
    fields = [
        Field(order_title(t, locale), receipt_lines(t, shown.methods, locale, dm_channel_id))
        for t in shown.orders
    ]
    footer = text(locale, "orders.page", page=shown.page + 1, pages=shown.pages, total=shown.total)
    listing = embeds.embed(text(locale, "orders.heading", store=store.name), fields=fields, footer=footer)
    buttons = [
        components.button(
            custom_ids.ticket(custom_ids.Action.RESEND, t.id),
            text(locale, "orders.resend_button", number=t.number),
            ButtonStyle.SECONDARY,
        )
        for t in shown.orders
        if can_resend(t)
    ]
    rows = [components.row(*buttons[i : i + components.BUTTONS_PER_ROW]) for i in range(0, len(buttons), 5)]
    if shown.pages > 1:
        paging = []
        if shown.page > 0:
            paging.append(components.button(custom_ids.orders_page(shown.page - 1), "‹", ButtonStyle.PRIMARY))
        if shown.page < shown.pages - 1:
            paging.append(components.button(custom_ids.orders_page(shown.page + 1), "›", ButtonStyle.PRIMARY))
        rows.append(components.row(*paging))
    return "", [listing], components.rows(*rows)


def receipt(ticket: Ticket, store: Store, methods: dict[PydanticObjectId, str]) -> Embed:
    """The receipt embed sent with every delivery (and every re-send)."""
    locale = store.locale
    return embeds.embed(
        text(locale, "orders.receipt_title", number=ticket.number),
        fields=[
            Field(text(locale, "orders.product"), f"{ticket.product.name} × {ticket.quantity}"),
            Field(
                text(locale, "orders.amount"), format_amount(ticket.amount_due, ticket.currency), inline=True
            ),
            Field(text(locale, "orders.method"), _method(ticket, methods), inline=True),
            Field(text(locale, "orders.time"), local_time(_when(ticket), locale), inline=True),
        ],
        footer=text(locale, "orders.receipt_footer", store=store.name),
        color=RECEIPT_COLOUR,
    )


async def resendable(ticket_id: str, guild_id: int, buyer_id: int) -> Ticket:
    """The ticket, if `buyer_id` bought it in this store and the bot delivered it; else
    ResendRefused (the same "not yours" for another buyer's ticket and for none at all)."""
    try:
        ticket = await Ticket.get(PydanticObjectId(ticket_id))
    except Exception:  # a malformed id: the contract's parser lets none through, but say no
        ticket = None
    if ticket is None or ticket.guild_id != guild_id or ticket.buyer_id != buyer_id:
        raise ResendRefused(key="not_yours")
    if ticket.delivery is None:
        raise ResendRefused(key="not_delivered", number=ticket.number)
    if ticket.delivery.via == "manual":
        raise ResendRefused(key="by_hand", number=ticket.number)
    return ticket


async def resend(ticket: Ticket, by: Actor, *, now: datetime | None = None) -> None:
    """Log the re-send on the ticket and queue it, in one write that holds only for the
    ticket's own buyer. Not a transition: the state and version stay (a concurrent transition
    keeps its race), the history and outbox are appended on the server."""
    if by.user_id != ticket.buyer_id:
        raise ResendRefused(key="not_yours")
    now = now or utcnow()
    entry = HistoryEntry(at=now, trigger=RESEND_TRIGGER, source=ticket.state, dest=ticket.state, by=by)
    effect = outbox.entry(ActorName.RESEND_PRODUCT.value)
    result = await Ticket.get_pymongo_collection().update_one(
        {"_id": ticket.id, "buyer_id": by.user_id, "delivery": {"$ne": None}},
        {"$push": {"history": entry.model_dump(), "outbox": effect.model_dump()}},
    )
    if result.matched_count != 1:
        raise ResendRefused(key="not_yours")
    await outbox.relay(ticket.id, [effect])
