"""/store/<guild>/payments: money that arrived (bank mutations, gateways) but verified no ticket
by itself — no open ticket with that exact amount, or more than one. The seller matches it to a
ticket in one click; the ticket is verified through the workflow, like every other path."""

from __future__ import annotations

import reflex as rx

from models.ticket import Actor, Ticket, TicketState
from web import access
from web.components.frame import frame
from web.components.widgets import data_table
from web.seller import SellerState
from workflows import payments
from workflows.errors import StoreError
from workflows.i18n import text
from workflows.money import format_amount


class PaymentsState(SellerState):
    incoming: list[dict[str, str]] = []
    open_tickets: list[dict[str, str]] = []

    async def _reload(self, checked: access.SellerAccess) -> None:
        currency = checked.store.currency
        self.incoming = [
            {
                "id": str(p.id),
                "amount": format_amount(p.amount, currency),
                "raw_amount": str(p.amount),
                "source": p.source,
                "bank": p.bank,
                "reference": p.reference,
                "status": p.status,
                # Gateway money for a ticket that could not take it: why, for refund or matching.
                "reason": (
                    text(checked.store.locale, f"security.reason.{p.reason}") + f" (#{p.ticket_number})"
                    if p.reason
                    else ""
                ),
                "received": p.received_at.strftime("%Y-%m-%d %H:%M"),
            }
            for p in await payments.unmatched(checked.guild_id)
        ]
        open_tickets = (
            await Ticket.find({"guild_id": checked.guild_id, "state": TicketState.OPEN.value})
            .sort("-created_at")
            .limit(200)
            .to_list()
        )
        self.open_tickets = [
            {
                "id": str(t.id),
                "label": f"#{t.number} {t.buyer_name} — {format_amount(t.amount_due, t.currency)}",
                "amount": str(t.amount_due),
            }
            for t in open_tickets
        ]

    async def load(self):
        checked = await self._enter()
        if not isinstance(checked, access.SellerAccess):
            return checked
        await self._reload(checked)
        return None

    async def match(self, form: dict):
        try:
            checked = await self._access()
            seller = Actor(kind="seller", user_id=checked.session.user_id, name=checked.session.username)
            ticket_id = str(form.get("ticket") or "")
            if not ticket_id:
                raise StoreError("choose the ticket this payment is for")
            ticket = await Ticket.get(ticket_id)
            if ticket is None or ticket.guild_id != checked.guild_id:
                raise StoreError("that ticket is not in this store")
            result = await payments.match_by_seller(str(form.get("payment")), ticket, seller)
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        await self._reload(checked)
        return self._done(f"Ticket #{result.ticket.number} verified with this payment")


def _row(p: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(p["received"]),
        rx.table.cell(rx.text(p["amount"], weight="bold")),
        rx.table.cell(p["source"] + " " + p["bank"]),
        rx.table.cell(rx.vstack(rx.text(p["reference"]), rx.text(p["reason"], color_scheme="orange"))),
        rx.table.cell(
            rx.badge(p["status"], color_scheme=rx.cond(p["status"] == "ambiguous", "orange", "gray"))
        ),
        rx.table.cell(
            rx.form(
                rx.hstack(
                    rx.input(type="hidden", name="payment", value=p["id"]),
                    rx.select.root(
                        rx.select.trigger(placeholder="Ticket…"),
                        rx.select.content(
                            rx.foreach(
                                PaymentsState.open_tickets,
                                lambda t: rx.select.item(t["label"], value=t["id"]),
                            )
                        ),
                        name="ticket",
                    ),
                    rx.button("Match", type="submit", size="1"),
                ),
                on_submit=PaymentsState.match,
            )
        ),
    )


def payments_page() -> rx.Component:
    return frame(
        "payments",
        "Unmatched payments",
        rx.text(
            "Payments that verified no ticket automatically. Match one to its ticket to verify it.",
            color_scheme="gray",
        ),
        data_table(
            ["Received (UTC)", "Amount", "Source", "Reference", "Status", "Match to"],
            PaymentsState.incoming,
            _row,
            "incoming",
        ),
        rx.cond(
            PaymentsState.incoming.length() == 0,
            rx.text("Nothing waiting: every payment found its ticket.", color_scheme="gray"),
        ),
    )
