"""/store/<guild>/tickets: every ticket, live (a state change shows within a second, no reload),
with filters by state, product, buyer and dates."""

from __future__ import annotations

import asyncio
import logging

import reflex as rx

from models.product import Product
from models.ticket import Ticket, TicketState
from web import access, live
from web.components.frame import frame
from web.components.widgets import data_table
from web.seller import SellerState, day_bound
from workflows import ticket_story
from workflows.errors import StoreError
from workflows.money import format_amount
from workflows.ticket_search import find_tickets

log = logging.getLogger(__name__)
STATE_COLORS = {"open": "blue", "paid": "amber", "completed": "green", "closed": "gray"}


def ticket_row(t: Ticket) -> dict[str, str]:
    return {
        "id": str(t.id),
        "number": str(t.number),
        "buyer": t.buyer_name or str(t.buyer_id),
        "product": t.product.name,
        "amount": format_amount(t.amount_due, t.currency),
        "state": t.state.value,
        "outcome": t.outcome.value if t.outcome else "",
        "color": STATE_COLORS.get(t.state.value, "gray"),
        "created": t.created_at.strftime("%Y-%m-%d %H:%M"),
        # Only while a seller still has to answer: a verified or closed ticket is past that.
        "reported": "yes" if ticket_story.awaiting_verification(t) else "",
        "undelivered": "yes" if t.delivery_problem else "",
    }


class TicketsState(SellerState):
    tickets: list[dict[str, str]] = []
    product_options: list[dict[str, str]] = []
    filter_state: str = "all"
    filter_product: str = "all"
    filter_buyer: str = ""
    filter_since: str = ""
    filter_until: str = ""
    watching: int = 0

    async def _query(self, guild_id: int) -> list[dict[str, str]]:
        found = await find_tickets(
            guild_id,
            state="" if self.filter_state == "all" else self.filter_state,
            product_id="" if self.filter_product == "all" else self.filter_product,
            buyer=self.filter_buyer,
            since=day_bound(self.filter_since),
            until=day_bound(self.filter_until, end=True),
        )
        return [ticket_row(t) for t in found]

    async def load(self):
        checked = await self._enter()
        if not isinstance(checked, access.SellerAccess):
            return checked
        self.product_options = [
            {"id": str(p.id), "name": p.name}
            async for p in Product.find(Product.guild_id == checked.guild_id)
        ]
        self.tickets = await self._query(checked.guild_id)
        return TicketsState.watch

    async def apply_filters(self, form: dict):
        self.filter_state = str(form.get("state") or "all")
        self.filter_product = str(form.get("product") or "all")
        self.filter_buyer = str(form.get("buyer") or "")
        self.filter_since = str(form.get("since") or "")
        self.filter_until = str(form.get("until") or "")
        try:
            checked = await self._access()
            self.tickets = await self._query(checked.guild_id)
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        self.error = ""
        return None

    @rx.event(background=True)
    async def watch(self):
        async with self:
            self.watching += 1
            generation = self.watching
            guild = self.store_guild
            token = self.router.session.client_token
        if not guild:
            return
        try:
            async for _ in live.ticket_changes(int(guild), token):
                async with self:
                    if self.watching != generation or self.store_guild != guild:
                        return  # the page was reloaded or left: a newer watcher runs
                    try:
                        await self._access()
                        self.tickets = await self._query(int(guild))
                    except (access.Refused, StoreError):
                        return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("live ticket list stopped")


def _row(t: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link("#" + t["number"], href=f"/store/{TicketsState.store_guild}/tickets/{t['id']}")
        ),
        # The state comes second: on a phone it is what shows without scrolling sideways.
        rx.table.cell(
            rx.hstack(
                rx.badge(t["state"], color_scheme=t["color"], class_name="ticket-state"),
                rx.cond(t["outcome"] != "", rx.text(t["outcome"], size="1", color_scheme="gray")),
                rx.cond(
                    t["reported"] != "",
                    rx.badge("payment reported", color_scheme="orange", variant="outline"),
                ),
                rx.cond(t["undelivered"] != "", rx.badge("not delivered", color_scheme="red")),
            )
        ),
        rx.table.cell(t["buyer"]),
        rx.table.cell(t["product"]),
        rx.table.cell(t["amount"]),
        rx.table.cell(t["created"]),
        custom_attrs={"data-ticket": t["number"], "data-state": t["state"]},
    )


def _filters() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.select(
                ["all", *[s.value for s in TicketState]], name="state", default_value="all", id="filter-state"
            ),
            rx.select.root(
                rx.select.trigger(placeholder="Product"),
                rx.select.content(
                    rx.select.item("All products", value="all"),
                    rx.foreach(
                        TicketsState.product_options, lambda p: rx.select.item(p["name"], value=p["id"])
                    ),
                ),
                name="product",
                default_value="all",
            ),
            rx.input(name="buyer", placeholder="Buyer name or id", id="filter-buyer"),
            rx.input(name="since", type="date"),
            rx.input(name="until", type="date"),
            rx.button("Filter", type="submit", id="apply-filters"),
            spacing="2",
            wrap="wrap",
        ),
        on_submit=TicketsState.apply_filters,
        width="100%",
    )


def tickets_page() -> rx.Component:
    return frame(
        "tickets",
        "Tickets",
        _filters(),
        data_table(
            ["Ticket", "State", "Buyer", "Product", "Amount", "Opened (UTC)"],
            TicketsState.tickets,
            _row,
            "tickets",
        ),
        rx.cond(TicketsState.tickets.length() == 0, rx.text("No tickets yet.", color_scheme="gray")),
    )
