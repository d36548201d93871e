"""The live product panel as data: the embed and components the bot posts, rendered from the
store, its products and their stock. The bot decides when to post or edit it; the dashboard
shows the same rendering as its preview."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models import batch
from models.product import DeliveryMode, Product
from models.rating import Rating
from models.settings import get_settings
from models.stock_item import StockItem, StockItemStatus
from models.store import PanelSettings, Store
from workflows import emoji
from workflows.discord_contract import components, custom_ids
from workflows.discord_contract.components import ButtonStyle, Option
from workflows.discord_contract.custom_ids import CustomId
from workflows.discord_contract.embeds import Field, embed, within_total
from workflows.i18n import text
from workflows.message_limits import (
    EMBED_DESCRIPTION_MAX,
    EMBED_FIELDS_MAX,
    EMBED_TITLE_MAX,
    EMBED_TOTAL_MAX,
    FIELD_NAME_MAX,
    FIELD_VALUE_MAX,
    shorten,
)
from workflows.money import format_amount
from workflows.products import media_url, public_page_url, thumbnail_ref

FIELDS_PER_PAGE = EMBED_FIELDS_MAX
OPTIONS_PER_SELECT = components.OPTIONS_MAX
# Product menus offered at once when Buy is pressed: one row is kept free of the 5 a message has.
PRODUCT_MENUS_MAX = components.ROWS_MAX - 1
DESCRIPTION_SHOWN = 200  # of a product's description, when the embed has room for it
DESCRIPTION_MIN = 24  # a description cut shorter than this says nothing: it is left out
# The longest product row of the "list" layout: a name of at most 256, its price, stock and
# rating, the markup.
LIST_ROW_ROOM = 400
# resources/message.mdx, Create Message: "embeds: Up to 10 rich embeds (up to 6000 characters)".
# The panel's own embed, then one small embed per pictured product of the page.
EMBEDS_MAX = 10
PICTURES_MAX = EMBEDS_MAX - 1
# Rows of "View in 3D" link buttons under the Buy row (components/reference.mdx: 5 rows of 5).
LINK_ROWS_MAX = components.ROWS_MAX - 1


@dataclass(frozen=True)
class ProductLine:
    """One product as the panel shows it: with its stock now and its average rating."""

    product: Product
    stock: int
    rating: float | None = None


def _summary(store: Store, line: ProductLine) -> str:
    """Price, stock and rating: the part of a product's field that is always shown."""
    price = format_amount(line.product.price, store.currency)
    stock = (
        text(store.locale, "panel.stock", stock=line.stock)
        if line.stock
        else text(store.locale, "panel.sold_out")
    )
    summary = f"{price} | {stock}"
    if line.rating is not None:
        summary += f" | ★ {line.rating:.1f}"
    return summary


def _name(line: ProductLine) -> str:
    return shorten(line.product.name, FIELD_NAME_MAX)


def _row(store: Store, line: ProductLine) -> str:
    """A product as one line of the description (the "list" layout)."""
    return f"**{_name(line)}** — {_summary(store, line)}"


def _intro(store: Store) -> str:
    """The seller's text above the products; in the "list" layout the products share the
    description's 4,096 characters with it, so it leaves room for at least one of them."""
    panel = store.panel
    intro = panel.description or text(store.locale, "panel.description", seconds=panel.refresh_s)
    room = EMBED_DESCRIPTION_MAX - (LIST_ROW_ROOM if panel.layout == "list" else 0)
    return shorten(intro, room)


def _room(store: Store) -> int:
    """Characters left for the products on one page, once the title, the intro and the page
    footer are counted (Embed Limits: 6,000 in all; the description at most 4,096)."""
    panel = store.panel
    footer = len(text(store.locale, "panel.page", page=999, pages=999))
    room = EMBED_TOTAL_MAX - len(shorten(panel.title, EMBED_TITLE_MAX)) - len(_intro(store)) - footer
    if panel.layout == "list":
        room = min(room, EMBED_DESCRIPTION_MAX - len(_intro(store)) - 2)
    return room


def _picture(line: ProductLine) -> str | None:
    """The product's picture on the panel: the seller's photo, else the still of its 3D model."""
    return line.product.image_ref or line.product.model_still_ref


