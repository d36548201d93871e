"""The catalogue: creating and changing products, with clear refusals for bad input."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from beanie import PydanticObjectId
from pydantic import ValidationError

from models.product import DeliveryMode, Product
from models.stock_item import StockItem, StockItemStatus
from models.store import Store, utcnow
from models.ticket import Actor, Ticket, TicketState
from workflows import audit, stock
from workflows.errors import InvalidInput, Problem, ProductNotFound, StoreNotFound


async def get_store(guild_id: int) -> Store:
    """The store of a guild, or StoreNotFound."""
    store = await Store.find_one(Store.guild_id == guild_id)
    if store is None:
        raise StoreNotFound(f"there is no store in guild {guild_id}")
    return store


_store_cache: dict[int, tuple[float, Store]] = {}


async def cached_store(guild_id: int, max_age_s: float = 5.0) -> Store:
    """The store, re-read at most every `max_age_s` (workers read it for texts and settings
    on every message; a setting change reaches them within that time)."""
    hit = _store_cache.get(guild_id)
    if hit is not None and time.monotonic() - hit[0] < max_age_s:
        return hit[1]
    store = await get_store(guild_id)
    _store_cache[guild_id] = (time.monotonic(), store)
    return store


async def open_store(guild_id: int, **settings: Any) -> Store:
    """Create the guild's store (or return the existing one unchanged)."""
    existing = await Store.find_one(Store.guild_id == guild_id)
    if existing is not None:
        return existing
    try:
        store = Store(guild_id=guild_id, **settings)
    except ValidationError as error:
        raise InvalidInput.explaining(error) from None
    return await store.insert()


async def get_product(guild_id: int, product_id: PydanticObjectId | str) -> Product:
    """A product of this guild, or ProductNotFound (also for another guild's product)."""
    try:
        oid = PydanticObjectId(product_id)
    except Exception:
        raise ProductNotFound(f"no product with id {product_id!r}", key="products_gone") from None
    product = await Product.get(oid)
    if product is None or product.guild_id != guild_id:
        raise ProductNotFound(f"no product with id {product_id!r} in this store", key="products_gone")
    return product


async def create_product(
    guild_id: int,
    *,
    name: str,
    price: int,
    description: str = "",
    delivery_mode: DeliveryMode | str = DeliveryMode.AUTOMATIC,
    stock: int = 0,
    manual_delivery_text: str = "",
    active: bool = True,
    by: Actor | None = None,
) -> Product:
    """Add a product. Price is an integer in the currency's smallest unit (rupiah for IDR)."""
    await get_store(guild_id)
    if isinstance(price, bool) or not isinstance(price, int):
        raise InvalidInput("price: must be a whole number in the currency's smallest unit")
    try:
        product = Product(
            guild_id=guild_id,
            name=name.strip(),
            price=price,
            description=description,
            delivery_mode=DeliveryMode(delivery_mode),
            stock=stock if DeliveryMode(delivery_mode) is DeliveryMode.MANUAL else 0,
            manual_delivery_text=manual_delivery_text,
            active=active,
        )
    except ValidationError as error:
        raise InvalidInput.explaining(error) from None
    except ValueError as error:
        raise InvalidInput(f"delivery_mode: {error}") from None
    await product.insert()
    await audit.record(
        guild_id, by, "product.created", subject=product.name, subject_id=product.id,
        after=_audited(product), always=True,
    )
    return product


def _audited(product: Product) -> dict[str, Any]:
    """A product's fields as the audit log shows them (no media file names: they say nothing;
    no `stock` for an automatic product: its items are its stock)."""
    shown = _AUDITED if product.delivery_mode is DeliveryMode.MANUAL else _AUDITED - {"stock"}
    return product.model_dump(include=shown)


_AUDITED = {"name", "price", "description", "active", "delivery_mode", "stock", "manual_delivery_text"}


_EDITABLE = {
    "name",
    "price",
    "description",
    "image_ref",
    "model_ref",
    "model_still_ref",
    "active",
    "manual_delivery_text",
    "sort_order",
}


async def update_product(
    guild_id: int, product_id: PydanticObjectId | str, *, by: Actor | None = None, **changes: Any
) -> Product:
    """Change a product's editable fields; the whole change is validated before it is saved."""
    product = await get_product(guild_id, product_id)
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} here")
    if "price" in changes and (isinstance(changes["price"], bool) or not isinstance(changes["price"], int)):
        raise InvalidInput("price: must be a whole number in the currency's smallest unit")
    for field, ending in (("model_ref", ".glb"), ("model_still_ref", ".png")):
        if changes.get(field) is not None and not _kept_here(guild_id, changes[field], ending):
            raise InvalidInput(f"not a kept 3D model of this store: {changes[field]!r}")
    try:
        updated = Product.model_validate({**product.model_dump(), **changes, "updated_at": utcnow()})
    except ValidationError as error:
        raise InvalidInput.explaining(error) from None
    await Product.get_pymongo_collection().update_one(
        {"_id": product.id},
        {"$set": {key: getattr(updated, key) for key in [*changes, "updated_at"]}},
    )
    shown = [key for key in changes if key not in ("model_still_ref",)]
    await audit.record(
        guild_id, by, "product.changed", subject=updated.name, subject_id=product.id,
        before=product.model_dump(include=set(shown)), after=updated.model_dump(include=set(shown)),
    )
    return updated


