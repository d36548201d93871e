"""Issue 17 (3, 4): every refusal the seller sees on the dashboard names the field in the shop's
words and says what is allowed, in the store's language (this store is Indonesian); an e-wallet
keeps its account holder. A real browser against the real dashboard, with test_dashboard's
shop (its fixtures, a module of its own)."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from models.payment_method import PaymentMethod
from tests.dashboard_world import GUILD, _choose, store_url
from workflows import products

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]


async def test_seller_logs_in(page: Page, shop):
    await page.goto(f"{shop['url']}/login")
    await page.click("#login")
    await page.click(f"#login-{shop['seller'].id}")
    await expect(page).to_have_url(store_url(shop, "tickets"))
    await expect(page).to_have_title("Tiket")  # the browser tab in the seller's language too


async def test_the_tab_names_the_page_in_the_chosen_language(page: Page, shop):
    await page.goto(store_url(shop, "products"))
    await expect(page).to_have_title("Produk")
    await page.click("#lang-en")
    await expect(page).to_have_title("Products")
    await page.goto(store_url(shop, "payment-methods"))
    await expect(page).to_have_title("Payment methods")
    await page.click("#lang-id")
    await expect(page).to_have_title("Metode pembayaran")


async def test_auto_close_minus_one_is_refused_in_indonesian_naming_the_field(page: Page, shop):
    before = (await products.get_store(GUILD)).tickets
    await page.goto(store_url(shop, "settings"))
    await page.fill("#setting-auto_close_s", "-1")
    await page.click("#save-settings")
    error = page.locator("#error")
    await expect(error).to_contain_text(
        "Tutup otomatis setelah selesai (detik): harus bilangan bulat dari 0 sampai 2.592.000"
    )
    assert "validation error" not in (await error.inner_text()).lower()
    assert "auto_close_s" not in await error.inner_text()
    assert (await products.get_store(GUILD)).tickets.auto_close_s == before.auto_close_s  # nothing saved


async def test_a_price_over_the_limit_is_refused_in_rupiah(page: Page, shop):
    await page.goto(store_url(shop, "products"))
    await page.fill("#new-name", "Harga Salah")
    await page.fill("#new-price", "10.000.000.000.000")
    await page.click("#create-product")
    error = page.locator("#error")
    await expect(error).to_contain_text("Harga: paling banyak Rp 1.000.000.000.000")
    assert "Input should be" not in await error.inner_text()


@pytest.mark.parametrize("wallet", ["DANA", "OVO"])
async def test_an_e_wallet_keeps_its_account_holder(page: Page, shop, wallet):
    await page.goto(store_url(shop, "payment-methods"))
    await page.locator("#method-kind").get_by_role("radio", name="E-wallet").click()
    await _choose(page, "#wallet-provider", wallet)
    await page.fill("#wallet-number", "0812 3456 7890")
    await page.fill("#account-name", f"Budi {wallet}")
    await page.click("#add-method")
    await expect(page.locator("#methods")).to_contain_text(f"081234567890 a.n. Budi {wallet}")
    await expect(page.locator("#methods")).not_to_contain_text("None")
    saved = await PaymentMethod.find_one({"guild_id": GUILD, "provider": wallet})
    assert saved.details["account_name"] == f"Budi {wallet}"
