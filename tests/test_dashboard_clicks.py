"""Every form and button of the dashboard is safe to click twice, and stock items are on a
product's shelf once, in a real browser (Debian's chromium + Playwright, real double clicks)
against the real app, workers, bot and Discord sandbox: the shop of tests/test_dashboard.py.

The tests share one shop and run in order: log in, create a product (double click), add stock
with duplicates (double click), list, search, reveal and remove items, add a QRIS, verify a
ticket twice. Indonesian (the store's default locale) first, then English."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from models.event import Event, EventKind
from models.product import Product
from models.stock_item import StockItem, StockItemStatus
from models.store import Store
from models.ticket import Actor, Ticket
from tests import dashboard_world as dashboard
from tests.waiting import eventually
from workflows import stock, tickets
from workflows.errors import SoldOut
from workflows.stock_cipher import StockCipher

GUILD = dashboard.GUILD

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]

CANVA = ["canva-a@mail.com:pw1", "canva-b@mail.com:pw2", "canva-c@mail.com:pw3"]


def toasts(page: Page, containing: str):
    return page.locator("[data-sonner-toast]", has_text=containing)


async def _product(name: str) -> Product:
    found = await Product.find_one(Product.guild_id == GUILD, Product.name == name)
    assert found is not None
    return found


async def test_seller_logs_in(page: Page, shop):
    await page.goto(f"{shop['url']}/login")
    await page.click("#login")
    await page.click(f"#login-{shop['seller'].id}")
    await expect(page.locator("#store-name")).to_have_text("Toko Budi")


async def test_create_product_double_clicked_creates_one_product(page: Page, shop):
    await page.goto(dashboard.store_url(shop, "products"))
    await page.fill("#new-name", "Canva Pro 1 Bulan")
    await page.fill("#new-price", "15.000")
    await page.dblclick("#create-product")
    await expect(page.locator("#notice")).to_have_text("Produk “Canva Pro 1 Bulan” dibuat.")
    # A later action's answer means both submits of the double click were handled (one tab's
    # events are handled in order).
    await page.fill("#stock_query", "")
    await page.click("#search-stock")
    await expect(page.locator("#product-editor")).to_contain_text("Item stok")
    await expect(page.locator("tr[data-product='Canva Pro 1 Bulan']")).to_have_count(1)
    assert await Product.find(Product.guild_id == GUILD, Product.name == "Canva Pro 1 Bulan").count() == 1
    await expect(toasts(page, "dibuat")).to_have_count(1)
    await expect(page.locator("#error")).to_have_count(0)


async def test_add_stock_double_clicked_adds_once_and_duplicates_are_reported(page: Page, shop):
    # The seller pastes canva-a twice (once with stray spaces), and double-clicks.
    await page.fill("#stock-lines", "\n".join([CANVA[0], CANVA[1], "  " + CANVA[0] + "  "]))
    await page.dblclick("#add-stock")
    notice = page.locator("#notice")
    await expect(notice).to_contain_text("2 item stok ditambahkan ke “Canva Pro 1 Bulan”.")
    await expect(notice).to_contain_text("1 duplikat dilewati")
    await page.click("#search-stock")  # a later action: the double click's second submit is done
    await expect(page.locator("#stock-items tr.stock-item")).to_have_count(2)
    await expect(page.locator("#stock-summary")).to_contain_text("2 / 0 / 0")
    await expect(toasts(page, "ditambahkan")).to_have_count(1)  # one result, not two
    product = await _product("Canva Pro 1 Bulan")
    assert await StockItem.find(StockItem.product_id == product.id).count() == 2

    # Pasted again later with one new item: only the new one is added.
    await page.fill("#stock-lines", "\n".join(CANVA))
    await page.click("#add-stock")
    await expect(notice).to_contain_text("1 item stok ditambahkan")
    await expect(notice).to_contain_text("2 duplikat dilewati")
    await expect(page.locator("#stock-summary")).to_contain_text("3 / 0 / 0")
    # Listed masked, with their status; the secrets are not on the page.
    items = page.locator("#stock-items tr.stock-item")
    await expect(items).to_have_count(3)
    await expect(items.first).to_contain_text("can***@mail.com:***")
    await expect(items.first).to_contain_text("tersedia")
    html = await page.content()
    assert not any(secret in html for secret in CANVA)
    await dashboard.snap(page, "16-stock-items")


async def test_the_item_pasted_twice_reaches_one_buyer_only(page: Page, shop):
    """Issue 17's headline: budi received canva-a for ticket #1 and again for ticket #2."""
    product = await _product("Canva Pro 1 Bulan")
    holders = [
        await tickets.open_ticket(GUILD, product.id, Actor(kind="buyer", user_id=700 + n, name=f"b{n}"))
        for n in range(3)
    ]
    with pytest.raises(SoldOut):
        await tickets.open_ticket(GUILD, product.id, Actor(kind="buyer", user_id=799, name="late"))
    cipher = StockCipher(shop["settings"].stock_encryption_key())
    received = sorted(cipher.open(t.sealed_items[0]) for t in holders)
    assert received == sorted(CANVA)  # three buyers, three different accounts
    for t in holders:
        await tickets.cancel(t.id, Actor(kind="seller", user_id=shop["seller"].id, name="seller"), "test")
    assert await stock.available(product) == 3


