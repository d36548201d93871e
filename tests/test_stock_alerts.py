"""Stock alerts (issue 20, item 4), through a real bot, a real worker and the Discord sandbox:
buyers wait for a sold-out product with "Kabari saya" and a restock tells them by DM, oldest
first, only as many as the units back, each once; the sellers are told in the log channel when
the stock drops to a product's threshold, once per crossing."""

from __future__ import annotations

import asyncio

import pytest

from models.audit_entry import AuditEntry
from models.stock_watch import RestockWait, StockWatch, WaitState
from models.store import Store
from tests.bot_driver import answers, click, messages, on_sandbox, open_shop, panel_message
from tests.conftest import GUILD
from tests.helpers import SELLER, automatic_product, buyer
from tests.waiting import eventually
from workflows import stock, stock_alerts, tickets
from workflows.errors import InvalidInput


def _dms(sandbox, user) -> list[str]:
    s = sandbox.server
    return on_sandbox(
        sandbox,
        lambda: [
            m.content
            for c in s.channels.values()
            if c.type == 1 and c.recipient_id == user.id
            for m in s.messages.get(c.id, {}).values()
        ],
    )


def _back(sandbox, user):
    async def probe():
        return [m for m in _dms(sandbox, user) if "tersedia lagi" in m]

    return probe


def _posted(product):
    """The worker marks an alert posted right after Discord took it."""

    async def probe():
        return await StockWatch.find_one({"product_id": product.id, "alert_due": False})

    return probe


def _in_state(person, state: WaitState):
    async def probe():
        return await RestockWait.find_one({"user_id": person.id, "state": state.value})

    return probe


async def _wait_for(sandbox, world, panel, person, product) -> str:
    """`person` presses Buy, finds everything sold out, and asks to be told when it is back."""
    pressed = click(sandbox, person, world["shop"].id, panel.id, "buy_btn")

    async def menu():
        return [m for m in answers(sandbox, pressed) if "notify_me:0" in str(m.components)]

    shown = (await eventually(menu, "the Kabari saya menu under the answer to Buy"))[0]
    assert shown.content.startswith("Maaf, semua produk sedang habis. Pilih produk di bawah")
    picked = click(sandbox, person, world["shop"].id, shown.id, "notify_me:0", values=[str(product.id)])

    async def said():
        return [m.content for m in answers(sandbox, picked) if m.content and m.content != "…"]

    return (await eventually(said, "the answer to Kabari saya"))[-1]


