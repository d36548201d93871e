"""Export (issue 20, item 7): a store's orders, products, stock counts, ratings and incoming
payments as rows a seller opens in a spreadsheet (CSV) or a program reads (JSON).

Both formats carry the same rows: every amount as a plain integer in the currency's smallest
unit beside a written column ("Rp 50.000"), every moment twice, ISO 8601 in UTC and in WIB
(Asia/Jakarta, where most of the sellers are). What a buyer pays to receive never leaves the
store this way: no stock item texts, no manual product's delivery text, no payment secrets
(gateway keys, the Moota secret). Discord ids are written as text, as Discord itself writes
them: they are larger than a spreadsheet's or JavaScript's numbers keep exactly.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from beanie import PydanticObjectId

from models.incoming_payment import IncomingPayment
from models.payment_method import PaymentMethod
from models.product import DeliveryMode, Product
from models.rating import Rating
from models.store import Store, utcnow
from models.ticket import Ticket
from workflows import stock
from workflows.money import format_amount

Kind = Literal["orders", "products", "stock", "ratings", "payments"]
Format = Literal["csv", "json"]
KINDS: tuple[Kind, ...] = get_args(Kind)
FORMATS: tuple[Format, ...] = get_args(Format)
WIB = ZoneInfo("Asia/Jakarta")
VERSION = 1

Cell = str | int | bool | None
Row = dict[str, Cell]

# A spreadsheet runs a cell that starts with one of these as a formula; a buyer's name such as
# `=HYPERLINK("http://evil","Klik")` must stay text in the seller's spreadsheet (OWASP "CSV
# Injection"). The CSV writes such text with a leading apostrophe, which spreadsheets hide.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Export:
    """One export of one store: `columns` in order, `rows` with exactly those keys."""

    kind: Kind
    guild_id: int
    store_name: str
    exported_at: datetime
    columns: tuple[str, ...]
    rows: list[Row]


def _moment(name: str, at: datetime | None) -> Row:
    """`created_at` → {created_at_utc: "2026-12-03T05:05:00Z", created_at_wib: "…T12:05:00+07:00"}."""
    if at is None:
        return {f"{name}_utc": None, f"{name}_wib": None}
    at = (at if at.tzinfo else at.replace(tzinfo=UTC)).replace(microsecond=0)
    return {
        f"{name}_utc": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        f"{name}_wib": at.astimezone(WIB).isoformat(),
    }


def _money(name: str, amount: int | None, currency: str) -> Row:
    """`amount` → {amount: 50000, amount_text: "Rp 50.000"}."""
    if amount is None:
        return {name: None, f"{name}_text": None}
    return {name: amount, f"{name}_text": format_amount(amount, currency)}


def _id(value: object) -> str | None:
    return None if value is None else str(value)


async def _orders(store: Store) -> list[Row]:
    methods = {m.id: m async for m in PaymentMethod.find(PaymentMethod.guild_id == store.guild_id)}
    # A ticket paid through a gateway (Tripay, Midtrans, Xendit) chose no method of the store:
    # the payment that verified it names the gateway.
    sources = {
        p.id: p.source
        async for p in IncomingPayment.find(
            IncomingPayment.guild_id == store.guild_id,
            IncomingPayment.ticket_id != None,  # noqa: E711
        )
    }
    rows: list[Row] = []
    async for t in Ticket.find(Ticket.guild_id == store.guild_id).sort("number"):
        method = methods.get(t.payment_method_id) if t.payment_method_id else None
        paid_through = t.verification.incoming_payment_id if t.verification else None
        source = sources.get(paid_through) if paid_through else None
        rows.append(
            {
                "number": t.number,
                "buyer_id": _id(t.buyer_id),
                "buyer_name": t.buyer_name,
                "product_id": _id(t.product.product_id),
                "product": t.product.name,
                "quantity": t.quantity,
                **_money("unit_price", t.product.unit_price, t.currency),
                **_money("subtotal", t.subtotal, t.currency),
                "coupon": t.coupon.code if t.coupon else None,
                **_money("discount", t.coupon.discount if t.coupon else 0, t.currency),
                "unique_code": t.unique_code,
                **_money("amount", t.amount_due, t.currency),
                "currency": t.currency,
                "method": f"{method.provider} ({method.kind.value})"
                if method
                else (source.capitalize() if source else None),
                "status": t.state.value,
                "outcome": t.outcome.value if t.outcome else None,
                "verified_automatically": t.verification.automatic if t.verification else None,
                "rating": t.rating.stars if t.rating else None,
                **_moment("created_at", t.created_at),
                **_moment("paid_at", t.paid_at),
                **_moment("completed_at", t.completed_at),
                **_moment("closed_at", t.closed_at),
            }
        )
    return rows


async def _products(store: Store) -> list[Product]:
    return await Product.find(Product.guild_id == store.guild_id).sort("sort_order", "created_at").to_list()


async def _product_rows(store: Store) -> list[Row]:
    products = await _products(store)
    counts = await _stock_counts(products)
    return [
        {
            "product_id": _id(p.id),
            "name": p.name,
            "description": p.description,
            **_money("price", p.price, store.currency),
            "currency": store.currency,
            "delivery_mode": p.delivery_mode.value,
            "active": p.active,
            "available": counts[p.id]["available"],
            "role": p.role_name or (_id(p.role_id) if p.role_id else None),
            "role_days": p.role_days,
            **_moment("created_at", p.created_at),
            **_moment("updated_at", p.updated_at),
        }
        for p in products
    ]


async def _stock_counts(products: list[Product]) -> dict[PydanticObjectId | None, dict[str, int]]:
    """Units per product: available, reserved for an open ticket, delivered. Automatic products
    count their stock items; manual ones their counter, their reservations, and the units of
    the tickets that were delivered."""
    automatic = await stock.counts_by_product(p.id for p in products if p.id is not None)
    manual_ids = [p.id for p in products if p.delivery_mode is DeliveryMode.MANUAL]
    delivered: dict[Any, int] = {}
    if manual_ids:
        pipeline = [
            {"$match": {"product.product_id": {"$in": manual_ids}, "delivery": {"$ne": None}}},
            {"$group": {"_id": "$product.product_id", "units": {"$sum": "$quantity"}}},
        ]
        async for row in await Ticket.get_pymongo_collection().aggregate(pipeline):
            delivered[row["_id"]] = row["units"]
    found: dict[PydanticObjectId | None, dict[str, int]] = {}
    for p in products:
        if p.delivery_mode is DeliveryMode.MANUAL:
            found[p.id] = {
                "available": p.stock,
                "reserved": sum(r.quantity for r in p.reservations),
                "delivered": delivered.get(p.id, 0),
            }
        else:
            c = automatic.get(p.id) if p.id is not None else None
            found[p.id] = {
                "available": c.available if c else 0,
                "reserved": c.reserved if c else 0,
                "delivered": c.delivered if c else 0,
            }
    return found


async def _stock_rows(store: Store) -> list[Row]:
    products = await _products(store)
    counts = await _stock_counts(products)
    return [
        {
            "product_id": _id(p.id),
            "product": p.name,
            "delivery_mode": p.delivery_mode.value,
            "active": p.active,
            **counts[p.id],
        }
        for p in products
    ]


async def _tickets_by_id(ids: Iterable[PydanticObjectId | None]) -> dict[PydanticObjectId, Ticket]:
    wanted = list({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {t.id: t async for t in Ticket.find({"_id": {"$in": wanted}}) if t.id is not None}


async def _rating_rows(store: Store) -> list[Row]:
    ratings = await Rating.find(Rating.guild_id == store.guild_id).sort("created_at").to_list()
    tickets = await _tickets_by_id(r.ticket_id for r in ratings)
    names = {p.id: p.name for p in await _products(store)}
    rows: list[Row] = []
    for r in ratings:
        ticket = tickets.get(r.ticket_id)
        rows.append(
            {
                "ticket_number": ticket.number if ticket else None,
                "product_id": _id(r.product_id),
                "product": names.get(r.product_id) or (ticket.product.name if ticket else None),
                "buyer_id": _id(r.buyer_id),
                "buyer_name": ticket.buyer_name if ticket else None,
                "stars": r.stars,
                "comment": r.comment,
                **_moment("rated_at", r.created_at),
            }
        )
    return rows


async def _payment_rows(store: Store) -> list[Row]:
    payments = (
        await IncomingPayment.find(IncomingPayment.guild_id == store.guild_id).sort("received_at").to_list()
    )
    tickets = await _tickets_by_id(p.ticket_id for p in payments)
    rows: list[Row] = []
    for p in payments:
        ticket = tickets.get(p.ticket_id) if p.ticket_id else None
        rows.append(
            {
                **_moment("received_at", p.received_at),
                **_money("amount", p.amount, store.currency),
                "currency": store.currency,
                "source": p.source,
                "bank": p.bank,
                "reference": p.reference,
                "status": p.status,
                # The ticket it paid for; gateway money a ticket could not take names that
                # ticket (`ticket_number`) and why (`reason`).
                "ticket_number": ticket.number if ticket else p.ticket_number,
                "reason": p.reason or None,
            }
        )
    return rows


_READERS = {
    "orders": _orders,
    "products": _product_rows,
    "stock": _stock_rows,
    "ratings": _rating_rows,
    "payments": _payment_rows,
}

# The columns of each kind, in order, also when there are no rows yet (a header-only CSV).
COLUMNS: dict[Kind, tuple[str, ...]] = {
    "orders": (
        "number", "buyer_id", "buyer_name", "product_id", "product", "quantity",
        "unit_price", "unit_price_text", "subtotal", "subtotal_text", "coupon", "discount",
        "discount_text", "unique_code", "amount", "amount_text", "currency", "method", "status",
        "outcome", "verified_automatically", "rating", "created_at_utc", "created_at_wib",
        "paid_at_utc", "paid_at_wib", "completed_at_utc", "completed_at_wib", "closed_at_utc",
        "closed_at_wib",
    ),
    "products": (
        "product_id", "name", "description", "price", "price_text", "currency", "delivery_mode",
        "active", "available", "role", "role_days", "created_at_utc", "created_at_wib",
        "updated_at_utc", "updated_at_wib",
    ),
    "stock": ("product_id", "product", "delivery_mode", "active", "available", "reserved", "delivered"),
    "ratings": (
        "ticket_number", "product_id", "product", "buyer_id", "buyer_name", "stars", "comment",
        "rated_at_utc", "rated_at_wib",
    ),
    "payments": (
        "received_at_utc", "received_at_wib", "amount", "amount_text", "currency", "source", "bank",
        "reference", "status", "ticket_number", "reason",
    ),
}  # fmt: skip


async def collect(store: Store, kind: Kind) -> Export:
    """The rows of `kind` for `store`, read now."""
    if kind not in _READERS:
        raise ValueError(f"unknown export {kind!r}")
    rows = await _READERS[kind](store)
    return Export(kind, store.guild_id, store.name, utcnow(), COLUMNS[kind], rows)


def csv_cell(value: Cell) -> str:
    """How one value is written in the CSV: numbers as digits, true/false, nothing as an empty
    cell, text that a spreadsheet would run as a formula behind an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def to_csv(export: Export) -> bytes:
    """UTF-8 with a byte-order mark, so a spreadsheet opened by double-click reads "Rp" and
    buyers' names with accents or emoji right; one header row of the column names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(export.columns)
    for row in export.rows:
        writer.writerow([csv_cell(row[c]) for c in export.columns])
    return out.getvalue().encode("utf-8-sig")


def to_json(export: Export) -> bytes:
    """`{"kind", "version", "guild_id", "store", "exported_at", "columns", "rows"}`, the rows
    with the same keys and values as the CSV's (typed: numbers, true/false, null)."""
    document = {
        "kind": export.kind,
        "version": VERSION,
        "guild_id": str(export.guild_id),
        "store": export.store_name,
        "exported_at": _moment("at", export.exported_at)["at_utc"],
        "columns": list(export.columns),
        "rows": export.rows,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


MEDIA_TYPES: dict[Format, str] = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def filename(export: Export, fmt: Format) -> str:
    """`orders-1000000000000101-2026-12-03.csv`: what the download is saved as."""
    day = export.exported_at.astimezone(WIB).date().isoformat()
    return f"{export.kind}-{export.guild_id}-{day}.{fmt}"


def render(export: Export, fmt: Format) -> bytes:
    """The export in `fmt`."""
    return to_csv(export) if fmt == "csv" else to_json(export)
