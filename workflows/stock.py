"""Stock: adding items, reserving them for a ticket atomically, releasing and delivering them.

Automatic products hold one StockItem per unit; a unit is reserved by one conditional
`find_one_and_update` from available to reserved-for-ticket, so two buyers can never get the
same key. Manual products keep a counter decremented only while `stock >= quantity`, and
record the reservation on the product, so a crash between reserving and opening the ticket
leaves a trace the sweeper can repair (`release_orphans`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from beanie import PydanticObjectId
from pymongo import ASCENDING, ReturnDocument

from models import batch
from models.product import DeliveryMode, Product
from models.stock_item import StockItem, StockItemStatus
from models.store import utcnow
from models.ticket import Ticket, TicketState
from workflows.errors import InvalidInput, SoldOut
from workflows.stock_cipher import StockCipher

MAX_ITEM_LENGTH = 1800  # one item must fit in a Discord message with its heading


async def add_items(product: Product, secrets: Iterable[str], cipher: StockCipher) -> int:
    """Add one stock item per non-empty line; returns how many were added."""
    if product.delivery_mode is not DeliveryMode.AUTOMATIC:
        raise InvalidInput("stock items are for automatic products; set a number for manual ones")
    lines = [line.strip() for line in secrets if line.strip()]
    too_long = [i + 1 for i, line in enumerate(lines) if len(line) > MAX_ITEM_LENGTH]
    if too_long:
        raise InvalidInput(f"items {too_long[:5]} are longer than {MAX_ITEM_LENGTH} characters")
    if not lines:
        return 0
    now = utcnow()
    docs = [
        StockItem(
            guild_id=product.guild_id,
            product_id=product.id,
            secret=cipher.seal(line),
            created_at=now,
        )
        for line in lines
    ]
    await StockItem.insert_many(docs)
    return len(docs)


async def set_manual_stock(product: Product, stock: int) -> None:
    """Set how many units of a manual product can still be bought."""
    if product.delivery_mode is not DeliveryMode.MANUAL:
        raise InvalidInput("automatic products count their stock items")
    if isinstance(stock, bool) or not isinstance(stock, int) or not 0 <= stock <= 1_000_000:
        raise InvalidInput("stock: must be a whole number from 0 to 1,000,000")
    await Product.get_pymongo_collection().update_one(
        {"_id": product.id}, {"$set": {"stock": stock, "updated_at": utcnow()}}
    )


async def available(product: Product) -> int:
    """Units that can be bought now."""
    if product.delivery_mode is DeliveryMode.MANUAL:
        fresh = await Product.get(product.id)
        return fresh.stock if fresh else 0
    return await StockItem.get_pymongo_collection().count_documents(
        {"product_id": product.id, "status": StockItemStatus.AVAILABLE.value}
    )


async def counts(product_id: PydanticObjectId) -> dict[str, int]:
    """Stock items by status: available, reserved, delivered."""
    result = {status.value: 0 for status in StockItemStatus}
    pipeline = [
        {"$match": {"product_id": product_id}},
        {"$group": {"_id": "$status", "n": {"$sum": 1}}},
    ]
    async for row in await StockItem.get_pymongo_collection().aggregate(pipeline):
        result[row["_id"]] = row["n"]
    return result


async def reserve(product: Product, ticket_id: PydanticObjectId, quantity: int) -> list[bytes]:
    """Hold `quantity` units for the ticket, all or nothing; raises SoldOut.

    Returns the reserved items' sealed secrets (none for a manual product)."""
    now = utcnow()
    if product.delivery_mode is DeliveryMode.MANUAL:
        result = await Product.get_pymongo_collection().update_one(
            {"_id": product.id, "active": True, "stock": {"$gte": quantity}},
            {
                "$inc": {"stock": -quantity},
                "$push": {"reservations": {"ticket_id": ticket_id, "quantity": quantity, "at": now}},
            },
        )
        if result.modified_count != 1:
            raise SoldOut(f"{product.name} is sold out", product.name)
        return []
    items = StockItem.get_pymongo_collection()
    sealed: list[bytes] = []
    for _ in range(quantity):
        claimed = await items.find_one_and_update(
            {"product_id": product.id, "status": StockItemStatus.AVAILABLE.value},
            {
                "$set": {
                    "status": StockItemStatus.RESERVED.value,
                    "ticket_id": ticket_id,
                    "reserved_at": now,
                }
            },
            sort=[("created_at", ASCENDING)],
            projection={"secret": 1},
            return_document=ReturnDocument.AFTER,
        )
        if claimed is None:
            await release(product.id, product.delivery_mode, ticket_id, quantity)
            left = "" if quantity == 1 else f" (fewer than {quantity} left)"
            raise SoldOut(f"{product.name} is sold out{left}", product.name)
        sealed.append(claimed["secret"])
    return sealed


async def release(
    product_id: PydanticObjectId, mode: DeliveryMode, ticket_id: PydanticObjectId, quantity: int
) -> int:
    """Give a ticket's reserved units back to the shelf. Idempotent; returns units released."""
    if mode is DeliveryMode.MANUAL:
        return await _release_manual(product_id, ticket_id, quantity)
    return await _release_items(ticket_id)


