"""Stock: adding items, reserving them for a ticket atomically, releasing and delivering them;
listing (masked), searching, revealing one and removing available items for sellers.

Each automatic item is on a product's shelf once: its fingerprint (a keyed hash of the
normalised text) is unique per product in the database, so a pasted duplicate is skipped and
reported, and two buyers can never be sold the same key because the seller pasted it twice.

Automatic products hold one StockItem per unit; a unit is reserved by one conditional
`find_one_and_update` from available to reserved-for-ticket, so two buyers can never get the
same key. Manual products keep a counter decremented only while `stock >= quantity`, and
record the reservation on the product, so a crash between reserving and opening the ticket
leaves a trace the sweeper can repair (`release_orphans`).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from beanie import PydanticObjectId
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from models import batch
from models.event import Event, EventKind
from models.product import DeliveryMode, Product
from models.stock_item import StockItem, StockItemStatus
from models.store import utcnow
from models.ticket import Actor, Ticket, TicketState
from workflows import audit, stock_alerts
from workflows.errors import InvalidInput, SoldOut
from workflows.stock_cipher import StockCipher

log = logging.getLogger(__name__)

MAX_ITEM_LENGTH = 1800  # one item must fit in a Discord message with its heading
# A search that is not an exact item decrypts the product's available items to look inside
# them: fine for a few thousand (a Fernet open is ~20 µs), refused beyond, never all products.
SEARCH_DECRYPT_LIMIT = 5000
LIST_LIMIT = 200
_DUPLICATE_KEY = 11000
ITEM_GONE = "that stock item is not in this product any more"


@dataclass(frozen=True)
class StockAdded:
    """What one paste or upload did: `added` new items, `duplicates` lines skipped because the
    same item was already on this product's shelf (or sold from it), or twice in the batch."""

    added: int
    duplicates: int


@dataclass(frozen=True)
class ItemRow:
    """One stock item as a seller sees it in a list: masked, never the secret itself."""

    id: str
    preview: str
    status: StockItemStatus
    ticket_number: int | None
    created_at: datetime


def normalise(line: str) -> str:
    """The text an item is compared by: Unicode NFC (one "é" however it was typed), no
    surrounding whitespace. Case is kept: passwords and keys are case-sensitive."""
    return unicodedata.normalize("NFC", line).strip()


def mask(text: str) -> str:
    """What a list shows of an item: `canva-a@mail.com:pw1` → `can***@mail.com:***`, a key
    `ABCD-EFGH-IJKL` → `ABC***`. Enough to tell items apart, not to use one."""
    account, sep, _rest = text.partition(":")
    if not sep:
        account, sep, _rest = text.partition("|")
    local, at, domain = account.partition("@")
    head = (local[:3] + "***" if len(local) > 3 else "***") + (at + domain if at else "")
    return (head + (sep + "***" if sep else ""))[:120]