async def set_delivery_mode(
    guild_id: int, product_id: PydanticObjectId | str, mode: DeliveryMode | str, by: Actor | None = None
) -> Product:
    """Switch a product between automatic stock items and manual delivery.

    Nothing on the shelf is lost either way: a product switched to manual keeps its stock items
    (saved, not sold while manual: a manual sale counts `stock` instead), and switched back to
    automatic it sells them again; the manual count is kept too. A ticket already open keeps
    the mode it was bought with (the ticket's own copy of the product), so it is delivered and
    released as it was sold."""
    product = await get_product(guild_id, product_id)
    try:
        wanted = DeliveryMode(mode)
    except ValueError:
        choices = ", ".join(m.value for m in DeliveryMode)
        raise InvalidInput(problems=(Problem("delivery_mode", "one_of", choices),)) from None
    if wanted is not product.delivery_mode:
        was = product.delivery_mode
        product.delivery_mode, product.updated_at = wanted, utcnow()
        await Product.get_pymongo_collection().update_one(
            {"_id": product.id},
            {"$set": {"delivery_mode": wanted.value, "updated_at": product.updated_at}},
        )
        await audit.record(
            guild_id, by, "product.changed", subject=product.name, subject_id=product.id,
            before={"delivery_mode": was}, after={"delivery_mode": wanted},
        )
    return product


@dataclass(frozen=True)
class CatalogueEntry:
    """A product with its stock, as the seller's catalogue lists it.

    For an automatic product the counts are its stock items; for a manual one `available` is
    its count, `reserved` what open tickets hold, `delivered` None (manual sales keep no items)
    and `kept_items` the stock items saved from when it was automatic (sold again if switched
    back)."""

    product: Product
    available: int
    reserved: int
    delivered: int | None
    kept_items: int = 0


async def catalogue(guild_id: int) -> list[CatalogueEntry]:
    """Every product of the store in the panel's order with its stock: two queries however
    many products there are (the products, then one aggregation of all their stock items)."""
    found = await Product.find(Product.guild_id == guild_id).sort("sort_order", "created_at").to_list()
    counts = await stock.counts_by_product([p.id for p in found])
    entries = []
    for p in found:
        items = counts.get(p.id, stock.StockCounts())
        if p.delivery_mode is DeliveryMode.MANUAL:
            held = sum(r.quantity for r in p.reservations)
            entries.append(CatalogueEntry(p, p.stock, held, None, kept_items=items.available))
        else:
            entries.append(CatalogueEntry(p, items.available, items.reserved, items.delivered))
    return entries


async def delete_product(guild_id: int, product_id: PydanticObjectId | str, by: Actor | None = None) -> None:
    """Remove a product and its unsold stock items; refused while a ticket for it is unfinished
    (sold items stay, for the tickets' records)."""
    product = await get_product(guild_id, product_id)
    busy = await Ticket.find(
        {
            "product.product_id": product.id,
            "state": {"$in": [TicketState.OPEN.value, TicketState.PAID.value]},
        }
    ).count()
    if busy:
        raise InvalidInput(
            f"{busy} unfinished ticket(s) are for this product: finish them or deactivate it",
            key="products_busy",
            count=busy,
        )
    await StockItem.get_pymongo_collection().delete_many(
        {"product_id": product.id, "status": StockItemStatus.AVAILABLE.value}
    )
    await Product.get_pymongo_collection().delete_one({"_id": product.id})
    await audit.record(
        guild_id, by, "product.removed", subject=product.name, subject_id=product.id,
        before=_audited(product), always=True,
    )


async def set_model(
    guild_id: int, product_id: PydanticObjectId | str, model_ref: str, still_ref: str, by: Actor | None = None
) -> Product:
    """Give a product its 3D model and the still picture drawn from it (both as
    `web.media.keep_model` returns them); the panel shows the new picture and its "View in 3D"
    link (the bot's change stream sees the product change, as with any other edit)."""
    if not model_ref or not still_ref:
        raise InvalidInput("a 3D model comes with its still picture")
    return await update_product(guild_id, product_id, by=by, model_ref=model_ref, model_still_ref=still_ref)


async def remove_model(guild_id: int, product_id: PydanticObjectId | str, by: Actor | None = None) -> Product:
    """Take a product's 3D model off (its still picture with it)."""
    return await update_product(guild_id, product_id, by=by, model_ref=None, model_still_ref=None)


_MEDIA_REF = re.compile(r"^[0-9]{1,20}/[0-9a-f]{32}\.(glb|png)$")


def _kept_here(guild_id: int, ref: object, ending: str) -> bool:
    """`ref` names a file web.media kept for this store (`<guild>/<hex>.glb|.png`)."""
    return (
        isinstance(ref, str)
        and bool(_MEDIA_REF.match(ref))
        and ref.endswith(ending)
        and ref.startswith(f"{guild_id}/")
    )


def public_page_url(public_url: str, guild_id: int, product_id: PydanticObjectId | str) -> str:
    """The product's public page (no login; the 3D viewer, price and stock): the address the
    panel's "View in 3D" button opens."""
    return f"{public_url.rstrip('/')}/shop/{guild_id}/products/{product_id}"


def media_url(public_url: str, ref: str | None) -> str:
    """Where a browser (or Discord) fetches a kept file ('' for none); web.media serves it."""
    return f"{public_url.rstrip('/')}/media/{ref}" if ref else ""


def thumbnail_ref(ref: str | None) -> str | None:
    """The small PNG kept beside a picture (`<guild>/<hex>_thumb.png`)."""
    if not ref:
        return None
    stem, _, _ = ref.rpartition(".")
    return f"{stem}_thumb.png"
