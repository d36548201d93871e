"""The live product panel as data: the embed and components the bot posts, rendered from the
store, its products and their stock. The bot decides when to post or edit it; the dashboard
shows the same rendering as its preview."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.product import DeliveryMode, Product
from models.rating import Rating
from models.stock_item import StockItem, StockItemStatus
from models.store import Store
from workflows.i18n import text
from workflows.money import format_amount

BUTTON_STYLES = {"primary": 1, "secondary": 2, "success": 3, "danger": 4}
FIELDS_PER_PAGE = 25  # Discord's limit of fields in one embed
OPTIONS_PER_SELECT = 25


@dataclass(frozen=True)
class ProductLine:
    """One product as the panel shows it: with its stock now and its average rating."""

    product: Product
    stock: int
    rating: float | None = None


def _field(store: Store, line: ProductLine) -> dict[str, Any]:
    price = format_amount(line.product.price, store.currency)
    stock = (
        text(store.locale, "panel.stock", stock=line.stock)
        if line.stock
        else text(store.locale, "panel.sold_out")
    )
    value = f"{price} | {stock}"
    if line.rating is not None:
        value += f" | ★ {line.rating:.1f}"
    if line.product.description:
        value += "\n" + line.product.description[:200]
    return {"name": line.product.name[:256], "value": value[:1024], "inline": True}


def render(store: Store, lines: list[ProductLine], page: int = 0) -> dict[str, Any]:
    """The panel message (`embeds` + `components`) for one page of at most 25 products."""
    panel = store.panel
    shown = lines[page * FIELDS_PER_PAGE : (page + 1) * FIELDS_PER_PAGE]
    description = panel.description or text(store.locale, "panel.description", seconds=panel.refresh_s)
    embed: dict[str, Any] = {
        "title": panel.title,
        "description": description,
        "color": panel.color,
        "fields": [_field(store, line) for line in shown]
        or [{"name": text(store.locale, "panel.empty"), "value": "—", "inline": False}],
    }
    if panel.layout == "list" and shown:
        # One line per product in the description: denser on phones than inline fields.
        rows = [f"**{f['name']}** — {f['value'].splitlines()[0]}" for f in embed.pop("fields")]
        embed["description"] = (description + "\n\n" + "\n".join(rows))[:4096]
    if panel.thumbnail_ref:
        embed["thumbnail"] = {"url": panel.thumbnail_ref}
    pages = max(1, -(-len(lines) // FIELDS_PER_PAGE))
    if pages > 1:
        embed["footer"] = {"text": text(store.locale, "panel.page", page=page + 1, pages=pages)}
    buttons = [
        {
            "type": 2,
            "style": BUTTON_STYLES[panel.buy_style],
            "label": panel.buy_label,
            "custom_id": "buy_btn",
            **({"emoji": {"name": panel.buy_emoji}} if panel.buy_emoji else {}),
        },
        {
            "type": 2,
            "style": BUTTON_STYLES[panel.payment_style],
            "label": panel.payment_label,
            "custom_id": "payment_btn",
            **({"emoji": {"name": panel.payment_emoji}} if panel.payment_emoji else {}),
        },
    ]
    if pages > 1:
        buttons.append({"type": 2, "style": 2, "label": "›", "custom_id": f"panel_page:{(page + 1) % pages}"})
    return {"embeds": [embed], "components": [{"type": 1, "components": buttons}]}


def product_choice(store: Store, lines: list[ProductLine]) -> list[dict[str, Any]]:
    """Select menus (25 options each) of the products a buyer can buy now."""
    in_stock = [line for line in lines if line.stock > 0]
    rows = []
    for start in range(0, min(len(in_stock), 4 * OPTIONS_PER_SELECT), OPTIONS_PER_SELECT):
        options = [
            {
                "label": line.product.name[:100],
                "value": str(line.product.id),
                "description": format_amount(line.product.price, store.currency),
            }
            for line in in_stock[start : start + OPTIONS_PER_SELECT]
        ]
        rows.append(
            {
                "type": 1,
                "components": [
                    {
                        "type": 3,
                        "custom_id": f"buy_select:{start}",
                        "options": options,
                        "placeholder": text(store.locale, "panel.choose"),
                    }
                ],
            }
        )
    return rows


async def product_lines(store: Store) -> list[ProductLine]:
    """Active products with their stock, in the panel's order."""
    products = (
        await Product.find({"guild_id": store.guild_id, "active": True})
        .sort("sort_order", "created_at")
        .to_list()
    )
    counts = {
        row["_id"]: row["n"]
        async for row in await StockItem.get_pymongo_collection().aggregate(
            [
                {"$match": {"guild_id": store.guild_id, "status": StockItemStatus.AVAILABLE.value}},
                {"$group": {"_id": "$product_id", "n": {"$sum": 1}}},
            ]
        )
    }
    ratings = {
        row["_id"]: row["avg"]
        async for row in await Rating.get_pymongo_collection().aggregate(
            [
                {"$match": {"guild_id": store.guild_id}},
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
