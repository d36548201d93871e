"""Stock items are on a product's shelf once: duplicates are skipped and reported, the database
enforces it when two sellers add at once, and sellers can list (masked), search, reveal one and
remove available items. Real MongoDB, no workers."""

from __future__ import annotations

import asyncio

import pytest

from models.event import Event, EventKind
from models.stock_item import StockItem, StockItemStatus
from models.store import utcnow
from tests.conftest import GUILD
from tests.helpers import buyer
from tests.waiting import eventually
from workflows import products, stock, tickets
from workflows.errors import InvalidInput, SoldOut

CANVA = ["canva-a@mail.com:pw1", "canva-b@mail.com:pw2", "canva-c@mail.com:pw3"]


async def _product(name: str = "Canva Pro 1 Bulan"):
    return await products.create_product(GUILD, name=name, price=15_000)


async def test_the_same_item_pasted_twice_is_sold_to_one_buyer_only(store, cipher):
    """Issue 17's headline: Budi received canva-a for ticket #1 and again for ticket #2."""
    product = await _product()
    first = await stock.add_items(product, ["canva-a@mail.com:pw1", " canva-a@mail.com:pw1 "], cipher)
    again = await stock.add_items(product, ["canva-a@mail.com:pw1"], cipher)  # the seller pastes it again
    assert (first.added, first.duplicates) == (1, 1)
    assert (again.added, again.duplicates) == (0, 1)

    budi = await tickets.open_ticket(GUILD, product.id, buyer(501, "budi"))
    with pytest.raises(SoldOut):  # the second buyer finds it sold out, not a second copy
        await tickets.open_ticket(GUILD, product.id, buyer(502, "sari"))
    assert [cipher.open(s) for s in budi.sealed_items] == ["canva-a@mail.com:pw1"]
    assert await stock.available(product) == 0


async def test_duplicates_in_a_batch_and_against_the_shelf_are_counted(store, cipher):
    product = await _product()
    result = await stock.add_items(product, [*CANVA, CANVA[0], "", "  ", CANVA[1] + "\t"], cipher)
    assert (result.added, result.duplicates) == (3, 2)
    result = await stock.add_items(product, [*CANVA, "canva-d@mail.com:pw4"], cipher)
    assert (result.added, result.duplicates) == (1, 3)
    assert await stock.available(product) == 4
    # Case is kept: a password differing in case is a different item.
    result = await stock.add_items(product, ["canva-a@mail.com:PW1"], cipher)
    assert (result.added, result.duplicates) == (1, 0)


async def test_an_item_already_sold_is_not_put_back_by_pasting_it_again(store, cipher):
    product = await _product()
    await stock.add_items(product, CANVA[:1], cipher)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    await StockItem.get_pymongo_collection().update_many(
        {"ticket_id": ticket.id}, {"$set": {"status": StockItemStatus.DELIVERED.value}}
    )
    result = await stock.add_items(product, CANVA[:1], cipher)
    assert (result.added, result.duplicates) == (0, 1)
    assert await stock.available(product) == 0


async def test_two_sellers_adding_the_same_batch_at_once_add_each_item_once(store, cipher):
    product = await _product()
    batch = [f"akun{n}@mail.com:rahasia{n}" for n in range(300)]
    for round_ in range(3):
        lines = [f"{line}-{round_}" for line in batch]
        results = await asyncio.gather(*(stock.add_items(product, lines, cipher) for _ in range(2)))
        assert sum(r.added for r in results) == 300
        assert sum(r.duplicates for r in results) == 300
    assert await stock.available(product) == 900
    # And the shelf holds each text once: decrypting every item finds no repeat.
    texts = [cipher.open(doc.secret) async for doc in StockItem.find(StockItem.product_id == product.id)]
    assert len(texts) == len(set(texts)) == 900


