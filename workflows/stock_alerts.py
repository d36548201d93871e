"""Stock alerts (issue 20, item 4), in the shop's words:

  * Low stock: a seller gives a product a threshold ("tell us at 3"). When the units on sale
    drop to 3 or fewer, the sellers are told once in the store's log channel; not again while
    it stays low, only after the stock went back above 3 and dropped again (one alert per
    crossing: the change that crosses flips `StockWatch.below` in one conditional write, so
    fifty buyers at once still make one alert).
  * "Kabari saya" (Notify me): a buyer picks a sold-out product; they wait in line, in the order
    they asked, once (pressing again keeps their place). When stock comes back, as many waiting
    buyers are told by DM as there are units on the shelf, oldest first; a buyer told holds
    "their" unit in that count for `CALLED_HOLDS`, so three units call three buyers, not the
    whole line; the others wait for the next restock. Each buyer is told once.

This module decides and writes; the messages go out from the worker's sweeper
(`workers.stock_alerts`), which reads what is due here, so a restock made anywhere (the
dashboard, a cancelled ticket, a script) notifies, and a crash between deciding and sending
only delays the message (a nonce keeps it single).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from beanie import PydanticObjectId
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from models.product import DeliveryMode, Product
from models.stock_item import StockItem, StockItemStatus
from models.stock_watch import RestockWait, StockWatch, WaitState
from models.store import utcnow
from models.ticket import Actor
from workflows import audit
from workflows.errors import InvalidInput
from workflows.i18n import text

CALLED_HOLDS = timedelta(minutes=30)
CLAIM_LEASE = timedelta(seconds=60)  # a sender that died mid-send is retried after this
THRESHOLD_MAX = 1_000_000


async def _available(product_id: PydanticObjectId) -> tuple[Product | None, int]:
    """Units on sale now (as `workflows.stock.available`; not imported: stock calls us)."""
    product = await Product.get(product_id)
    if product is None:
        return None, 0
    if product.delivery_mode is DeliveryMode.MANUAL:
        return product, product.stock
    count = await StockItem.get_pymongo_collection().count_documents(
        {"product_id": product_id, "status": StockItemStatus.AVAILABLE.value}
    )
    return product, count


# --- the sellers' threshold ---------------------------------------------------------------------


async def thresholds(guild_id: int) -> dict[PydanticObjectId, int]:
    """Every product's low-stock threshold in the store, in one query (the catalogue page)."""
    return {w.product_id: w.threshold async for w in StockWatch.find({"guild_id": guild_id})}


async def threshold_of(product_id: PydanticObjectId) -> int | None:
    watch = await StockWatch.find_one({"product_id": product_id})
    return watch.threshold if watch else None


async def set_threshold(
    guild_id: int, product_id: PydanticObjectId | str, threshold: int | None, by: Actor | None = None
) -> int | None:
    """Set (or with None remove) a product's low-stock threshold. A stock already at or under
    the new threshold counts as crossed: the next alert comes after it rises above and drops."""
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, int) or not 0 <= threshold <= THRESHOLD_MAX
    ):
        raise InvalidInput(
            "low-stock alert: a whole number from 0 to 1,000,000", key="stock_alerts_threshold"
        )
    try:
        oid = PydanticObjectId(product_id)
    except Exception:
        raise InvalidInput("no such product", key="products_gone") from None
    product, available = await _available(oid)
    if product is None or product.guild_id != guild_id:
        raise InvalidInput("no such product", key="products_gone")
    before = await threshold_of(oid)
    collection = StockWatch.get_pymongo_collection()
    if threshold is None:
        await collection.delete_one({"product_id": oid})
    else:
        await collection.update_one(
            {"product_id": oid},
            {
                "$set": {"threshold": threshold, "below": available <= threshold, "guild_id": guild_id},
                "$setOnInsert": {"alert_due": False, "alert_nonce": "", "claimed_at": None},
            },
            upsert=True,
        )
    await audit.record(
        guild_id, by, "product.changed", subject=product.name, subject_id=oid,
        before={"low_stock_threshold": before}, after={"low_stock_threshold": threshold},
    )
    return threshold


# --- what stock changes cause (called by workflows.stock) ----------------------------------------


async def went_down(product_id: PydanticObjectId) -> None:
    """Units left the shelf (a reservation, items removed, a lower count): alert the sellers
    if this change crossed the product's threshold."""
    watch = await StockWatch.find_one({"product_id": product_id, "below": False})
    if watch is None:
        return
    _, available = await _available(product_id)
    if available > watch.threshold:
        return
    await StockWatch.get_pymongo_collection().update_one(
        {"_id": watch.id, "below": False},  # only the change that crosses writes the alert
        {
            "$set": {
                "below": True,
                "alert_due": True,
                "alert_available": available,
                "alert_nonce": "l" + PydanticObjectId().binary.hex(),  # 25 characters (Discord's limit)
                "claimed_at": None,
            }
        },
    )


