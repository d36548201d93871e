"""/store/<guild>/tickets: every ticket, live (a state change shows within a second, no reload),
with filters by state, product, buyer and dates.

The filters live in the page's address (`?state=open&buyer=budi`): a filtered list can be
bookmarked, and Back from a ticket returns to the list as it was filtered."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import reflex as rx

from models.product import Product
from models.ticket import Ticket, TicketOutcome, TicketState
from web import access, live
from web.components.frame import frame
from web.components.widgets import Said, both, data_table, said
from web.i18n import tx, when
from web.seller import SellerAccess, SellerState, day_bound, page_entry, seller_action
from workflows import ticket_story
from workflows.errors import StoreError
from workflows.money import format_amount
from workflows.ticket_search import find_tickets

log = logging.getLogger(__name__)
STATE_COLORS = {"open": "blue", "paid": "amber", "completed": "green", "closed": "gray"}
FILTERS = ("state", "product", "buyer", "since", "until")  # the list's address query, in this order


@dataclass
class TicketRow:
    """One ticket as the list shows it."""

    id: str
    number: str
    buyer: str
    product: str
    amount: str
    state: str  # the machine's state (a TicketState value), said in the shop's words by the page
    outcome: str  # a TicketOutcome value or ""
    color: str
    opened: Said
    reported: bool  # the buyer said "I have paid" and no seller answered yet
    undelivered: bool


@dataclass
class ProductOption:
    id: str
    name: str


def ticket_row(t: Ticket) -> TicketRow:
    return TicketRow(
        id=str(t.id),
        number=str(t.number),
        buyer=t.buyer_name or "—",
        product=t.product.name,
        amount=format_amount(t.amount_due, t.currency),
        state=t.state.value,
        outcome=t.outcome.value if t.outcome else "",
        color=STATE_COLORS.get(t.state.value, "gray"),
        opened=both(lambda lang: when(t.created_at, lang)),
        # Only while a seller still has to answer: a verified or closed ticket is past that.
        reported=ticket_story.awaiting_verification(t),
        undelivered=bool(t.delivery_problem),
    )


def state_label(state: rx.Var) -> rx.Var:
    """A ticket's state in the shop's words, in the seller's language."""
    return rx.match(state, *[(s.value, tx(f"tickets.state.{s.value}")) for s in TicketState], state)


def outcome_label(outcome: rx.Var) -> rx.Var:
    return rx.match(outcome, *[(o.value, tx(f"tickets.outcome.{o.value}")) for o in TicketOutcome], "")


class TicketsState(SellerState):
    tickets: list[TicketRow] = []
    product_options: list[ProductOption] = []
    filter_state: str = "all"
    filter_product: str = "all"
    filter_buyer: str = ""
    filter_since: str = ""
    filter_until: str = ""
    watching: int = 0

    @rx.var
    def filtered(self) -> bool:
        chosen = (self.filter_buyer, self.filter_since, self.filter_until)
        return self.filter_state != "all" or self.filter_product != "all" or any(chosen)

    async def _query(self, guild_id: int) -> list[TicketRow]:
        found = await find_tickets(
            guild_id,
            state="" if self.filter_state == "all" else self.filter_state,
            product_id="" if self.filter_product == "all" else self.filter_product,
            buyer=self.filter_buyer,
            since=day_bound(self.filter_since),
            until=day_bound(self.filter_until, end=True),
        )
        return [ticket_row(t) for t in found]

    def _read_filters(self) -> None:
        """The filters from the page's address."""
        query = self.router.url.query_parameters
        state = str(query.get("state") or "all")
        self.filter_state = state if state in {s.value for s in TicketState} else "all"
        self.filter_product = str(query.get("product") or "all")
        self.filter_buyer = str(query.get("buyer") or "")
        self.filter_since = str(query.get("since") or "")
        self.filter_until = str(query.get("until") or "")

    @page_entry
    async def load(self, checked: SellerAccess):
        self.product_options = [
            ProductOption(id=str(p.id), name=p.name)
            async for p in Product.find(Product.guild_id == checked.guild_id)
        ]
        self._read_filters()
        if self.filter_product not in {p.id for p in self.product_options}:
            self.filter_product = "all"  # an address naming a product this store does not have
        self.tickets = []
        self.tickets = await self._query(checked.guild_id)
        return TicketsState.watch

    @seller_action
    async def apply_filters(self, checked: SellerAccess, form: dict):
        """Filtering is going to the list's address with the filters in its query: the browser
        keeps it in its history (Back) and on_load reads it."""
        chosen = {name: str(form.get(name) or "").strip() for name in FILTERS}
        for date in ("since", "until"):
            day_bound(chosen[date])  # a bad date is refused here, nothing changes
        kept = {k: v for k, v in chosen.items() if v and v != "all"}
        address = f"/store/{checked.guild_id}/tickets"
        return rx.redirect(f"{address}?{urlencode(kept)}" if kept else address)

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


