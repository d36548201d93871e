"""Issue 17 (2, 3, 4, 7, 8, 9) on the Payment methods, Settings, Panel and Setup check pages: a
seller edits a bank account in its own form, an e-wallet keeps its holder, the QRIS form is
empty once the QRIS is added, a double click adds or saves once, removing asks first, settings
refusals name the field and its range, every field is found by its label, and all of it in
Indonesian (this store's language) and in English (the seller's own choice, a cookie).

A real browser against the real dashboard, with test_dashboard's shop (its fixtures, a module of
its own)."""

from __future__ import annotations

import pytest
import pytest_asyncio
from playwright.async_api import Page, expect

from launcher.demo_store import static_qris
from models.payment_method import PaymentMethod
from tests.dashboard_world import GUILD, ROOT, _upload, snap, store_url
from workflows import payment_methods, products, qris

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]

DOCS = ROOT / "docs" / "screenshots"
QRIS_BARU = qris.with_crc([(t, "TOKO BARU" if t == "59" else v) for t, v in qris.parse(static_qris())])


async def _log_in(page: Page, shop) -> None:
    await page.goto(f"{shop['url']}/login")
    await page.click("#login")
    await page.click(f"#login-{shop['seller'].id}")
    await expect(page.locator("#store-name")).to_have_text("Toko Budi")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def english(browser, shop):
    """A second tab whose seller chose English (the language switch's cookie)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_cookies([{"name": "store_lang", "value": "en", "url": shop["url"]}])
    tab = await context.new_page()
    await _log_in(tab, shop)
    yield tab
    await context.close()


def toasts(page: Page, containing: str):
    return page.locator("[data-sonner-toast]", has_text=containing)


def row(page: Page, containing: str):
    return page.locator("#methods tr", has_text=containing)


async def _choose(page: Page, label: str, option: str) -> None:
    await page.get_by_label(label, exact=True).click()
    await page.get_by_role("option", name=option, exact=True).click()


async def _methods(provider: str) -> list[PaymentMethod]:
    return await PaymentMethod.find({"guild_id": GUILD, "provider": provider}).to_list()


async def _settled(page: Page, kind: str) -> None:
    """A later event answered: every earlier one of this tab was handled (in order)."""
    await page.locator("#method-kind").get_by_role("radio", name=kind).click()
    await expect(page.locator("#method-kind").get_by_role("radio", name=kind)).to_be_checked()


async def test_seller_logs_in(page: Page, shop):
    await _log_in(page, shop)


async def test_a_bank_account_double_added_is_added_once_then_edited_in_its_filled_form(page: Page, shop):
    await page.goto(store_url(shop, "payment-methods"))
    await expect(page.get_by_role("heading", name="Tambah metode pembayaran")).to_be_visible()
    await _choose(page, "Bank", "BCA")
    await page.get_by_label("Nomor rekening").fill("123 456 7890")
    await page.get_by_label("Nama pemilik (a.n.)").fill("Toko Budi")
    await page.get_by_label("Petunjuk untuk pembeli (opsional)").fill(
        "Transfer tepat sampai 3 digit terakhir"
    )
    await page.get_by_role("button", name="Tambah metode").dblclick()
    await expect(page.locator("#notice")).to_have_text("BCA ditambahkan")
    await _settled(page, "E-wallet")
    await expect(row(page, "BCA")).to_have_count(1)
    await expect(row(page, "BCA")).to_contain_text("1234567890 a.n. Toko Budi")
    await expect(toasts(page, "BCA ditambahkan")).to_have_count(1)
    assert len(await _methods("BCA")) == 1

    # Edit: the same form, filled in with what was saved.
    await row(page, "BCA").get_by_role("button", name="Ubah").click()
    await expect(page.locator("#method-form-heading")).to_have_text("Ubah BCA")
    await expect(page.get_by_label("Nomor rekening")).to_have_value("1234567890")
    await expect(page.get_by_label("Nama pemilik (a.n.)")).to_have_value("Toko Budi")
    await expect(page.get_by_label("Petunjuk untuk pembeli (opsional)")).to_have_value(
        "Transfer tepat sampai 3 digit terakhir"
    )
    # The same checks as adding: nothing saved, nothing typed lost.
    await page.get_by_label("Nomor rekening").fill("12ab")
    await page.get_by_role("button", name="Simpan perubahan").click()
    await expect(page.locator("#error")).to_contain_text("Nomor rekening: harus 5–20 digit angka")
    await expect(page.get_by_label("Nomor rekening")).to_have_value("12ab")
    assert (await _methods("BCA"))[0].details["account_number"] == "1234567890"

    await page.get_by_label("Nomor rekening").fill("0987 654 321")
    await page.get_by_label("Nama pemilik (a.n.)").fill("Budi Santoso")
    await _choose(page, "Bank", "Mandiri")
    await page.get_by_role("button", name="Simpan perubahan").dblclick()
    await expect(page.locator("#notice")).to_have_text("Mandiri disimpan")
    await expect(page.locator("#method-form-heading")).to_have_text("Tambah metode pembayaran")
    await _settled(page, "Transfer bank")
    await expect(row(page, "Mandiri")).to_contain_text("0987654321 a.n. Budi Santoso")
    await expect(page.locator("#methods")).not_to_contain_text("None")  # a bank keeps its holder too
    await expect(toasts(page, "Mandiri disimpan")).to_have_count(1)
    assert await _methods("BCA") == []
    [saved] = await _methods("Mandiri")
    assert saved.details == {"account_number": "0987654321", "account_name": "Budi Santoso"}
    assert saved.instructions == "Transfer tepat sampai 3 digit terakhir"


@pytest.mark.parametrize("wallet", ["DANA", "OVO"])
async def test_an_e_wallet_keeps_its_holder_added_and_edited(page: Page, shop, wallet):
    await page.goto(store_url(shop, "payment-methods"))
    await page.locator("#method-kind").get_by_role("radio", name="E-wallet").click()
    await _choose(page, "E-wallet", wallet)
    await page.get_by_label("Nomor HP").fill("0812-3456-7890")
    await page.get_by_label("Nama pemilik (a.n.)").fill(f"Sari {wallet}")
    await page.get_by_role("button", name="Tambah metode").click()
    await expect(row(page, wallet)).to_contain_text(f"081234567890 a.n. Sari {wallet}")

    await row(page, wallet).get_by_role("button", name="Ubah").click()
    await expect(page.get_by_label("Nama pemilik (a.n.)")).to_have_value(f"Sari {wallet}")
    await page.get_by_label("Petunjuk untuk pembeli (opsional)").fill("Kirim bukti transfer di tiket")
    await page.get_by_role("button", name="Simpan perubahan").click()
    await expect(page.locator("#notice")).to_have_text(f"{wallet} disimpan")
    await expect(row(page, wallet)).to_contain_text(f"081234567890 a.n. Sari {wallet}")
    await expect(page.locator("#methods")).not_to_contain_text("None")
    [saved] = await _methods(wallet)
    assert saved.details == {"number": "081234567890", "account_name": f"Sari {wallet}"}
    assert saved.instructions == "Kirim bukti transfer di tiket"


async def test_the_qris_form_is_empty_once_added_and_an_edit_replaces_the_qris(page: Page, shop):
    await page.goto(store_url(shop, "payment-methods"))
    await page.get_by_role("radio", name="QRIS").click()
    await _upload(page, "qris_image", "qris-toko.png", qris.qr_png(static_qris()))
    await page.get_by_role("button", name="Baca gambar QRIS").click()
    await expect(page.locator("#notice")).to_have_text("QRIS terbaca dan valid: merchant TOKO DEMO")
    await expect(page.get_by_label("Teks QRIS")).to_have_value(static_qris())
    await page.get_by_role("button", name="Tambah metode").click()
    await expect(page.locator("#notice")).to_have_text("QRIS ditambahkan")
    await expect(page.get_by_text("qris-toko.png")).to_have_count(0)  # nothing left to add again
    await expect(page.get_by_label("Teks QRIS")).to_have_value("")
    await expect(row(page, "QRIS TOKO DEMO")).to_have_count(1)
    [added] = await _methods("QRIS")
    old_image = added.details["image_ref"]

    await row(page, "QRIS TOKO DEMO").get_by_role("button", name="Ubah").click()
    await expect(page.locator("#method-form-heading")).to_have_text("Ubah QRIS")
    await _upload(page, "qris_image", "qris-baru.png", qris.qr_png(QRIS_BARU))
    await page.get_by_role("button", name="Baca gambar QRIS").click()
    await expect(page.locator("#notice")).to_contain_text("merchant TOKO BARU")
    await page.get_by_role("button", name="Simpan perubahan").click()
    await expect(page.locator("#notice")).to_have_text("QRIS disimpan")
    await expect(row(page, "QRIS TOKO BARU")).to_have_count(1)
    await expect(page.get_by_text("qris-baru.png")).to_have_count(0)
    [saved] = await _methods("QRIS")
    assert saved.details["payload"] == QRIS_BARU and saved.details["merchant_name"] == "TOKO BARU"
    assert saved.details["image_ref"] not in ("", old_image)  # buyers scan the new picture


async def test_removing_a_method_asks_first_and_cancel_changes_nothing(page: Page, shop):
    await page.goto(store_url(shop, "payment-methods"))
    await row(page, "OVO").get_by_role("button", name="Hapus").click()
    dialog = page.get_by_role("alertdialog")
    await expect(dialog).to_contain_text("Hapus metode pembayaran ini?")
    await expect(dialog).to_contain_text("OVO tidak akan ditawarkan lagi ke pembeli")
    await dialog.get_by_role("button", name="Batal").click()
    await expect(dialog).to_have_count(0)
    await _settled(page, "Kripto")
    await expect(row(page, "OVO")).to_have_count(1)
    assert len(await _methods("OVO")) == 1

    await row(page, "OVO").get_by_role("button", name="Hapus").click()
    await page.get_by_role("alertdialog").get_by_role("button", name="Hapus").click()
    await expect(page.locator("#notice")).to_have_text("OVO dihapus")
    await expect(row(page, "OVO")).to_have_count(0)
    assert await _methods("OVO") == []
    await snap(page, "05-payment-methods-edited")

    DOCS.mkdir(parents=True, exist_ok=True)
    for width, name in ((1280, "id-payment-methods"), (390, "id-payment-methods-phone")):
        await page.set_viewport_size({"width": width, "height": 900})
        await page.goto(store_url(shop, "payment-methods"))
        await _settled(page, "Transfer bank")
        await expect(row(page, "Mandiri")).to_have_count(1)
        await page.screenshot(path=str(DOCS / f"{name}.png"), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_settings_refuse_a_number_out_of_range_naming_field_and_range(page: Page, shop):
    before = (await products.get_store(GUILD)).tickets
    await page.goto(store_url(shop, "settings"))
    await expect(page.get_by_label("Jumlah maksimal per tiket")).to_have_value(str(before.max_quantity))
    await expect(page.get_by_label("Secret webhook Moota")).to_be_visible()
    await page.screenshot(path=str(DOCS / "id-settings.png"), full_page=True)
    await page.get_by_label("Jumlah maksimal per tiket").fill("0")
    await page.get_by_label("Tutup otomatis setelah selesai (detik)").fill("120")
    await page.get_by_role("button", name="Simpan pengaturan").click()
    await expect(page.locator("#error")).to_have_text(
        "Jumlah maksimal per tiket: harus bilangan bulat dari 1 sampai 1.000"
    )
    after = (await products.get_store(GUILD)).tickets
    assert (after.max_quantity, after.auto_close_s) == (
        before.max_quantity,
        before.auto_close_s,
    )  # nothing saved

    # A secret too short to be one: named as the page names it, never by its Python name.
    await page.get_by_label("Secret webhook Moota").fill("pendek")
    await page.get_by_role("button", name="Simpan secret pembayaran").click()
    await expect(page.locator("#error")).to_have_text(
        "Secret webhook Moota: 16 sampai 200 karakter (salin dari dasbor penyedia)"
    )
    await expect(page.locator("#secret-state-moota_secret")).to_have_text("belum diisi")
    assert (await products.get_store(GUILD)).moota_secret is None


async def test_panel_and_setup_pages_speak_indonesian(page: Page, shop):
    await page.goto(store_url(shop, "panel"))
    await page.get_by_label("Judul").fill("TOKO BUDI")
    preview = page.locator("#panel-preview")
    await expect(preview).to_contain_text("TOKO BUDI")
    await expect(preview).to_contain_text("Beli")  # the default label, in the seller's language
    await expect(preview).not_to_contain_text("Buy")
    # The default label is not shown as English text to edit: its place says what buyers get.
    await expect(page.get_by_label("Label tombol Beli")).to_have_value("")
    await expect(page.get_by_label("Label tombol Beli")).to_have_attribute("placeholder", "Beli")
    await expect(page.get_by_label("Warna tombol Beli")).to_contain_text("Hijau")
    await page.screenshot(path=str(DOCS / "id-panel.png"), full_page=True)

    await page.goto(store_url(shop, "setup"))
    await expect(page.get_by_role("heading", name="Cek pengaturan")).to_be_visible()
    await expect(page.locator("#setup-summary")).to_have_text(
        "Semua sudah siap: bot bisa melakukan semua yang dibutuhkan toko."
    )
    await expect(page.get_by_role("button", name="Cek lagi")).to_be_visible()
    await page.screenshot(path=str(DOCS / "id-setup.png"), full_page=True)


async def test_in_english_edit_keep_holder_confirm_and_refuse(english: Page, shop):
    page = english
    await page.goto(store_url(shop, "payment-methods"))
    await expect(page.get_by_role("heading", name="Add a payment method")).to_be_visible()
    await page.locator("#method-kind").get_by_role("radio", name="E-wallet").click()
    await _choose(page, "E-wallet", "GoPay")
    await page.get_by_label("Phone number").fill("081298765432")
    await page.get_by_label("Account holder").fill("Budi GoPay")
    await page.get_by_role("button", name="Add method").dblclick()
    await expect(page.locator("#notice")).to_have_text("GoPay added")
    await _settled(page, "Bank transfer")
    await expect(row(page, "GoPay")).to_have_count(1)
    await expect(row(page, "GoPay")).to_contain_text("081298765432 a.n. Budi GoPay")
    assert len(await _methods("GoPay")) == 1

    await row(page, "GoPay").get_by_role("button", name="Edit").click()
    await expect(page.locator("#method-form-heading")).to_have_text("Edit GoPay")
    await expect(page.get_by_label("Account holder")).to_have_value("Budi GoPay")
    await page.get_by_label("Phone number").fill("12")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.locator("#error")).to_contain_text("Phone number: an Indonesian mobile number")
    await page.get_by_label("Phone number").fill("0813 1111 2222")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.locator("#notice")).to_have_text("GoPay saved")
    await expect(row(page, "GoPay")).to_contain_text("081311112222 a.n. Budi GoPay")
    # The toast sits bottom right, over the last row's buttons, and a pointer resting on it keeps
    # it there: the seller waits for it to go (a few seconds) as anyone would.
    await expect(toasts(page, "GoPay saved")).to_have_count(0)

    await row(page, "GoPay").get_by_role("button", name="Remove").click()
    dialog = page.get_by_role("alertdialog")
    await expect(dialog).to_contain_text("Remove this payment method?")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(row(page, "GoPay")).to_have_count(1)
    assert len(await _methods("GoPay")) == 1
    await row(page, "GoPay").get_by_role("button", name="Remove").click()
    await page.get_by_role("alertdialog").get_by_role("button", name="Remove").click()
    await expect(page.locator("#notice")).to_have_text("GoPay removed")
    assert await _methods("GoPay") == []

    before = (await products.get_store(GUILD)).tickets
    await page.goto(store_url(shop, "settings"))
    await page.get_by_label("Auto-close after completion (seconds)").fill("-1")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.locator("#error")).to_have_text(
        "Auto-close after completion (seconds): a whole number from 0 to 2,592,000"
    )
    assert (await products.get_store(GUILD)).tickets.auto_close_s == before.auto_close_s

    await page.goto(store_url(shop, "panel"))
    await expect(page.locator("#panel-preview")).to_contain_text("Buy")
    await expect(page.get_by_label("Buy button colour")).to_contain_text("Green")
    await page.goto(store_url(shop, "setup"))
    await expect(page.locator("#setup-summary")).to_have_text(
        "Everything is set up: the bot can do all the store needs."
    )


async def test_a_new_qris_code_without_its_picture_drops_the_old_picture(shop):
    """Buyers scan the picture: one showing the old code must not stay beside a new code."""
    method = await payment_methods.add_method(
        GUILD, "qris", "QRIS Kasir", {"payload": static_qris(), "image_ref": "qris-lama"}
    )
    try:
        kept = await payment_methods.update_method(GUILD, method.id, details={}, instructions="Scan di kasir")
        assert kept.details["image_ref"] == "qris-lama"  # the same code: its picture stays
        pasted = await payment_methods.update_method(GUILD, method.id, details={"payload": QRIS_BARU})
        assert "image_ref" not in pasted.details and pasted.details["merchant_name"] == "TOKO BARU"
        assert (await PaymentMethod.get(method.id)).details == pasted.details
    finally:
        await payment_methods.delete_method(GUILD, method.id)