async def test_a_restock_tells_waiting_buyers_once_each_in_order_as_many_as_the_stock_allows(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    _, product = await open_shop(sandbox, world, store, settings, cipher, items=0)
    start_worker()
    start_bot()
    panel = await panel_message(sandbox, world)
    budi, eve = world["buyer"], world["stranger"]

    said = await _wait_for(sandbox, world, panel, budi, product)
    assert said == "Siap! Kami kabari Anda lewat DM saat Netflix 1 Bulan tersedia lagi."
    again = await _wait_for(sandbox, world, panel, budi, product)
    assert again == (
        "Anda sudah ada di daftar tunggu Netflix 1 Bulan; kami kabari lewat DM saat tersedia lagi."
    )
    await _wait_for(sandbox, world, panel, eve, product)
    assert await stock_alerts.waiting(product.id) == 2

    # One unit back: the first in line is told, the second waits.
    await stock.add_items(product, ["satu@mail.test:1"], cipher, by=SELLER)
    told = await eventually(_back(sandbox, budi), "Budi told that it is back")
    assert told[0].startswith("Kabar baik dari Toko Digital: Netflix 1 Bulan tersedia lagi! Tekan Beli")
    assert f"/channels/{GUILD}/{world['shop'].id}/{panel.id}" in told[0]  # a link to the panel
    assert "satu@mail.test" not in told[0]
    await eventually(_in_state(budi, WaitState.TOLD), "Budi's wait over")
    assert (await RestockWait.find_one({"user_id": eve.id})).state is WaitState.WAITING
    assert _dms(sandbox, eve) == []

    # A second unit: now Eve; Budi is not told twice.
    await stock.add_items(product, ["dua@mail.test:2"], cipher, by=SELLER)
    await eventually(_back(sandbox, eve), "Eve told that it is back")
    # A third: nobody is left in line, so nobody is called.
    assert await stock_alerts.went_up(product.id) == 0
    await stock.add_items(product, ["tiga@mail.test:3"], cipher, by=SELLER)
    await eventually(_in_state(eve, WaitState.TOLD), "Eve's wait over")
    assert await RestockWait.find({"state": {"$ne": WaitState.TOLD.value}}).count() == 0
    assert len(_dms(sandbox, budi)) == 1 and len(_dms(sandbox, eve)) == 1

    # In stock now: "Kabari saya" is not needed, and Buy buys.
    assert await stock_alerts.ask(GUILD, product.id, 424242) == "in_stock"


async def test_the_low_stock_alert_is_posted_once_per_crossing(
    sandbox, world, store, cipher, settings, start_worker
):
    _, product = await open_shop(sandbox, world, store, settings, cipher, items=3)
    log_channel = on_sandbox(sandbox, lambda: sandbox.server.add_channel(world["guild"], "log-toko"))
    await Store.get_pymongo_collection().update_one(
        {"guild_id": GUILD}, {"$set": {"log_channel_id": log_channel.id, "tickets.cooldown_s": 0}}
    )
    await stock_alerts.set_threshold(GUILD, product.id, 2, by=SELLER)
    start_worker()

    async def alerts():
        return [m.content for m in await messages(sandbox, log_channel.id) if "Stok menipis" in m.content]

    first = await tickets.open_ticket(GUILD, product.id, buyer(601))  # 3 → 2: crossed
    said = await eventually(alerts, "the low-stock alert")
    assert said == ["⚠️ Stok menipis: Netflix 1 Bulan tinggal 2 (peringatan di 2). Tambah stok di dasbor."]
    await tickets.open_ticket(GUILD, product.id, buyer(602))  # 2 → 1: still low, no new alert
    await tickets.cancel(first.id, buyer(601))  # 1 → 2: not above the threshold yet
    watch = await eventually(_posted(product), "the alert marked posted")
    assert watch.below  # still low: no second alert written

    await stock.add_items(product, ["a@mail.test:1", "b@mail.test:2"], cipher, by=SELLER)  # 2 → 4: armed
    assert not (await StockWatch.find_one({"product_id": product.id})).below
    await tickets.open_ticket(GUILD, product.id, buyer(603))  # 4 → 3
    await tickets.open_ticket(GUILD, product.id, buyer(604))  # 3 → 2: crossed again

    async def two():
        found = await alerts()
        return found if len(found) == 2 else None

    said = await eventually(two, "the second crossing's alert")
    assert said[1] == "⚠️ Stok menipis: Netflix 1 Bulan tinggal 2 (peringatan di 2). Tambah stok di dasbor."
    await eventually(_posted(product), "the second alert marked posted")
    # The threshold itself is a seller's change: in the audit log, under who set it.
    entry = await AuditEntry.find_one({"action": "product.changed", "subject_id": str(product.id)})
    assert entry.by.name == "seller" and entry.changes[0].field == "low_stock_threshold"
    assert (entry.changes[0].before, entry.changes[0].after) == (None, "2")


async def test_fifty_buyers_at_once_cross_the_threshold_once(store, cipher):
    product = await automatic_product(cipher, items=60)
    await stock_alerts.set_threshold(GUILD, product.id, 20)
    await Store.get_pymongo_collection().update_one({"guild_id": GUILD}, {"$set": {"tickets.cooldown_s": 0}})
    await asyncio.gather(*(tickets.open_ticket(GUILD, product.id, buyer(700 + i)) for i in range(50)))
    watch = await StockWatch.find_one({"product_id": product.id})
    assert watch.below and watch.alert_due  # one alert written
    claimed = await stock_alerts.claim_alert()
    assert claimed is not None and claimed.alert_available <= 20
    assert await stock_alerts.claim_alert() is None  # one alert, held by the first sender


async def test_a_threshold_that_is_not_a_whole_number_from_0_is_refused_in_the_sellers_words(store, cipher):
    product = await automatic_product(cipher, items=1)
    for wrong in (-1, 1_000_001, True, 2.5):
        with pytest.raises(InvalidInput) as refused:
            await stock_alerts.set_threshold(GUILD, product.id, wrong)
        assert refused.value.in_locale("id") == (
            "Peringatan stok menipis: bilangan bulat 0 sampai 1.000.000, atau kosongkan jika tidak perlu."
        )
    assert await stock_alerts.threshold_of(product.id) is None
    await stock_alerts.set_threshold(GUILD, product.id, 0)
    await stock_alerts.set_threshold(GUILD, product.id, None)  # removed
    assert await stock_alerts.threshold_of(product.id) is None