def _row(t: TicketRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            # A real link: it opens in a new tab, can be bookmarked, and Back returns here.
            rx.link(
                "#" + t.number,
                href=f"/store/{TicketsState.store_guild}/tickets/{t.id}",
                class_name="ticket-link",
            )
        ),
        # The state comes second: on a phone it is what shows without scrolling sideways.
        rx.table.cell(
            rx.hstack(
                rx.badge(state_label(t.state), color_scheme=t.color, class_name="ticket-state"),
                rx.cond(t.outcome != "", rx.text(outcome_label(t.outcome), size="1", color_scheme="gray")),
                rx.cond(
                    t.reported,
                    rx.badge(tx("tickets.payment_reported"), color_scheme="orange", variant="outline"),
                ),
                rx.cond(t.undelivered, rx.badge(tx("tickets.not_delivered"), color_scheme="red")),
            )
        ),
        rx.table.cell(t.buyer),
        rx.table.cell(t.product),
        rx.table.cell(t.amount, white_space="nowrap"),
        rx.table.cell(said(t.opened), white_space="nowrap"),
        custom_attrs={"data-ticket": t.number, "data-state": t.state},
    )


def _labelled(key: str, field: rx.Component, field_id: str) -> rx.Component:
    return rx.vstack(rx.el.label(tx(key), html_for=field_id, font_size="0.8em"), field, spacing="1")


def _date(name: str, value: rx.Var) -> rx.Component:
    return rx.input(name=name, type="date", id=f"filter-{name}", default_value=value, key=value)


def _filters() -> rx.Component:
    s = TicketsState
    return rx.form(
        rx.flex(
            _labelled(
                "tickets.filter.state",
                rx.select.root(
                    rx.select.trigger(id="filter-state"),
                    rx.select.content(
                        rx.select.item(tx("tickets.filter.all_states"), value="all"),
                        *[rx.select.item(tx(f"tickets.state.{v.value}"), value=v.value) for v in TicketState],
                    ),
                    name="state",
                    default_value=s.filter_state,
                    key=s.filter_state,
                ),
                "filter-state",
            ),
            _labelled(
                "tickets.filter.product",
                rx.select.root(
                    rx.select.trigger(id="filter-product"),
                    rx.select.content(
                        rx.select.item(tx("tickets.filter.all_products"), value="all"),
                        rx.foreach(s.product_options, lambda p: rx.select.item(p.name, value=p.id)),
                    ),
                    name="product",
                    default_value=s.filter_product,
                    key=s.filter_product,
                ),
                "filter-product",
            ),
            _labelled(
                "tickets.filter.buyer",
                rx.input(
                    name="buyer",
                    placeholder=tx("tickets.filter.buyer_placeholder"),
                    id="filter-buyer",
                    default_value=s.filter_buyer,
                    key=s.filter_buyer,
                ),
                "filter-buyer",
            ),
            _labelled(
                "tickets.filter.since",
                _date("since", s.filter_since),
                "filter-since",
            ),
            _labelled(
                "tickets.filter.until",
                _date("until", s.filter_until),
                "filter-until",
            ),
            rx.button(tx("tickets.filter.apply"), type="submit", id="apply-filters"),
            rx.cond(
                s.filtered,
                rx.link(
                    tx("tickets.filter.clear"), href=f"/store/{s.store_guild}/tickets", id="clear-filters"
                ),
            ),
            spacing="2",
            wrap="wrap",
            align="end",
        ),
        on_submit=TicketsState.apply_filters,
        width="100%",
    )


def tickets_page() -> rx.Component:
    return frame(
        "tickets",
        tx("tickets.title"),
        _filters(),
        data_table(
            [tx(f"tickets.column.{c}") for c in ("ticket", "state", "buyer", "product", "amount", "opened")],
            TicketsState.tickets,
            _row,
            "tickets",
        ),
        rx.cond(
            TicketsState.tickets.length() == 0,
            rx.text(
                rx.cond(TicketsState.filtered, tx("tickets.empty_filtered"), tx("tickets.empty")),
                color_scheme="gray",
                id="tickets-empty",
            ),
        ),
    )
