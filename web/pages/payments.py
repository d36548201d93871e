"""/store/<guild>/payments: money that arrived (bank mutations, gateways) but verified no ticket
by itself — no open ticket with that exact amount, or more than one. The seller matches it to a
ticket in one click; the ticket is verified through the workflow, like every other path. Or they
credit it to a buyer's saldo in one click (issue 21): the buyer it was for when the store knows
(gateway money for a closed ticket), else the one the seller picks (`topups.credit_payment`)."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from models.incoming_payment import IncomingPayment
from models.ticket import Actor, TicketState
from web.components.frame import frame
from web.components.widgets import Said, both, data_table, said
from web.i18n import say, tx, when
from web.seller import SellerAccess, SellerState, page_entry, seller_action
from workflows import blacklist, payments, tickets, topups, wallet_book
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
    payer: str = ""  # the buyer the money came from, when the store knows: credited to them


@dataclass
class BuyerChoice:
    id: str
    name: str


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
    buyers: list[BuyerChoice] = []  # whose saldo an unmatched payment may go to

    async def _reload(self, checked: SellerAccess) -> None:
        currency = checked.store.currency
        rows = []
        for p in await payments.unmatched(checked.guild_id):
            row = incoming_row(p, currency)
            payer, _amount, ticket = await topups.creditable(p)
            if payer is not None:
                row.payer = (ticket.buyer_name if ticket else "") or str(payer)
            rows.append(row)
        self.incoming = rows
        self.buyers = [
            BuyerChoice(id=str(user_id), name=name or str(user_id))
            for user_id, name in await blacklist.known_buyers(checked.guild_id)
        ]
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

    @seller_action
    async def credit(self, checked: SellerAccess, form: dict):
        """Put the payment on a buyer's saldo: its known payer, else the buyer picked."""
        picked = str(form.get("buyer") or "")
        done = await topups.credit_payment(
            checked.guild_id,
            str(form.get("payment") or ""),
            by=checked.actor,
            buyer_id=int(picked) if picked.isdigit() else None,
        )
        names = await wallet_book.buyer_names(checked.guild_id, [done.buyer_id])
        await self._reload(checked)
        return self._done(
            self._say(
                "payments.credited",
                amount=format_amount(done.amount, checked.store.currency),
                name=names.get(done.buyer_id) or str(done.buyer_id),
            )
        )


def _credit(p: IncomingRow) -> rx.Component:
    """Credit the money to its payer's saldo, or to the buyer the seller picks."""
    return rx.form(
        rx.hstack(
            rx.el.input(type="hidden", name="payment", value=p.id),
            rx.cond(
                p.payer != "",
                rx.text(p.payer, size="2", weight="bold"),
                # A plain <select> beside the ticket picker: its value goes with the form.
                rx.el.select(
                    rx.el.option(tx("payments.choose_buyer"), value=""),
                    rx.foreach(PaymentsState.buyers, lambda b: rx.el.option(b.name, value=b.id)),
                    name="buyer",
                    aria_label=tx("payments.whose"),
                    class_name="credit-buyer",
                    style={"padding": "0.3em", "border_radius": "6px", "border": "1px solid var(--gray-7)"},
                ),
            ),
            rx.button(tx("payments.credit"), type="submit", size="1", variant="soft", class_name="credit"),
            align="center",
        ),
        on_submit=PaymentsState.credit,
    )


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
        rx.table.cell(_credit(p)),
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
                for c in ("received", "amount", "source", "reference", "status", "match", "credit")
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