async def test_seller_searches_reveals_one_on_purpose_and_removes_available_items(page: Page, shop):
    product = await _product("Canva Pro 1 Bulan")
    held = await tickets.open_ticket(GUILD, product.id, Actor(kind="buyer", user_id=801, name="sari"))
    await page.fill("#stock_query", "pw2")  # part of one item: looked for inside the available ones
    await page.click("#search-stock")
    items = page.locator("#stock-items tr.stock-item")
    await expect(items).to_have_count(1)
    await items.first.locator(".reveal-item").click()
    await expect(items.first.locator(".stock-item-text")).to_have_text("canva-b@mail.com:pw2")
    await expect(page.locator("#notice")).to_contain_text("tampilan ini dicatat")

    async def recorded():
        return await Event.find_one(Event.kind == EventKind.STOCK_REVEALED, Event.product_id == product.id)

    reveal = await eventually(recorded, "the reveal recorded")
    assert reveal.user_id == shop["seller"].id

    await page.fill("#stock_query", "")
    await page.click("#search-stock")
    await expect(items).to_have_count(3)
    reserved = page.locator("#stock-items tr[data-status='reserved']")
    await expect(reserved).to_contain_text(f"dipesan (tiket #{held.number})")
    await expect(reserved.get_by_role("checkbox")).to_have_count(0)  # never removable
    for box in await page.locator("#stock-items tr[data-status='available']").get_by_role("checkbox").all():
        await box.click()
    await page.dblclick("#remove-stock")  # asks first (issue 17, 7): one dialog, nothing removed yet
    await expect(items).to_have_count(3)
    await page.click("#confirm-remove-stock")
    await expect(page.locator("#notice")).to_have_text("2 item stok dihapus.")
    await expect(items).to_have_count(1)
    await expect(page.locator("#stock-summary")).to_contain_text("0 / 1 / 0")
    left = await StockItem.find(StockItem.product_id == product.id).to_list()
    assert [i.status for i in left] == [StockItemStatus.RESERVED]
    await tickets.cancel(held.id, Actor(kind="seller", user_id=shop["seller"].id, name="seller"), "test")


