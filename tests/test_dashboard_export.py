"""Issue 20 (7) on the dashboard: the Export page downloads the store's orders, products, stock
counts, ratings and payments as CSV and JSON, the files read back as the seller's data; in
Indonesian (the store's language) and again in English. Another store's seller, and a browser
without a session, never get the data. A real browser against the real dashboard, in the
dashboard's world (tests/dashboard_world.py)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from playwright.async_api import Page, expect

from models.incoming_payment import IncomingPayment
from models.product import DeliveryMode
from tests.conftest import ROOT
from tests.dashboard_world import GUILD, OTHER_GUILD, snap, store_url
from tests.helpers import buyer
from workflows import products, tickets

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]
DOCS = ROOT / "docs" / "screenshots"
SECRET_TEXT = "Link grup VIP: https://chat.example/undangan-rahasia"


async def _log_in_as(page: Page, shop, username: str, lands_on: str) -> None:
    await page.goto(f"{shop['url']}/login")
    await page.click("#login")
    await page.get_by_text(f"Authorize as {username}", exact=True).click()
    await expect(page).to_have_url(lands_on)


async def _download(page: Page, button: str) -> bytes:
    async with page.expect_download() as started:
        await page.click(button)
    download = await started.value
    path = await download.path()
    return path.read_bytes()


async def test_the_seller_downloads_orders_and_products(page: Page, shop):
    product = await products.create_product(
        GUILD,
        name="Grup VIP 1 Bulan",
        price=75_000,
        delivery_mode=DeliveryMode.MANUAL,
        stock=4,
        manual_delivery_text=SECRET_TEXT,
    )
    await tickets.open_ticket(GUILD, product.id, buyer(shop["buyer"].id, "budi"), quantity=2)
    await IncomingPayment(guild_id=GUILD, amount=12_345, source="moota", bank="BCA", reference="TRF").insert()

    await _log_in_as(page, shop, "seller", store_url(shop, "tickets"))
    # The sidebar's links name the store once the page has loaded it.
    await expect(page.locator("#store-name")).to_have_text("Toko Budi")
    await page.click("#nav-export")
    await expect(page).to_have_url(store_url(shop, "export"))
    await expect(page.get_by_role("heading", name="Ekspor", exact=True).first).to_be_visible()
    await expect(page.locator("#nav-export")).to_have_text("Ekspor")
    await expect(page.locator("tr[data-export='orders']")).to_contain_text("Pesanan")
    await expect(page.locator("#count-orders")).to_have_text("1")
    await expect(page.locator("#count-payments")).to_have_text("1")
    await expect(page.get_by_label("Unduh pesanan (CSV)")).to_be_visible()
    await snap(page, "export")

    data = await _download(page, "#export-orders-csv")
    [order] = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert (order["number"], order["buyer_name"], order["product"]) == ("1", "budi", "Grup VIP 1 Bulan")
    assert (order["quantity"], order["subtotal"], order["subtotal_text"]) == ("2", "150000", "Rp 150.000")
    assert order["status"] == "open" and order["created_at_wib"].endswith("+07:00")

    listed = json.loads(await _download(page, "#export-products-json"))
    [row] = listed["rows"]
    assert (row["name"], row["price"], row["price_text"], row["available"]) == (
        "Grup VIP 1 Bulan",
        75_000,
        "Rp 75.000",
        2,
    )
    stock = json.loads(await _download(page, "#export-stock-json"))["rows"]
    assert [(r["product"], r["available"], r["reserved"]) for r in stock] == [("Grup VIP 1 Bulan", 2, 2)]
    # What the buyer pays to receive is never in a download.
    assert SECRET_TEXT not in json.dumps(listed) and SECRET_TEXT not in data.decode("utf-8-sig")

    DOCS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(DOCS / "id-export.png"), full_page=True)
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.reload()
    await expect(page.locator("#count-orders")).to_have_text("1")
    # Every download button on a phone's screen: the page never scrolls sideways.
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    json_button = await page.locator("#export-payments-json").bounding_box()
    assert json_button is not None and json_button["x"] + json_button["width"] <= 390
    await page.screenshot(path=str(DOCS / "id-export-phone.png"), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_the_export_page_in_english(browser, shop):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_cookies([{"name": "store_lang", "value": "en", "url": shop["url"]}])
    english = await context.new_page()
    try:
        await _log_in_as(english, shop, "seller", store_url(shop, "tickets"))
        await english.goto(store_url(shop, "export"))
        await expect(english.get_by_role("heading", name="Export", exact=True).first).to_be_visible()
        await expect(english.locator("tr[data-export='payments']")).to_contain_text("Incoming payments")
        await expect(english.get_by_label("Download incoming payments (JSON)")).to_be_visible()
        [payment] = json.loads(await _download(english, "#export-payments-json"))["rows"]
        assert (payment["amount"], payment["amount_text"], payment["status"]) == (
            12_345,
            "Rp 12.345",
            "unmatched",
        )
    finally:
        await context.close()


async def test_another_stores_seller_and_a_stranger_get_nothing(browser, shop):
    orders = f"{shop['url']}/files/stores/{GUILD}/export/orders.csv"
    context = await browser.new_context()
    try:
        stranger = await context.request.get(orders)  # no session at all
        assert stranger.status == 401 and "budi" not in await stranger.text()

        eve = await context.new_page()
        await _log_in_as(eve, shop, "eve", f"{shop['url']}/store/{OTHER_GUILD}/tickets")
        for kind in ("orders.csv", "payments.json", "products.json"):
            refused = await context.request.get(f"{shop['url']}/files/stores/{GUILD}/export/{kind}")
            assert refused.status == 404, kind
            assert "budi" not in await refused.text() and "Grup VIP" not in await refused.text()
        # Her own store's export is hers: empty, and only hers.
        own = await context.request.get(f"{shop['url']}/files/stores/{OTHER_GUILD}/export/orders.json")
        assert own.status == 200
        assert json.loads(await own.text())["rows"] == []
        nothing = await context.request.get(
            f"{shop['url']}/files/stores/{OTHER_GUILD}/export/stock_items.csv"
        )
        assert nothing.status == 404  # only the five kinds exist
        # The export page of someone else's store is refused as every page is.
        await eve.goto(store_url(shop, "export"))
        await expect(eve.locator("#refusal")).to_be_visible()
        await expect(eve.locator("#exports")).to_have_count(0)
    finally:
        await context.close()