async def went_up(product_id: PydanticObjectId) -> int:
    """Units came back (restock, a cancelled ticket, a higher count): the threshold is armed
    again once the stock is above it, and waiting buyers are called, as many as the units not
    already promised to buyers called recently. Returns how many were called."""
    _, available = await _available(product_id)
    await StockWatch.get_pymongo_collection().update_one(
        {"product_id": product_id, "below": True, "threshold": {"$lt": available}}, {"$set": {"below": False}}
    )
    if available <= 0:
        return 0
    now = utcnow()
    waits = RestockWait.get_pymongo_collection()
    promised = await waits.count_documents(
        {
            "product_id": product_id,
            "state": {"$in": [WaitState.CALLED.value, WaitState.TOLD.value]},
            "called_at": {"$gte": now - CALLED_HOLDS},
        }
    )
    called = 0
    for _ in range(max(0, available - promised)):
        found = await waits.find_one_and_update(
            {"product_id": product_id, "state": WaitState.WAITING.value},
            {"$set": {"state": WaitState.CALLED.value, "called_at": now, "claimed_at": None}},
            sort=[("asked_at", ASCENDING), ("_id", ASCENDING)],
        )
        if found is None:
            break
        called += 1
    return called


# --- the buyers' "Notify me" ---------------------------------------------------------------------


async def ask(guild_id: int, product_id: PydanticObjectId | str, user_id: int) -> str:
    """A buyer asks to be told when the product is back: "waiting" (in line now), "already"
    (they were in line), "in_stock" (it can be bought now: nothing to wait for)."""
    try:
        oid = PydanticObjectId(product_id)
    except Exception:
        raise InvalidInput("no such product", key="products_gone") from None
    product, available = await _available(oid)
    if product is None or product.guild_id != guild_id or not product.active:
        raise InvalidInput("no such product", key="products_gone")
    if available > 0:
        return "in_stock"
    try:
        await RestockWait(guild_id=guild_id, product_id=oid, user_id=user_id).insert()
    except DuplicateKeyError:
        return "already"
    # Restocked between the count above and the insert: called now rather than next time.
    await went_up(oid)
    return "waiting"


async def waiting(product_id: PydanticObjectId) -> int:
    """Buyers still in line for the product (for the dashboard)."""
    return await RestockWait.find({"product_id": product_id, "state": WaitState.WAITING.value}).count()


# --- for the sender (workers.stock_alerts) -------------------------------------------------------


async def _claim(
    collection: Any, query: dict[str, Any], sort: list[tuple[str, int]]
) -> dict[str, Any] | None:
    now = utcnow()
    return await collection.find_one_and_update(
        {**query, "$or": [{"claimed_at": None}, {"claimed_at": {"$lt": now - CLAIM_LEASE}}]},
        {"$set": {"claimed_at": now}},
        sort=sort,
        return_document=ReturnDocument.AFTER,
    )


async def claim_alert() -> StockWatch | None:
    """One low-stock alert to post, held for this sender for `CLAIM_LEASE`."""
    raw = await _claim(StockWatch.get_pymongo_collection(), {"alert_due": True}, [("_id", ASCENDING)])
    return StockWatch.model_validate(raw) if raw else None


async def alert_posted(watch: StockWatch) -> None:
    await StockWatch.get_pymongo_collection().update_one(
        {"_id": watch.id, "alert_nonce": watch.alert_nonce},
        {"$set": {"alert_due": False, "claimed_at": None}},
    )


async def claim_call() -> RestockWait | None:
    """The buyer called longest ago whose DM is still to send (so DMs go out in line order)."""
    raw = await _claim(
        RestockWait.get_pymongo_collection(),
        {"state": WaitState.CALLED.value},
        [("called_at", ASCENDING), ("asked_at", ASCENDING), ("_id", ASCENDING)],
    )
    return RestockWait.model_validate(raw) if raw else None


async def told(wait: RestockWait) -> None:
    """The buyer's DM went out (or cannot: their DMs are closed): their wait is over."""
    await RestockWait.get_pymongo_collection().update_one(
        {"_id": wait.id, "state": WaitState.CALLED.value},
        {"$set": {"state": WaitState.TOLD.value, "open": False, "told_at": utcnow(), "claimed_at": None}},
    )


def alert_text(locale: str, product: str, available: int, threshold: int) -> str:
    return text(locale, "stock_alerts.low", product=product, available=available, threshold=threshold)


def back_text(locale: str, store: str, product: str, panel_link: str) -> str:
    key = "stock_alerts.back_with_link" if panel_link else "stock_alerts.back"
    return text(locale, key, store=store, product=product, link=panel_link)