def _cost(store: Store, line: ProductLine) -> int:
    """What a product takes on a page at the least (its description may be cut or left out),
    its picture's embed (titled with its name) included."""
    picture = len(_name(line)) if _picture(line) else 0
    if store.panel.layout == "list":
        return len(_row(store, line)) + 1 + picture
    return len(_name(line)) + len(_summary(store, line)) + picture


def pages(store: Store, lines: list[ProductLine]) -> list[list[ProductLine]]:
    """The products split into the panel's pages: at most 25 a page (fields in one embed), and
    no more than fit in the embed's 6,000 characters with their name, price and stock."""
    room = _room(store)
    split: list[list[ProductLine]] = [[]]
    used = 0
    for line in lines:
        cost = _cost(store, line)
        if split[-1] and (len(split[-1]) == FIELDS_PER_PAGE or used + cost > room):
            split.append([])
            used = 0
        split[-1].append(line)
        used += cost
    return split


def _description_caps(wanted: list[int], room: int) -> list[int]:
    """Share `room` characters among descriptions wanting `wanted` each: the short ones whole,
    the long ones cut to one common length (the largest that fits)."""
    if sum(wanted) <= room:
        return wanted
    cap, left, pending = 0, room, sorted(wanted)
    while pending and pending[0] * len(pending) <= left:
        left -= pending[0]
        cap = pending.pop(0)
    if pending:
        cap = left // len(pending)
    return [min(w, cap) for w in wanted]


def _fields(store: Store, shown: list[ProductLine]) -> list[Field]:
    room = _room(store) - sum(_cost(store, line) for line in shown)
    descriptions = [shorten(line.product.description, DESCRIPTION_SHOWN) for line in shown]
    caps = _description_caps([len(d) + 1 if d else 0 for d in descriptions], max(room, 0))
    fields = []
    for line, description, cap in zip(shown, descriptions, caps, strict=True):
        value = _summary(store, line)
        if description and cap - 1 >= DESCRIPTION_MIN:
            value += "\n" + shorten(description, cap - 1)
        fields.append(Field(_name(line), shorten(value, FIELD_VALUE_MAX), inline=True))
    return fields


def _label(store: Store, field: str, key: str) -> str:
    """A button's label: the seller's own words, or, while they kept the default ("Buy"), the
    default in the store's language, so an Indonesian panel does not say "Buy" beside "Stok"."""
    written = getattr(store.panel, field)
    default = PanelSettings.model_fields[field].default
    return text(store.locale, f"story.{key}") if written in ("", default) else written


def _button(style: str, label: str, custom_id: CustomId, emoji_value: str) -> dict[str, Any]:
    """A panel button as the seller designed it (style by name, `PanelSettings`); an invalid
    stored emoji is left out, not sent."""
    return components.button(custom_id, label, ButtonStyle[style.upper()], emoji.as_component(emoji_value))


def _pictures(store: Store, shown: list[ProductLine], public_url: str) -> list[dict[str, Any]]:
    """One small embed per pictured product of the page (up to 9: a message carries 10
    embeds): its name, linked to its public page when it has a 3D model, and its picture."""
    pictured = [line for line in shown if _picture(line)][:PICTURES_MAX]
    guild = store.guild_id
    return [
        embed(
            _name(line),
            url=public_page_url(public_url, guild, line.product.id) if line.product.model_ref else "",
            color=store.panel.color,
            thumbnail_url=media_url(public_url, thumbnail_ref(_picture(line))),
        )
        for line in pictured
    ]


def _view_links(store: Store, shown: list[ProductLine], public_url: str) -> list[dict[str, Any]]:
    """Rows of "Lihat 3D" link buttons to the public page of each product of the page that
    has a 3D model (5 a row, at most 4 rows under the Buy row)."""
    addresses = [(line, public_page_url(public_url, store.guild_id, line.product.id)) for line in shown]
    buttons = [
        components.link_button(address, text(store.locale, "model3d.view", name=line.product.name))
        for line, address in addresses
        if line.product.model_ref and len(address) <= components.BUTTON_URL_MAX  # (an absurd public_url)
    ][: LINK_ROWS_MAX * components.BUTTONS_PER_ROW]
    step = components.BUTTONS_PER_ROW
    return [components.row(*buttons[i : i + step]) for i in range(0, len(buttons), step)]


