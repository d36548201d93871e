"""/store/<guild>/export: the "Ekspor / Export" card, one download per kind of data and format
(issue 20, item 7).

A page of its own rather than a card on Analytics: the downloads are the whole store, not the
period the analytics page is set to, and they are plain links that need nothing computed on
load (the analytics page computes a 30-day report on every visit). The files themselves are
made and served by `web.exports` (HTTP route, the seller's session checked on every request)."""

from __future__ import annotations

import reflex as rx

from models.incoming_payment import IncomingPayment
from models.product import Product
from models.rating import Rating
from models.ticket import Ticket
from web import exports
from web.components.frame import frame
from web.i18n import tx
from web.seller import SellerAccess, SellerState, page_entry
from workflows import export


class ExportState(SellerState):
    # How many rows each kind has now ("stock" has one per product).
    counts: dict[str, int] = dict.fromkeys(export.KINDS, 0)

    @page_entry
    async def load(self, checked: SellerAccess):
        guild = checked.guild_id
        products = await Product.find(Product.guild_id == guild).count()
        self.counts = {
            "orders": await Ticket.find(Ticket.guild_id == guild).count(),
            "products": products,
            "stock": products,
            "ratings": await Rating.find(Rating.guild_id == guild).count(),
            "payments": await IncomingPayment.find(IncomingPayment.guild_id == guild).count(),
        }


def _download(kind: str, fmt: str) -> rx.Component:
    href = exports.path(ExportState.store_guild, kind, fmt)
    return rx.button(
        rx.el.a(
            rx.icon("download", size=14),
            fmt.upper(),
            href=href,
            download="",
            # rx.el.a is React Router's Link: without this it would route the click inside the
            # single-page app instead of letting the browser download the file.
            reload_document=True,
            id=f"export-{kind}-{fmt}",
            aria_label=tx(f"export.download.{kind}", fmt=fmt.upper()),
        ),
        as_child=True,
        variant="soft" if fmt == "json" else "solid",
        size="2",
    )


def _row(kind: str) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(tx(f"export.kind.{kind}"), weight="bold"),
                rx.text(tx(f"export.about.{kind}"), size="1", color_scheme="gray"),
                spacing="1",
            )
        ),
        rx.table.cell(rx.text(ExportState.counts[kind], id=f"count-{kind}")),
        # On a phone the two buttons stack rather than push the table off the screen.
        rx.table.cell(rx.flex(_download(kind, "csv"), _download(kind, "json"), spacing="2", wrap="wrap")),
        data_export=kind,
    )


def export_page() -> rx.Component:
    return frame(
        "export",
        tx("export.title"),
        rx.card(
            rx.vstack(
                rx.heading(tx("export.card"), size="4"),
                rx.text(tx("export.intro"), size="2"),
                rx.box(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell(tx("export.column.what")),
                                rx.table.column_header_cell(tx("export.column.rows")),
                                rx.table.column_header_cell(tx("export.column.download")),
                            )
                        ),
                        rx.table.body(*[_row(kind) for kind in export.KINDS]),
                        id="exports",
                        width="100%",
                    ),
                    overflow_x="auto",
                    width="100%",
                ),
                rx.callout(tx("export.no_secrets"), icon="lock", color_scheme="gray", size="1"),
                rx.text(tx("export.backup"), size="2", color_scheme="gray"),
                spacing="3",
                width="100%",
            ),
            id="export-card",
            width="100%",
        ),
    )