async def test_in_english_the_same_words_in_english(page: Page, shop):
    await Store.get_pymongo_collection().update_one({"guild_id": GUILD}, {"$set": {"locale": "en"}})
    try:
        await page.goto(dashboard.store_url(shop, "products"))
        await page.locator("tr[data-product='Canva Pro 1 Bulan'] .edit-product").click()
        await page.fill("#stock-lines", "\n".join([CANVA[0], "canva-d@mail.com:pw4", "canva-d@mail.com:pw4"]))
        await page.dblclick("#add-stock")
        notice = page.locator("#notice")
        await expect(notice).to_contain_text("Added 1 stock item(s) to “Canva Pro 1 Bulan”.")
        await expect(notice).to_contain_text("2 duplicates skipped")  # canva-a is held by a ticket
        await page.click("#search-stock")
        await expect(page.locator("#stock-items tr.stock-item")).to_have_count(2)
        await expect(toasts(page, "Added")).to_have_count(1)
        await expect(page.locator("#stock-items")).to_contain_text("available")
    finally:
        await Store.get_pymongo_collection().update_one({"guild_id": GUILD}, {"$set": {"locale": "id"}})


async def test_the_qris_form_forgets_its_file_once_the_qris_is_added(page: Page, shop):
    from launcher.demo_store import static_qris
    from workflows import qris

    await page.goto(dashboard.store_url(shop, "payment-methods"))
    await page.get_by_role("radio", name="QRIS").click()
    await dashboard._upload(page, "qris_image", "qris-toko.png", qris.qr_png(static_qris()))
    await expect(page.get_by_text("qris-toko.png")).to_be_visible()
    await page.get_by_role("button", name="Baca gambar QRIS").click()
    await expect(page.locator("#notice")).to_contain_text("merchant TOKO DEMO")
    await page.dblclick("#add-method")
    await expect(page.locator("#notice")).to_have_text("QRIS ditambahkan")
    await expect(page.get_by_text("qris-toko.png")).to_have_count(0)  # nothing left to add again
    await page.get_by_role("radio", name="Transfer bank").click()  # a later event: both submits done
    await expect(page.locator("#account-number")).to_be_visible()
    await expect(page.locator("#methods tr", has_text="QRIS TOKO DEMO")).to_have_count(1)
    await expect(toasts(page, "QRIS ditambahkan")).to_have_count(1)


async def test_verify_double_clicked_on_the_dashboard_is_one_success(page: Page, shop):
    product = await _product("Canva Pro 1 Bulan")
    ticket = await tickets.open_ticket(GUILD, product.id, Actor(kind="buyer", user_id=802, name="dewi"))
    buyer = Actor(kind="buyer", user_id=802, name="dewi")
    await tickets.report_payment(ticket.id, buyer, "BCA a.n. DEWI")
    await page.goto(dashboard.store_url(shop, f"tickets/{ticket.id}"))
    await expect(page.locator("#payment-reference")).to_have_text("BCA a.n. DEWI")
    await page.dblclick("#action-verify")
    await expect(page.locator("#notice")).to_contain_text(f"#{ticket.number}")
    await expect(page.locator("#action-verify")).to_have_count(0)  # gone once verified
    await page.reload()  # a later page load: the double click's second event is long handled
    await expect(page.locator("#payment-reference")).to_have_text("BCA a.n. DEWI")
    saved = await Ticket.get(ticket.id)
    assert [h.trigger for h in saved.history].count("verify") == 1

    # Another seller verifies it first (here: the domain, as the bot or a match would): the
    # open page loses its Verify button at once, so there is nothing left to click twice.
    other = await tickets.open_ticket(GUILD, product.id, Actor(kind="buyer", user_id=803, name="eka"))
    await tickets.report_payment(other.id, Actor(kind="buyer", user_id=803, name="eka"), "BCA a.n. EKA")
    await page.goto(dashboard.store_url(shop, f"tickets/{other.id}"))
    await expect(page.locator("#action-verify")).to_be_visible()
    await tickets.verify(other.id, Actor(kind="seller", user_id=904, name="Rina"))
    await expect(page.locator("#action-verify")).to_have_count(0)
    await expect(page.locator("#error")).to_have_count(0)