def render(
    store: Store, lines: list[ProductLine], page: int = 0, public_url: str | None = None
) -> dict[str, Any]:
    """The panel message (`embeds` + `components`) for one page of products, within every
    embed limit whatever the catalogue holds (Embed Limits in resources/message.mdx).

    `public_url` is the dashboard's address (product pictures and public pages live there;
    the settings' `public_url` when not given)."""
    public_url = public_url if public_url is not None else get_settings().public_url
    panel = store.panel
    split = pages(store, lines)
    page = page if 0 <= page < len(split) else 0  # a page button from before the catalogue shrank
    shown = split[page]
    intro = _intro(store)
    fields = _fields(store, shown) or [Field(text(store.locale, "panel.empty"), "—")]
    description = intro
    if panel.layout == "list" and shown:
        # One line per product in the description: denser on phones than inline fields.
        fields = []
        description = intro + "\n\n" + "\n".join(_row(store, line) for line in shown)
    footer = text(store.locale, "panel.page", page=page + 1, pages=len(split)) if len(split) > 1 else ""
    shown_embed = embed(
        shorten(panel.title, EMBED_TITLE_MAX),
        description,
        fields=fields,
        footer=footer,
        color=panel.color,
        thumbnail_url=panel.thumbnail_ref or "",
    )
    buttons = [
        _button(panel.buy_style, _label(store, "buy_label", "buy"), custom_ids.BUY, panel.buy_emoji),
        _button(
            panel.payment_style,
            _label(store, "payment_label", "payment"),
            custom_ids.PAYMENT_METHODS,
            panel.payment_emoji,
        ),
    ]
    if len(split) > 1:
        next_page = custom_ids.panel_page((page + 1) % len(split))
        buttons.append(components.button(next_page, "›", ButtonStyle.SECONDARY))
    return {
        "embeds": within_total([shown_embed, *_pictures(store, shown, public_url)]),
        "components": components.rows(components.row(*buttons), *_view_links(store, shown, public_url)),
    }


def product_choice(store: Store, lines: list[ProductLine]) -> list[dict[str, Any]]:
    """Select menus (25 options each) of the products a buyer can buy now."""
    in_stock = [line for line in lines if line.stock > 0]
    menus = []
    for start in range(0, min(len(in_stock), PRODUCT_MENUS_MAX * OPTIONS_PER_SELECT), OPTIONS_PER_SELECT):
        options = [
            Option(
                line.product.name,
                str(line.product.id),
                format_amount(line.product.price, store.currency),
            )
            for line in in_stock[start : start + OPTIONS_PER_SELECT]
        ]
        menus.append(
            components.menu(custom_ids.product_menu(start), options, text(store.locale, "panel.choose"))
        )
    return components.rows(*menus)


async def product_lines(store: Store) -> list[ProductLine]:
    """Active products with their stock, in the panel's order. In a rush (a crowd pressing
    Buy), the clicks of one store that arrive together share one read, taken after they came."""
    products = Product.get_pymongo_collection()
    return await batch.shared_read("product_lines", products, store.guild_id, _read_lines)


async def _read_lines(guild_id: int) -> list[ProductLine]:
    products = (
        await Product.find({"guild_id": guild_id, "active": True})
        .sort("sort_order", "created_at")
        .to_list()
    )
    counts = {
        row["_id"]: row["n"]
        async for row in await StockItem.get_pymongo_collection().aggregate(
            [
                {"$match": {"guild_id": guild_id, "status": StockItemStatus.AVAILABLE.value}},
                {"$group": {"_id": "$product_id", "n": {"$sum": 1}}},
            ]
        )
    }
    ratings = {
        row["_id"]: row["avg"]
        async for row in await Rating.get_pymongo_collection().aggregate(
            [
                {"$match": {"guild_id": guild_id}},
                {"$group": {"_id": "$product_id", "avg": {"$avg": "$stars"}}},
            ]
        )
    }
    return [
        ProductLine(
            p, p.stock if p.delivery_mode is DeliveryMode.MANUAL else counts.get(p.id, 0), ratings.get(p.id)
        )
        for p in products
    ]