async def add_items(
    product: Product, secrets: Iterable[str], cipher: StockCipher, by: Actor | None = None
) -> StockAdded:
    """Add one stock item per non-empty line; a line already on this product (or repeated in
    the batch) is skipped and counted as a duplicate.

    The database decides, not a read before the write: the unique index on (product_id,
    fingerprint) refuses the second copy even when two sellers add the same batch at the same
    moment, so a key can never be reserved for two tickets (`models.stock_item`)."""
    if product.delivery_mode is not DeliveryMode.AUTOMATIC:
        raise InvalidInput("stock items are for automatic products; set a number for manual ones")
    lines = [normalise(line) for line in secrets]
    lines = [line for line in lines if line]
    too_long = [i + 1 for i, line in enumerate(lines) if len(line) > MAX_ITEM_LENGTH]
    if too_long:
        lines_named = ", ".join(str(n) for n in too_long[:5])
        raise InvalidInput(
            f"items {too_long[:5]} are longer than {MAX_ITEM_LENGTH} characters",
            key="stock_too_long",
            lines=lines_named,
            limit=MAX_ITEM_LENGTH,
        )
    if not lines:
        return StockAdded(0, 0)
    # Items saved before fingerprints existed must carry one before the index can see them.
    await backfill(cipher, product.id)
    batch_unique: dict[str, str] = {}
    for line in lines:
        batch_unique.setdefault(cipher.fingerprint(line), line)
    now = utcnow()
    docs = [
        {
            "guild_id": product.guild_id,
            "product_id": product.id,
            "secret": cipher.seal(line),
            "status": StockItemStatus.AVAILABLE.value,
            "ticket_id": None,
            "reserved_at": None,
            "delivered_at": None,
            "created_at": now,
            "fingerprint": fingerprint,
            "preview": mask(line),
            "reveals": [],
        }
        for fingerprint, line in batch_unique.items()
    ]
    try:
        result = await StockItem.get_pymongo_collection().insert_many(docs, ordered=False)
        added = len(result.inserted_ids)
    except BulkWriteError as error:
        if any(e["code"] != _DUPLICATE_KEY for e in error.details["writeErrors"]):
            raise
        added = error.details["nInserted"]
    if added:
        # The count, never the items' text (a stock item is what the buyer pays for).
        now_available = await available(product)
        await audit.record(
            product.guild_id, by, "stock.added", subject=product.name, subject_id=product.id,
            before={"available": now_available - added}, after={"available": now_available},
        )
        await stock_alerts.went_up(product.id)
    return StockAdded(added=added, duplicates=len(lines) - added)


async def backfill(cipher: StockCipher, product_id: PydanticObjectId | None = None) -> int:
    """Give items saved before fingerprints existed their fingerprint and preview (lazily: the
    first add or list of a product does it for that product; None does every product).

    A backfilled item equal to one already fingerprinted is a duplicate from before: if it is
    still available it is removed (selling it would sell that key a second time); one already
    reserved or delivered stays, for its ticket's record, under a fingerprint of its own.
    Returns how many items were fingerprinted or removed."""
    items = StockItem.get_pymongo_collection()
    query: dict[str, Any] = {"fingerprint": None}
    if product_id is not None:
        query["product_id"] = product_id
    done = 0
    # Sold and held items first: when two copies collide, the one on the shelf is the one to go.
    for statuses in ([StockItemStatus.DELIVERED, StockItemStatus.RESERVED], [StockItemStatus.AVAILABLE]):
        async for doc in items.find(
            {**query, "status": {"$in": [s.value for s in statuses]}}, {"secret": 1, "status": 1}
        ).sort("created_at", ASCENDING):
            try:
                text = normalise(cipher.open(doc["secret"]))
            except InvalidInput:
                log.warning("stock item %s cannot be decrypted; left without a fingerprint", doc["_id"])
                continue
            fingerprint = cipher.fingerprint(text)
            unset = {"_id": doc["_id"], "fingerprint": None}
            try:
                await items.update_one(unset, {"$set": {"fingerprint": fingerprint, "preview": mask(text)}})
            except DuplicateKeyError:
                gone = await items.delete_one({**unset, "status": StockItemStatus.AVAILABLE.value})
                if not gone.deleted_count:
                    await items.update_one(
                        unset, {"$set": {"fingerprint": f"{fingerprint}:{doc['_id']}", "preview": mask(text)}}
                    )
            done += 1
    return done


async def list_items(
    product: Product, cipher: StockCipher, status: StockItemStatus | None = None, limit: int = LIST_LIMIT
) -> list[ItemRow]:
    """A product's items, newest first, masked, with the ticket number of reserved and
    delivered ones."""
    await backfill(cipher, product.id)
    query: dict[str, Any] = {"product_id": product.id}
    if status is not None:
        query["status"] = status.value
    docs = [
        doc
        async for doc in StockItem.get_pymongo_collection()
        .find(query, {"secret": 0})
        .sort("created_at", -1)
        .limit(limit)
    ]
    return await _rows(docs)


