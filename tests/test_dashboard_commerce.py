"""Issue 20 (1, 5) on the dashboard: the seller makes coupons ("10%", "Rp 5.000"), sees their
uses, stops one after confirming; and keeps a blacklist, picking a buyer by name, or writing a
payer name or an account number, with a reason. In Indonesian (the store's language), and the
key steps again in English. A real browser against the real dashboard, in the dashboard's
world (tests/dashboard_world.py, built anew for this module)."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from models.blacklist import BlacklistEntry, BlacklistKind
from models.coupon import Coupon
from models.ticket import Actor
from tests.conftest import ROOT
from tests.dashboard_world import GUILD, _choose, snap, store_url
from workflows import blacklist, products, stock, tickets
from workflows.errors import StoreError
from workflows.stock_cipher import StockCipher

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]
DOCS = ROOT / "docs" / "screenshots"


async def _log_in(page: Page, shop) -> None:
    await page.goto(f"{shop['url']}/login")
    await page.click("#login")
    await page.click(f"#login-{shop['seller'].id}")
    await expect(page).to_have_url(store_url(shop, "tickets"))


async def _docs_shot(page: Page, name: str) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(DOCS / f"{name}.png"), full_page=True)


async def test_seller_logs_in(page: Page, shop):
    await _log_in(page, shop)


async def test_seller_makes_coupons_sees_their_uses_and_stops_one_after_confirming(page: Page, shop):
    product = await products.create_product(GUILD, name="Netflix 1 Bulan", price=50_000)
    cipher = StockCipher(shop["settings"].stock_encryption_key())
    await stock.add_items(product, ["a@mail.test:1", "b@mail.test:2"], cipher)
    await page.goto(store_url(shop, "coupons"))
    await expect(page.get_by_role("heading", name="Kupon", exact=True)).to_be_visible()
    await expect(page.locator("#nav-coupons")).to_have_text("Kupon")
    await expect(page.locator("#no-coupons")).to_have_text("Belum ada kupon.")

    # A discount that is neither a percent nor an amount is refused naming the field.
    await page.get_by_label("Kode").fill("SALAH")
    await page.get_by_label("Potongan").fill("banyak")
    await page.click("#create-coupon")
    await expect(page.locator("#error")).to_have_text(
        "Potongan: persen seperti 10% atau nominal seperti Rp 500.000."
    )
    assert await Coupon.find({"guild_id": GUILD}).count() == 0

    await page.get_by_label("Kode").fill("hemat10")
    await page.get_by_label("Potongan").fill("10%")
    await page.get_by_label("Total pemakaian (kosong: tanpa batas)").fill("10")
    await page.get_by_label("Minimal pembelian (opsional)").fill("20.000")
    await page.locator(".coupon-product", has_text="Netflix 1 Bulan").click()
    await page.click("#create-coupon")
    await expect(page.locator("#notice")).to_have_text("Kupon HEMAT10 dibuat.")
    row = page.locator("[data-coupon='HEMAT10']")
    await expect(row).to_contain_text("10%")
    await expect(row).to_contain_text("Netflix 1 Bulan")
    await expect(row).to_contain_text("Rp 20.000")
    await expect(row.locator(".coupon-uses")).to_have_text("0 / 10")
    await expect(row).to_contain_text("aktif")

    await page.get_by_label("Kode").fill("LAGI5K")
    await page.get_by_label("Potongan").fill("Rp 5.000")
    await page.click("#create-coupon")
    await expect(page.locator("[data-coupon='LAGI5K']")).to_contain_text("Rp 5.000")
    await expect(page.locator("[data-coupon='LAGI5K']")).to_contain_text("semua produk")

    # Budi uses HEMAT10 in his ticket: the list shows the use.
    budi = shop["buyer"]
    ticket = await tickets.open_ticket(GUILD, product.id, Actor(kind="buyer", user_id=budi.id, name="budi"))
    await tickets.apply_coupon(ticket.id, Actor(kind="buyer", user_id=budi.id, name="budi"), "HEMAT10")
    await page.reload()
    await expect(row.locator(".coupon-uses")).to_have_text("1 / 10")
    await snap(page, "20-coupons")
    await _docs_shot(page, "id-coupons")

    # Stopping asks first: "Biarkan" changes nothing.
    await row.locator(".deactivate-coupon").click()
    await expect(page.get_by_role("alertdialog")).to_contain_text("Hentikan kupon HEMAT10?")
    await page.get_by_role("button", name="Biarkan").click()
    assert (await Coupon.find_one({"code": "HEMAT10"})).active
    await row.locator(".deactivate-coupon").click()
    await page.click("#confirm-deactivate")
    await expect(page.locator("#notice")).to_have_text("Kupon HEMAT10 dihentikan.")
    await expect(row).to_contain_text("dihentikan")
    assert not (await Coupon.find_one({"code": "HEMAT10"})).active

    await page.set_viewport_size({"width": 390, "height": 844})  # a phone
    await page.reload()
    await expect(page.locator("#coupons")).to_be_visible()
    await _docs_shot(page, "id-coupons-phone")
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_seller_blacklists_a_buyer_by_name_and_a_payer_and_removes_one_after_confirming(
    page: Page, shop
):
    await page.goto(store_url(shop, "blacklist"))
    await expect(page.get_by_role("heading", name="Daftar hitam", exact=True)).to_be_visible()
    await expect(page.locator("#no-blacklist")).to_have_text("Belum ada yang masuk daftar hitam.")

    # Nobody chosen: the seller is told to choose.
    await page.click("#add-blacklist")
    await expect(page.locator("#error")).to_have_text("Pilih anggota dari daftar terlebih dahulu.")

    await _choose(page, "#blacklist-member", "budi")  # by name, from the store's buyers
    await page.get_by_label("Alasan (hanya penjual yang melihat)").fill("chargeback bulan lalu")
    await page.click("#add-blacklist")
    await expect(page.locator("#notice")).to_have_text("budi masuk daftar hitam.")
    budi_row = page.locator("[data-entry='budi']")
    await expect(budi_row).to_contain_text("pembeli")
    await expect(budi_row).to_contain_text("chargeback bulan lalu")
    with pytest.raises(StoreError):
        await blacklist.refuse_buyer(GUILD, shop["buyer"].id)  # Buy now refuses him

    await page.get_by_role("radio", name="Nomor rekening").click()
    await page.get_by_label("Nama pengirim atau nomor rekening").fill("12")
    await page.click("#add-blacklist")
    await expect(page.locator("#error")).to_have_text("Nomor rekening: 5 sampai 30 angka.")

    await page.get_by_role("radio", name="Nama pengirim").click()
    await page.get_by_label("Nama pengirim atau nomor rekening").fill("Joko Susilo")
    await page.get_by_label("Alasan (hanya penjual yang melihat)").fill("bukti transfer palsu")
    await page.click("#add-blacklist")
    joko = page.locator("[data-entry='Joko Susilo']")
    await expect(joko).to_contain_text("nama pengirim")
    await snap(page, "21-blacklist")
    await _docs_shot(page, "id-blacklist")

    await joko.locator(".remove-blacklist").click()
    await expect(page.get_by_role("alertdialog")).to_contain_text("Hapus Joko Susilo dari daftar hitam?")
    await page.click("#confirm-remove")
    await expect(page.locator("#notice")).to_have_text("Joko Susilo dihapus dari daftar hitam.")
    await expect(joko).to_have_count(0)
    kinds = [e.kind async for e in BlacklistEntry.find({"guild_id": GUILD})]
    assert kinds == [BlacklistKind.USER]


async def test_the_same_pages_in_english(browser, shop):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_cookies([{"name": "store_lang", "value": "en", "url": shop["url"]}])
    english = await context.new_page()
    try:
        await _log_in(english, shop)
        await english.goto(store_url(shop, "coupons"))
        await expect(english.get_by_role("heading", name="Coupons", exact=True)).to_be_visible()
        await english.get_by_label("Code", exact=True).fill("WELCOME")
        await english.get_by_label("Discount", exact=True).fill("Rp 5.000")
        await english.get_by_label("Uses per buyer (empty: no limit)").fill("1")
        await english.click("#create-coupon")
        await expect(english.locator("#notice")).to_have_text("Coupon WELCOME created.")
        row = english.locator("[data-coupon='WELCOME']")
        await expect(row).to_contain_text("every product")
        await expect(row).to_contain_text("active")
        await row.locator(".deactivate-coupon").click()
        await expect(english.get_by_role("alertdialog")).to_contain_text("Stop coupon WELCOME?")
        await english.click("#confirm-deactivate")
        await expect(english.locator("#notice")).to_have_text("Coupon WELCOME stopped.")
        await expect(english.locator("[data-coupon='HEMAT10']")).to_contain_text("stopped")
        await english.get_by_label("Code", exact=True).fill("WELCOME")
        await english.get_by_label("Discount", exact=True).fill("10%")
        await english.click("#create-coupon")
        await expect(english.locator("#error")).to_have_text("This store already has a coupon WELCOME.")

        await english.goto(store_url(shop, "blacklist"))
        await expect(english.get_by_role("heading", name="Blacklist", exact=True)).to_be_visible()
        await expect(english.locator("[data-entry='budi']")).to_contain_text("buyer")
        await english.get_by_role("radio", name="An account number").click()
        await english.get_by_label("Payer name or account number").fill("123-456-7890")
        await english.get_by_label("Reason (only sellers see it)").fill("stolen card")
        await english.click("#add-blacklist")
        await expect(english.locator("#notice")).to_have_text("123-456-7890 is on the blacklist.")
        await expect(english.locator("[data-entry='123-456-7890']")).to_contain_text("account number")
        await english.locator("[data-entry='budi'] .remove-blacklist").click()
        await expect(english.get_by_role("alertdialog")).to_contain_text("Take budi off the blacklist?")
        await english.click("#confirm-remove")
        await expect(english.locator("#notice")).to_have_text("budi is off the blacklist.")
        await blacklist.refuse_buyer(GUILD, shop["buyer"].id)  # may buy again: no refusal
    finally:
        await context.close()