async def _release_manual(product_id: PydanticObjectId, ticket_id: PydanticObjectId, quantity: int) -> int:
    result = await Product.get_pymongo_collection().update_one(
        {"_id": product_id, "reservations.ticket_id": ticket_id},
        {"$inc": {"stock": quantity}, "$pull": {"reservations": {"ticket_id": ticket_id}}},
    )
    return quantity if result.modified_count else 0


async def _release_items(ticket_id: PydanticObjectId) -> int:
    result = await StockItem.get_pymongo_collection().update_many(
        {"ticket_id": ticket_id, "status": StockItemStatus.RESERVED.value},
        {
            "$set": {
                "status": StockItemStatus.AVAILABLE.value,
                "ticket_id": None,
                "reserved_at": None,
            }
        },
    )
    return result.modified_count


async def release_for(ticket: Ticket) -> int:
    """Release what `ticket` holds (cancel, expiry)."""
    return await release(ticket.product.product_id, ticket.product.delivery_mode, ticket.id, ticket.quantity)


# A ticket's units that are still on hold become delivered (`hand_over`, `settle_deliveries`).
_STILL_RESERVED = {"status": StockItemStatus.RESERVED.value}
_DELIVERED = {"$set": {"status": StockItemStatus.DELIVERED.value}, "$currentDate": {"delivered_at": True}}


async def hand_over(ticket: Ticket) -> None:
    """The ticket's reserved units leave the shelf for good, just before its product is sent.

    From here on, a seller cancelling the ticket (say while the DM is on its way) does not put
    a key that may have reached the buyer back on sale: `release` only gives back what is still
    reserved. Idempotent. If the product then cannot be sent at all, its units stay off the
    shelf: a key is never sold twice, at the cost of the seller re-adding one that never left.
    """
    if ticket.product.delivery_mode is DeliveryMode.MANUAL:
        await Product.get_pymongo_collection().update_one(
            {"_id": ticket.product.product_id, "reservations.ticket_id": ticket.id},
            {"$pull": {"reservations": {"ticket_id": ticket.id}}},
        )
        return
    await batch.update_many_where(
        StockItem.get_pymongo_collection(), "ticket_id", ticket.id, _STILL_RESERVED, _DELIVERED
    )


async def settle_deliveries(limit: int = 500) -> int:
    """Mark the stock of delivered tickets as delivered, in one batch (the sweeper): for a
    ticket completed without `hand_over` (a direct `tickets.complete`)."""
    tickets = Ticket.get_pymongo_collection()
    pending = [
        doc
        async for doc in tickets.find(
            {"settle_pending": True}, {"product.delivery_mode": 1, "product.product_id": 1}, limit=limit
        )
    ]
    if not pending:
        return 0
    ids = [doc["_id"] for doc in pending]
    await StockItem.get_pymongo_collection().update_many(
        {"ticket_id": {"$in": ids}, **_STILL_RESERVED}, _DELIVERED
    )
    manual = [doc["_id"] for doc in pending if doc["product"]["delivery_mode"] == DeliveryMode.MANUAL.value]
    if manual:
        await Product.get_pymongo_collection().update_many(
            {"reservations.ticket_id": {"$in": manual}},
            {"$pull": {"reservations": {"ticket_id": {"$in": manual}}}},
        )
    await tickets.update_many({"_id": {"$in": ids}}, {"$unset": {"settle_pending": ""}})
    return len(ids)


async def release_orphans(grace: timedelta = timedelta(minutes=2)) -> int:
    """Release reservations whose ticket never got written, or closed undelivered (crash repair)."""
    cutoff = utcnow() - grace
    released = 0
    items = StockItem.get_pymongo_collection()
    holders = await items.distinct(
        "ticket_id", {"status": StockItemStatus.RESERVED.value, "reserved_at": {"$lte": cutoff}}
    )
    manual: dict[PydanticObjectId, tuple[PydanticObjectId, int]] = {}
    async for product in Product.get_pymongo_collection().find(
        {"reservations.at": {"$lte": cutoff}}, {"reservations": 1}
    ):
        for reservation in product["reservations"]:
            if reservation["at"] <= cutoff:
                manual[reservation["ticket_id"]] = (product["_id"], reservation["quantity"])
    candidates = set(holders) | set(manual)
    if not candidates:
        return 0
    # Still needed: reservations of tickets that are not closed, or that were delivered (their
    # items are settled as delivered by `settle_deliveries`, never put back on the shelf).
    live = {
        doc["_id"]
        async for doc in Ticket.get_pymongo_collection().find(
            {
                "_id": {"$in": list(candidates)},
                "$or": [{"state": {"$ne": TicketState.CLOSED.value}}, {"delivery": {"$ne": None}}],
            },
            {"_id": 1},
        )
    }
    for ticket_id in candidates - live:
        if ticket_id in manual:
            product_id, quantity = manual[ticket_id]
            released += await _release_manual(product_id, ticket_id, quantity)
        else:
            released += await _release_items(ticket_id)
    return released