async def _rows(docs: list[dict[str, Any]]) -> list[ItemRow]:
    ticket_ids = {doc["ticket_id"] for doc in docs if doc.get("ticket_id")}
    numbers = {
        t["_id"]: t["number"]
        async for t in Ticket.get_pymongo_collection().find({"_id": {"$in": list(ticket_ids)}}, {"number": 1})
    }
    return [
        ItemRow(
            id=str(doc["_id"]),
            preview=doc.get("preview") or "***",
            status=StockItemStatus(doc["status"]),
            ticket_number=numbers.get(doc.get("ticket_id")),
            created_at=doc["created_at"],
        )
        for doc in docs
    ]


async def search(product: Product, query: str, cipher: StockCipher, limit: int = LIST_LIMIT) -> list[ItemRow]:
    """Items of one product matching what a seller typed, without decrypting the whole store:

    1. the exact item (its fingerprint, indexed: any status, any shelf size);
    2. a masked prefix as the list shows it (`can***@mail` or just `can`), on the stored previews;
    3. text inside an item (a password, part of a key): the product's available items are
       decrypted for this one search, at most SEARCH_DECRYPT_LIMIT of them.
    """
    wanted = normalise(query)
    if not wanted:
        return await list_items(product, cipher, limit=limit)
    await backfill(cipher, product.id)
    items = StockItem.get_pymongo_collection()
    found: dict[Any, dict[str, Any]] = {}
    async for doc in items.find({"product_id": product.id, "fingerprint": cipher.fingerprint(wanted)}):
        found[doc["_id"]] = doc
    prefix = "^" + re.escape(wanted)
    async for doc in items.find(
        {"product_id": product.id, "preview": {"$regex": prefix, "$options": "i"}}
    ).limit(limit):
        found.setdefault(doc["_id"], doc)
    lowered = wanted.casefold()
    async for doc in items.find(
        {"product_id": product.id, "status": StockItemStatus.AVAILABLE.value}
    ).limit(SEARCH_DECRYPT_LIMIT):
        if len(found) >= limit:
            break
        if doc["_id"] not in found and lowered in cipher.open(doc["secret"]).casefold():
            found[doc["_id"]] = doc
    docs = sorted(found.values(), key=lambda d: d["created_at"], reverse=True)[:limit]
    return await _rows(docs)


async def reveal(product: Product, item_id: str, by_user_id: int, cipher: StockCipher) -> str:
    """One item's plain text, for a seller who clicked "Reveal" on it. Each reveal is kept on
    the item and as an event (who, when), so a leaked key can be traced to who looked."""
    oid = _item_id(item_id)
    now = utcnow()
    doc = await StockItem.get_pymongo_collection().find_one_and_update(
        {"_id": oid, "product_id": product.id},
        {"$push": {"reveals": {"by": by_user_id, "at": now}}},
        projection={"secret": 1},
    )
    if doc is None:
        raise InvalidInput(ITEM_GONE, key="stock_item_gone")
    await Event(
        guild_id=product.guild_id,
        kind=EventKind.STOCK_REVEALED,
        product_id=product.id,
        user_id=by_user_id,
        at=now,
    ).insert()
    return cipher.open(doc["secret"])


async def remove_available(
    product: Product, item_ids: Iterable[str], by: Actor | None = None
) -> tuple[int, int]:
    """Delete items still on the shelf; reserved and delivered ones stay (a ticket holds or
    sold them). Returns (removed, kept). One conditional delete: an item reserved by a buyer
    a moment before is kept, never pulled from under their ticket."""
    ids = [_item_id(item_id) for item_id in item_ids]
    result = await StockItem.get_pymongo_collection().delete_many(
        {"_id": {"$in": ids}, "product_id": product.id, "status": StockItemStatus.AVAILABLE.value}
    )
    if result.deleted_count:
        left = await available(product)
        await audit.record(
            product.guild_id, by, "stock.removed", subject=product.name, subject_id=product.id,
            before={"available": left + result.deleted_count}, after={"available": left},
        )
        await stock_alerts.went_down(product.id)
    return result.deleted_count, len(ids) - result.deleted_count