async def test_items_saved_before_fingerprints_are_backfilled_and_an_old_duplicate_leaves_the_shelf(
    store, cipher
):
    product = await _product()
    now = utcnow()
    legacy = StockItem.get_pymongo_collection()

    def old(text: str, status: StockItemStatus) -> dict:
        return {
            "guild_id": GUILD,
            "product_id": product.id,
            "secret": cipher.seal(text),
            "status": status.value,
            "created_at": now,
        }

    await legacy.insert_many(
        [
            old(CANVA[0], StockItemStatus.DELIVERED),
            old(CANVA[0], StockItemStatus.AVAILABLE),  # the copy that would be sold a second time
            old(CANVA[1], StockItemStatus.AVAILABLE),
        ]
    )
    assert await stock.available(product) == 2
    result = await stock.add_items(product, [CANVA[0], CANVA[1], CANVA[2]], cipher)
    assert (result.added, result.duplicates) == (1, 2)
    rows = await stock.list_items(product, cipher)
    assert sorted((r.preview, r.status.value) for r in rows) == [
        ("can***@mail.com:***", "available"),
        ("can***@mail.com:***", "available"),
        ("can***@mail.com:***", "delivered"),
    ]
    assert await StockItem.get_pymongo_collection().count_documents({"fingerprint": None}) == 0


async def test_sellers_list_items_masked_with_status_and_ticket_number(store, cipher):
    product = await _product()
    await stock.add_items(product, [*CANVA, "SPOTIFY-KEY-0001"], cipher)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())  # reserves the oldest: canva-a
    rows = await stock.list_items(product, cipher)
    assert {r.preview for r in rows} == {"can***@mail.com:***", "SPO***"}
    held = [r for r in rows if r.status is StockItemStatus.RESERVED]
    assert [(r.ticket_number, r.preview) for r in held] == [(ticket.number, "can***@mail.com:***")]
    assert all("pw" not in r.preview for r in rows)
    only_available = await stock.list_items(product, cipher, StockItemStatus.AVAILABLE)
    assert len(only_available) == 3


async def test_search_by_exact_text_by_masked_prefix_and_inside_available_items(store, cipher):
    product = await _product()
    await stock.add_items(product, [*CANVA, "SPOTIFY-KEY-0001"], cipher)

    async def texts_of(query: str) -> set[str]:
        found = await stock.search(product, query, cipher)
        return {await stock.reveal(product, r.id, 900, cipher) for r in found}

    assert await texts_of("canva-b@mail.com:pw2") == {"canva-b@mail.com:pw2"}
    assert await texts_of("spo") == {"SPOTIFY-KEY-0001"}  # the prefix the list shows
    assert await texts_of("pw3") == {"canva-c@mail.com:pw3"}  # inside an available item
    assert await texts_of("nothing-like-this") == set()


async def test_revealing_an_item_is_on_purpose_and_recorded(store, cipher):
    product = await _product()
    await stock.add_items(product, CANVA[:1], cipher)
    [row] = await stock.list_items(product, cipher)
    assert await stock.reveal(product, row.id, 900, cipher) == "canva-a@mail.com:pw1"
    event = await Event.find_one(Event.kind == EventKind.STOCK_REVEALED)
    assert event is not None and event.user_id == 900 and event.product_id == product.id
    item = await StockItem.get(row.id)
    assert [r.by for r in item.reveals] == [900]
    other = await _product("Another")
    with pytest.raises(InvalidInput):  # an item is revealed through its own product only
        await stock.reveal(other, row.id, 900, cipher)


async def test_only_available_items_can_be_removed(store, cipher):
    product = await _product()
    await stock.add_items(product, CANVA, cipher)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    rows = await stock.list_items(product, cipher)
    assert await stock.remove_available(product, [r.id for r in rows]) == (2, 1)
    [left] = await stock.list_items(product, cipher)
    assert left.status is StockItemStatus.RESERVED and left.ticket_number == ticket.number
    # A removed item can be added again (it is off the shelf, not sold).
    result = await stock.add_items(product, CANVA[1:2], cipher)
    assert (result.added, result.duplicates) == (1, 0)


def test_masks_show_enough_to_tell_items_apart_and_not_to_use_them():
    assert stock.mask("canva-a@mail.com:pw1") == "can***@mail.com:***"
    assert stock.mask("ABCD-EFGH-IJKL") == "ABC***"
    assert stock.mask("ab") == "***"
    assert stock.mask("user|secret") == "use***|***"


