"""Issue 20 (6) on the dashboard: the audit log lists who changed what and when, a change made in
the dashboard itself under the logged-in seller, and filters by person, by kind of change and by
dates. In Indonesian (the store's language), and the key steps again in English. A real browser
against the real dashboard, in the dashboard's world (tests/dashboard_world.py)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, expect

from models.audit_entry import AuditEntry, FieldChange
from models.store import utcnow
from models.ticket import Actor
from tests.conftest import ROOT
from tests.dashboard_world import GUILD, snap, store_url
from workflows import products

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]
DOCS = ROOT / "docs" / "screenshots"
SITI = Actor(kind="seller", user_id=901, name="siti")


def _day(days_ago: int) -> str:
    return (utcnow() - timedelta(days=days_ago)).astimezone(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m-%d")


async def _log_in(page: Page, shop) -> None:
    await page.goto(f"{shop['url']}/login")
    await page.click("#login")
    await page.click(f"#login-{shop['seller'].id}")
    await expect(page).to_have_url(store_url(shop, "tickets"))


async def test_seller_logs_in(page: Page, shop):
    await _log_in(page, shop)


async def test_the_log_lists_changes_with_who_and_filters_them(page: Page, shop):
    await products.create_product(GUILD, name="Spotify 1 Bulan", price=50_000, by=SITI)
    # Siti changed the rules ten days ago.
    await AuditEntry(
        guild_id=GUILD,
        at=utcnow() - timedelta(days=10),
        by=SITI,
        action="settings.changed",
        subject="Toko Budi",
        changes=[FieldChange(field="tickets.max_open_tickets_per_buyer", before="1", after="3")],
    ).insert()
    # The seller makes a coupon in the dashboard: logged under them.
    await page.goto(store_url(shop, "coupons"))
    await page.get_by_label("Kode").fill("HEMAT10")
    await page.get_by_label("Potongan").fill("10%")
    await page.click("#create-coupon")
    await expect(page.locator("#notice")).to_have_text("Kupon HEMAT10 dibuat.")

    await page.goto(store_url(shop, "audit"))
    await expect(page.get_by_role("heading", name="Log aktivitas", exact=True)).to_be_visible()
    await expect(page.locator("#nav-audit")).to_have_text("Log aktivitas")
    rows = page.locator("#audit tbody tr")
    await expect(rows).to_have_count(3)
    coupon = page.locator("[data-audit='Kupon dibuat']")
    await expect(coupon).to_contain_text(shop["seller"].username)
    await expect(coupon).to_contain_text("HEMAT10")
    product = page.locator("[data-audit='Produk dibuat']")
    await expect(product).to_contain_text("siti")
    await expect(product).to_contain_text("Harga: — → Rp 50.000")
    await expect(product).to_contain_text("Dijual: — → ya")
    rules = page.locator("[data-audit='Pengaturan diubah']")
    await expect(rules).to_contain_text("Tiket terbuka per pembeli: 1 → 3")
    await snap(page, "audit-all")

    # Only Siti's.
    await page.get_by_label("Siapa", exact=True).select_option(label="siti")
    await page.click("#audit-filter")
    await expect(rows).to_have_count(2)
    await expect(page.locator("[data-audit='Kupon dibuat']")).to_have_count(0)
    # Siti's product changes only.
    await page.get_by_label("Apa", exact=True).select_option(label="Produk")
    await page.click("#audit-filter")
    await expect(rows).to_have_count(1)
    await expect(page.locator("[data-audit='Produk dibuat']")).to_be_visible()
    # Everyone, everything, in the last three days: the old rule change is out.
    await page.get_by_label("Siapa", exact=True).select_option(label="Semua orang")
    await page.get_by_label("Apa", exact=True).select_option(label="Semua perubahan")
    await page.get_by_label("Dari tanggal", exact=True).fill(_day(3))
    await page.click("#audit-filter")
    await expect(rows).to_have_count(2)
    await expect(page.locator("[data-audit='Pengaturan diubah']")).to_have_count(0)
    # Up to eight days ago: only the old rule change.
    await page.get_by_label("Dari tanggal", exact=True).fill("")
    await page.get_by_label("Sampai tanggal", exact=True).fill(_day(8))
    await page.click("#audit-filter")
    await expect(rows).to_have_count(1)
    await expect(page.locator("[data-audit='Pengaturan diubah']")).to_be_visible()
    # Nothing between: said so.
    await page.get_by_label("Dari tanggal", exact=True).fill(_day(30))
    await page.get_by_label("Sampai tanggal", exact=True).fill(_day(20))
    await page.click("#audit-filter")
    await expect(page.locator("#no-audit")).to_have_text("Belum ada aktivitas yang cocok.")

    await page.click("#audit-clear")
    await expect(rows).to_have_count(3)
    DOCS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(DOCS / "id-audit.png"), full_page=True)
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(store_url(shop, "audit"))
    await expect(rows).to_have_count(3)
    await page.screenshot(path=str(DOCS / "id-audit-phone.png"), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_a_low_stock_alert_set_on_the_products_page_is_kept_and_logged(page: Page, shop):
    await page.goto(store_url(shop, "products"))
    await page.locator("tr[data-product='Spotify 1 Bulan'] .edit-product").click()
    editor = page.locator("#product-editor")
    await editor.get_by_label("Peringatan stok menipis di (kosong: tidak ada)").fill("3")
    await editor.locator("#save-product").click()
    await expect(page.locator("#notice")).to_have_text("“Spotify 1 Bulan” disimpan.")
    await page.reload()
    await page.locator("tr[data-product='Spotify 1 Bulan'] .edit-product").click()
    await expect(editor.get_by_label("Peringatan stok menipis di (kosong: tidak ada)")).to_have_value("3")

    await page.goto(store_url(shop, "audit"))
    changed = page.locator("[data-audit='Produk diubah']")
    await expect(changed).to_contain_text("Batas stok menipis: — → 3")
    await expect(changed).to_contain_text(shop["seller"].username)


async def test_the_log_in_english(browser, shop):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_cookies([{"name": "store_lang", "value": "en", "url": shop["url"]}])
    english = await context.new_page()
    try:
        await _log_in(english, shop)
        await english.goto(store_url(shop, "audit"))
        await expect(english.get_by_role("heading", name="Audit log", exact=True)).to_be_visible()
        await expect(english.locator("[data-audit='Product created']")).to_contain_text(
            "Price: — → Rp 50.000"
        )
        await expect(english.locator("[data-audit='Settings changed']")).to_contain_text(
            "Open tickets per buyer: 1 → 3"
        )
        await english.get_by_label("What", exact=True).select_option(label="Coupons")
        await english.click("#audit-filter")
        await expect(english.locator("#audit tbody tr")).to_have_count(1)
        await expect(english.locator("[data-audit='Coupon created']")).to_contain_text("HEMAT10")
    finally:
        await context.close()