def _item_id(item_id: str) -> PydanticObjectId:
    try:
        return PydanticObjectId(item_id)
    except Exception:
        raise InvalidInput(ITEM_GONE, key="stock_item_gone") from None


async def set_manual_stock(product: Product, stock: int, by: Actor | None = None) -> None:
    """Set how many units of a manual product can still be bought."""
    if product.delivery_mode is not DeliveryMode.MANUAL:
        raise InvalidInput("automatic products count their stock items")
    if isinstance(stock, bool) or not isinstance(stock, int) or not 0 <= stock <= 1_000_000:
        raise InvalidInput("stock: must be a whole number from 0 to 1,000,000")
    was = await Product.get_pymongo_collection().find_one_and_update(
        {"_id": product.id}, {"$set": {"stock": stock, "updated_at": utcnow()}}, projection={"stock": 1}
    )
    await audit.record(
        product.guild_id, by, "stock.set", subject=product.name, subject_id=product.id,
        before={"stock": (was or {}).get("stock")}, after={"stock": stock},
    )
    previous = (was or {}).get("stock") or 0
    if stock > previous:
        await stock_alerts.went_up(product.id)
    elif stock < previous:
        await stock_alerts.went_down(product.id)


async def available(product: Product) -> int:
    """Units that can be bought now."""
    if product.delivery_mode is DeliveryMode.MANUAL:
        fresh = await Product.get(product.id)
        return fresh.stock if fresh else 0
    return await StockItem.get_pymongo_collection().count_documents(
        {"product_id": product.id, "status": StockItemStatus.AVAILABLE.value}
    )


@dataclass(frozen=True)
class StockCounts:
    """A product's stock items by status."""

    available: int = 0
    reserved: int = 0
    delivered: int = 0


async def counts_by_product(product_ids: Iterable[PydanticObjectId]) -> dict[PydanticObjectId, StockCounts]:
    """Stock items by status for many products in ONE aggregation (a catalogue page lists every
    product's counts: one query per product made a page of 30 products cost 31 queries).
    A product without items is absent from the answer: read it as `StockCounts()`."""
    ids = list(product_ids)
    if not ids:
        return {}
    pipeline = [
        {"$match": {"product_id": {"$in": ids}}},
        {"$group": {"_id": {"product": "$product_id", "status": "$status"}, "n": {"$sum": 1}}},
    ]
    by_product: dict[PydanticObjectId, dict[str, int]] = {}
    async for row in await StockItem.get_pymongo_collection().aggregate(pipeline):
        by_product.setdefault(row["_id"]["product"], {})[row["_id"]["status"]] = row["n"]
    return {product_id: StockCounts(**found) for product_id, found in by_product.items()}


async def counts(product_id: PydanticObjectId) -> dict[str, int]:
    """Stock items by status: available, reserved, delivered."""
    found = (await counts_by_product([product_id])).get(product_id, StockCounts())
    return {"available": found.available, "reserved": found.reserved, "delivered": found.delivered}


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
        await stock_alerts.went_down(product.id)
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
    await stock_alerts.went_down(product.id)
    return sealed


async def release(
    product_id: PydanticObjectId, mode: DeliveryMode, ticket_id: PydanticObjectId, quantity: int
) -> int:
    """Give a ticket's reserved units back to the shelf. Idempotent; returns units released."""
    if mode is DeliveryMode.MANUAL:
        released = await _release_manual(product_id, ticket_id, quantity)
    else:
        released = await _release_items(ticket_id)
    if released:
        await stock_alerts.went_up(product_id)
    return released


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
