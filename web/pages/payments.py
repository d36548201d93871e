"""/store/<guild>/payments: money that arrived (bank mutations, gateways) but verified no ticket
by itself — no open ticket with that exact amount, or more than one. The seller matches it to a
ticket in one click; the ticket is verified through the workflow, like every other path."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from models.incoming_payment import IncomingPayment
from models.ticket import Actor, TicketState
from web.components.frame import frame
from web.components.widgets import Said, both, data_table, said
from web.i18n import say, tx, when
from web.seller import SellerAccess, SellerState, page_entry, seller_action
from workflows import payments, tickets
from workflows.errors import StoreError, TicketNotFound
from workflows.i18n import text
from workflows.money import format_amount
from workflows.ticket_search import find_tickets

STATUSES = ("unmatched", "ambiguous")


@dataclass
class IncomingRow:
    """Money that arrived and paid no ticket by itself."""

    id: str
    amount: str
    source: str
    reference: str
    status: str  # "unmatched" or "ambiguous", said in the shop's words by the page
    # Gateway money for a ticket that could not take it: why, for refund or matching.
    kept_for: Said
    received: Said


@dataclass
class OpenTicket:
    id: str
    label: str  # "#2 budi — Rp 50.123"


def incoming_row(p: IncomingPayment, currency: str) -> IncomingRow:
    def kept_for(lang: str) -> str:
        if not p.reason:
            return ""
        reason = text(lang, f"security.reason.{p.reason}")
        return say(lang, "payments.kept_for", reason=reason, number=p.ticket_number)

    return IncomingRow(
        id=str(p.id),
        amount=format_amount(p.amount, currency),
        source=f"{p.source} {p.bank}".strip(),
        reference=p.reference,
        status=p.status,
        kept_for=both(kept_for),
        received=both(lambda lang: when(p.received_at, lang)),
    )


class PaymentsState(SellerState):
    incoming: list[IncomingRow] = []
    open_tickets: list[OpenTicket] = []

    async def _reload(self, checked: SellerAccess) -> None:
        currency = checked.store.currency
        self.incoming = [incoming_row(p, currency) for p in await payments.unmatched(checked.guild_id)]
        waiting = await find_tickets(checked.guild_id, state=TicketState.OPEN.value, limit=200)
        self.open_tickets = [
            OpenTicket(
                id=str(t.id),
                label=f"#{t.number} {t.buyer_name} — {format_amount(t.amount_due, t.currency)}",
            )
            for t in waiting
        ]

    @page_entry
    async def load(self, checked: SellerAccess):
        await self._reload(checked)

    @seller_action
    async def match(self, checked: SellerAccess, form: dict):
        seller = Actor(kind="seller", user_id=checked.session.user_id, name=checked.session.username)
        ticket_id = str(form.get("ticket") or "")
        if not ticket_id:
            return self._failed(StoreError(self._say("payments.choose_ticket")))
        try:
            ticket = await tickets.get_ticket(ticket_id)
        except TicketNotFound:
            ticket = None
        if ticket is None or ticket.guild_id != checked.guild_id:
            return self._failed(StoreError(self._say("payments.not_ours")))
        result = await payments.match_by_seller(str(form.get("payment")), ticket, seller)
        await self._reload(checked)
        return self._done(self._say("payments.matched", number=result.ticket.number))


def _status(status: rx.Var) -> rx.Var:
    return rx.match(status, *[(s, tx(f"payments.status.{s}")) for s in STATUSES], status)


def _row(p: IncomingRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(said(p.received), white_space="nowrap"),
        rx.table.cell(rx.text(p.amount, weight="bold"), white_space="nowrap"),
        rx.table.cell(p.source),
        rx.table.cell(rx.vstack(rx.text(p.reference), rx.text(said(p.kept_for), color_scheme="orange"))),
        rx.table.cell(
            rx.badge(_status(p.status), color_scheme=rx.cond(p.status == "ambiguous", "orange", "gray"))
        ),
        rx.table.cell(
            rx.form(
                rx.hstack(
                    rx.el.input(type="hidden", name="payment", value=p.id),
                    rx.select.root(
                        rx.select.trigger(
                            placeholder=tx("payments.choose"), aria_label=tx("payments.column.match")
                        ),
                        rx.select.content(
                            rx.foreach(
                                PaymentsState.open_tickets,
                                lambda t: rx.select.item(t.label, value=t.id),
                            )
                        ),
                        name="ticket",
                    ),
                    rx.button(tx("payments.match"), type="submit", size="1", class_name="match"),
                ),
                on_submit=PaymentsState.match,
            )
        ),
        custom_attrs={"data-payment": p.id},
    )


def payments_page() -> rx.Component:
    return frame(
        "payments",
        tx("payments.title"),
        rx.text(tx("payments.intro"), color_scheme="gray"),
        data_table(
            [
                tx(f"payments.column.{c}")
                for c in ("received", "amount", "source", "reference", "status", "match")
            ],
            PaymentsState.incoming,
            _row,
            "incoming",
        ),
        rx.cond(
            PaymentsState.incoming.length() == 0,
            rx.text(tx("payments.empty"), color_scheme="gray", id="payments-empty"),
        ),
    )