async def test_a_worker_start_fingerprints_old_items_of_products_nobody_opened(store, cipher, start_worker):
    product = await _product()
    legacy = [
        {
            "guild_id": GUILD,
            "product_id": product.id,
            "secret": cipher.seal(text),
            "status": StockItemStatus.AVAILABLE.value,
            "created_at": utcnow(),
        }
        for text in [CANVA[0], CANVA[0], CANVA[1]]  # canva-a pasted twice before fingerprints
    ]
    await StockItem.get_pymongo_collection().insert_many(legacy)
    start_worker()

    async def fingerprinted():
        return await StockItem.get_pymongo_collection().count_documents({"fingerprint": None}) == 0

    await eventually(fingerprinted, "the old items fingerprinted by the worker's sweeper")
    assert await stock.available(product) == 2  # the second canva-a can no longer be sold
    budi = await tickets.open_ticket(GUILD, product.id, buyer(501, "budi"))
    sari = await tickets.open_ticket(GUILD, product.id, buyer(502, "sari"))
    assert {cipher.open(budi.sealed_items[0]), cipher.open(sari.sealed_items[0])} == set(CANVA[:2])


async def test_the_catalogue_counts_every_products_stock_in_one_aggregation(store, cipher, settings):
    """Issue 18: the products page read one count per product. The catalogue of 30 products is
    read with two commands (the products, one aggregation of their items), as of one product."""
    from beanie import init_beanie
    from pymongo import AsyncMongoClient, monitoring

    import models
    from models.product import Product

    canva = await _product()
    await stock.add_items(canva, CANVA, cipher)
    await tickets.open_ticket(GUILD, canva.id, buyer(501, "budi"))
    manual = await products.create_product(
        GUILD, name="Jasa Desain", price=50_000, delivery_mode="manual", stock=4
    )
    await products.create_product(GUILD, name="Belum Ada Stok", price=5_000)

    class Commands(monitoring.CommandListener):
        def __init__(self) -> None:
            self.names: list[str] = []

        def started(self, event: monitoring.CommandStartedEvent) -> None:
            self.names.append(event.command_name)

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None: ...

        def failed(self, event: monitoring.CommandFailedEvent) -> None: ...

    async def commands_for_catalogue() -> tuple[list[products.CatalogueEntry], list[str]]:
        heard = Commands()
        client = AsyncMongoClient(settings.mongodb_url, tz_aware=True, event_listeners=[heard])
        own = Product.get_pymongo_collection().database  # the test's connection, bound back after
        await init_beanie(database=client[settings.mongodb_database], document_models=models.DOCUMENTS)
        heard.names.clear()  # index checks of init_beanie are not the catalogue's
        try:
            return await products.catalogue(GUILD), list(heard.names)
        finally:
            await init_beanie(database=own, document_models=models.DOCUMENTS)
            await client.close()

    entries, few = await commands_for_catalogue()
    by_name = {e.product.name: e for e in entries}
    assert (by_name["Canva Pro 1 Bulan"].available, by_name["Canva Pro 1 Bulan"].reserved) == (2, 1)
    assert by_name["Canva Pro 1 Bulan"].delivered == 0
    assert (by_name["Jasa Desain"].available, by_name["Jasa Desain"].delivered) == (4, None)
    assert (by_name["Belum Ada Stok"].available, by_name["Belum Ada Stok"].reserved) == (0, 0)
    assert manual.delivery_mode.value == "manual"

    for n in range(27):
        more = await products.create_product(GUILD, name=f"Voucher {n}", price=10_000)
        await stock.add_items(more, [f"V-{n}-a", f"V-{n}-b"], cipher)
    entries, many = await commands_for_catalogue()
    assert len(entries) == 30 and all(
        e.available == 2 for e in entries if e.product.name.startswith("Voucher")
    )
    print(f"catalogue commands: 3 products {few}, 30 products {many}")
    assert many == few == ["find", "aggregate"]


async def test_switching_to_manual_and_back_keeps_the_stock_items(store, cipher):
    product = await _product()
    await stock.add_items(product, CANVA, cipher)
    switched = await products.set_delivery_mode(GUILD, product.id, "manual")
    assert switched.delivery_mode.value == "manual"
    with pytest.raises(SoldOut):  # a manual product sells its count (0), not the saved items
        await tickets.open_ticket(GUILD, product.id, buyer(501, "budi"))
    [entry] = await products.catalogue(GUILD)
    assert (entry.available, entry.kept_items) == (0, 3)
    await products.set_delivery_mode(GUILD, product.id, "automatic")
    budi = await tickets.open_ticket(GUILD, product.id, buyer(501, "budi"))
    assert cipher.open(budi.sealed_items[0]) in CANVA
    with pytest.raises(InvalidInput) as refused:
        await products.set_delivery_mode(GUILD, product.id, "by pigeon")
    assert refused.value.in_locale("id").startswith("Jenis pengiriman:")
