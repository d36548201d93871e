"""Issue 21 (5) on the dashboard: the buyers' saldo. The Saldo page lists balances by name,
richest first, and searches them; opens a buyer's ledger; adds or takes saldo with a reason
(asked first; refused without a reason or beyond the balance); downloads the ledger as CSV. The
Payments page credits an unmatched transfer to a buyer's saldo in one click; the ticket page
refunds part of a paid ticket to saldo; Analytics counts saldo sales. In Indonesian (the store's
language), and the key steps again in English. A real browser against the real dashboard, in the
dashboard's world (tests/dashboard_world.py)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.async_api import Page, expect

from models.incoming_payment import IncomingPayment
from models.product import DeliveryMode
from models.ticket import Actor, Ticket
from models.topup import TopUp
from models.wallet import EntryKind
from tests.conftest import ROOT
from tests.dashboard_world import GUILD, OTHER_GUILD, snap, store_url
from tests.waiting import eventually
from workflows import products, saldo_payments, tickets, topups, wallet
from workflows.money import format_amount

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]
DOCS = ROOT / "docs" / "screenshots"
SARI = Actor(kind="buyer", user_id=802_802, name="sari")
SELLER = Actor(kind="seller", user_id=900, name="siti")


async def _log_in(page: Page, shop) -> None:
    await page.goto(f"{shop['url']}/login")
    await page.click("#login")
    await page.click(f"#login-{shop['seller'].id}")
    await expect(page).to_have_url(store_url(shop, "tickets"))


def _dm_texts(server, user_id: int) -> list[str]:
    """What the bot sent `user_id` by DM (run on the sandbox's loop)."""
    return [
        m.content
        for c in server.channels.values()
        if c.type == 1 and c.recipient_id == user_id
        for m in server.messages.get(c.id, {}).values()
        if m.author.bot
    ]


def _row(page: Page, name: str):
    return page.locator(f"#wallets tr[data-buyer='{name}']")


async def _csv(page: Page, button: str) -> list[dict[str, str]]:
    async with page.expect_download() as download:
        await page.click(button)
    path = await (await download.value).path()
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


async def test_seller_logs_in(page: Page, shop):
    await _log_in(page, shop)


async def test_the_seller_finds_a_buyer_adjusts_their_saldo_with_a_reason_and_exports_the_ledger(
    page: Page, shop
):
    budi = shop["buyer"]
    store = await products.get_store(GUILD)
    # Budi topped up Rp 100.000 (plus its kode unik) and a seller saw the transfer.
    topup = await topups.request(store, budi.id, 100_000, buyer_name="budi")
    await topups.verify_by_seller(GUILD, topup.id, SELLER)
    paid = format_amount(topup.amount_due)
    # Sari's saldo came from a seller; her name is on her ticket only.
    joki = await products.create_product(
        GUILD, name="Joki Rank", price=25_000, delivery_mode=DeliveryMode.MANUAL, stock=5
    )
    await tickets.open_ticket(GUILD, joki.id, SARI)
    await wallet.credit(
        GUILD, SARI.user_id, 25_000, kind=EntryKind.ADJUSTMENT, ref="adjust:sari-1", reason="hadiah"
    )

    await page.goto(store_url(shop, "wallets"))
    await expect(page.locator("#nav-wallets")).to_have_text("Saldo")
    await expect(page.get_by_role("heading", name="Saldo pembeli", exact=True)).to_be_visible()
    rows = page.locator("#wallets tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("budi")  # the richest first
    await expect(_row(page, "budi")).to_contain_text(paid)
    await expect(_row(page, "sari")).to_contain_text("Rp 25.000")

    # Search by part of a name, any case.
    await page.get_by_label("Cari pembeli", exact=True).fill("SAR")
    await page.click("#wallets-search")
    await expect(rows).to_have_count(1)
    await expect(_row(page, "sari")).to_be_visible()
    await page.get_by_label("Cari pembeli", exact=True).fill("")
    await page.click("#wallets-search")
    await expect(rows).to_have_count(2)

    # Budi's ledger.
    await _row(page, "budi").locator(".open-ledger").click()
    await expect(page.locator("#wallets-chosen")).to_have_text(f"Saldo budi: {paid}")
    ledger = page.locator("#wallet-ledger tbody tr")
    await expect(ledger).to_have_count(1)
    await expect(ledger.nth(0)).to_contain_text("Isi saldo")
    await expect(ledger.nth(0)).to_contain_text(f"+{paid}")

    # Taking Rp 10.000 asks first; "Batal" changes nothing.
    await page.get_by_label("Jenis", exact=True).select_option(label="Kurangi saldo")
    await page.get_by_label("Jumlah", exact=True).fill("10.000")
    await page.get_by_label("Alasan", exact=True).fill("koreksi transfer")
    await page.click("#wallets-adjust")
    dialog = page.get_by_role("alertdialog")
    await expect(dialog).to_contain_text("Ubah saldo budi sebesar −Rp 10.000?")
    await expect(dialog).to_contain_text("Alasan: koreksi transfer.")
    await dialog.get_by_role("button", name="Batal").click()
    await expect(dialog).to_have_count(0)
    assert await wallet.balance(GUILD, budi.id) == topup.amount_due

    await page.click("#wallets-adjust")
    await expect(dialog).to_contain_text("−Rp 10.000")
    await page.click("#confirm-adjust")
    after = format_amount(topup.amount_due - 10_000)
    await expect(page.locator("#notice")).to_have_text(f"Saldo budi diubah −Rp 10.000; sekarang {after}.")
    await expect(page.locator("#wallets-chosen")).to_have_text(f"Saldo budi: {after}")
    await expect(ledger).to_have_count(2)
    await expect(ledger.nth(0)).to_contain_text("Penyesuaian oleh penjual: koreksi transfer")
    await expect(ledger.nth(0)).to_contain_text("−Rp 10.000")
    await expect(ledger.nth(0)).to_contain_text(shop["seller"].username)
    await expect(_row(page, "budi")).to_contain_text(after)
    assert await wallet.balance(GUILD, budi.id) == topup.amount_due - 10_000
    await snap(page, "wallets-ledger")

    # No reason: refused, in the seller's language; nothing moved.
    await page.get_by_label("Jumlah", exact=True).fill("5.000")
    await page.click("#wallets-adjust")
    await expect(dialog).to_contain_text("+Rp 5.000")
    await page.click("#confirm-adjust")
    await expect(page.locator("#error")).to_contain_text("Tulis alasan perubahan saldo ini")
    # More than the balance: refused, saying the balance.
    await page.get_by_label("Jenis", exact=True).select_option(label="Kurangi saldo")
    await page.get_by_label("Jumlah", exact=True).fill("1.000.000")
    await page.get_by_label("Alasan", exact=True).fill("salah ketik")
    await page.click("#wallets-adjust")
    await expect(dialog).to_contain_text("−Rp 1.000.000")
    await page.click("#confirm-adjust")
    await expect(page.locator("#error")).to_have_text(
        f"Saldo budi {after}, tidak cukup untuk dikurangi Rp 1.000.000."
    )
    assert await wallet.balance(GUILD, budi.id) == topup.amount_due - 10_000
    await expect(ledger).to_have_count(2)
    assert (await wallet.check_ledger(GUILD)).ok

    # The ledger as CSV: budi's, then the whole store's.
    mine = await _csv(page, "#wallets-export-one")
    assert [(r["buyer"], r["kind"], r["amount"], r["reason"]) for r in mine] == [
        ("budi", "adjustment", "-10000", "koreksi transfer"),
        ("budi", "topup", str(topup.amount_due), ""),
    ]
    assert mine[0]["balance_after"] == str(topup.amount_due - 10_000)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", mine[0]["time_utc"])
    everyone = await _csv(page, "#wallets-export-all")
    assert sorted(r["buyer"] for r in everyone) == ["budi", "budi", "sari"]

    # The audit log names the seller, the new balance and the reason.
    await page.goto(store_url(shop, "audit"))
    await page.get_by_label("Apa", exact=True).select_option(label="Saldo")
    await page.click("#audit-filter")
    adjusted = page.locator("[data-audit='Saldo disesuaikan']")
    await expect(adjusted).to_contain_text(shop["seller"].username)
    await expect(adjusted).to_contain_text(f"Saldo: {paid} → {after}")
    await expect(adjusted).to_contain_text("koreksi transfer")

    DOCS.mkdir(parents=True, exist_ok=True)
    await page.goto(store_url(shop, "wallets"))
    await _row(page, "budi").locator(".open-ledger").click()
    await expect(ledger).to_have_count(2)
    await page.screenshot(path=str(DOCS / "id-wallets.png"), full_page=True)
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(store_url(shop, "wallets"))
    await expect(rows).to_have_count(2)
    await page.screenshot(path=str(DOCS / "id-wallets-phone.png"), full_page=True)
    # On a phone the ledger and the adjustment form fit: only the tables scroll, in their boxes.
    await _row(page, "budi").locator(".open-ledger").click()
    await expect(ledger).to_have_count(2)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_a_top_up_seen_in_the_bank_is_credited_from_the_saldo_page_and_the_buyer_is_told(
    page: Page, shop
):
    budi = shop["buyer"]
    before = await wallet.balance(GUILD, budi.id)
    topup = await topups.request(await products.get_store(GUILD), budi.id, 20_000, buyer_name="budi")
    due = format_amount(topup.amount_due)
    await page.goto(store_url(shop, "wallets"))
    waiting = page.locator("#topups-waiting tr[data-topup='budi']")
    await expect(waiting).to_contain_text(due)
    await expect(page.get_by_role("heading", name="Isi saldo menunggu pembayaran")).to_be_visible()
    await waiting.locator(".topup-received").click()
    await expect(page.get_by_role("alertdialog")).to_contain_text(f"Kreditkan {due} ke saldo budi?")
    await page.click(".confirm-received")
    await expect(page.locator("#notice")).to_have_text(f"{due} masuk ke saldo budi.")
    await expect(page.locator("#topups-waiting")).to_have_count(0)
    now = format_amount(before + topup.amount_due)
    await expect(_row(page, "budi")).to_contain_text(now)

    # The worker tells budi by DM, in the store's language.
    sandbox = shop["sandbox"]

    async def told():
        return [
            m
            for m in sandbox.call(lambda: _dm_texts(sandbox.server, budi.id))
            if m == f"💰 Isi saldo {due} di Toko Budi sudah masuk. Saldo Anda sekarang {now}."
        ]

    assert len(await eventually(told, "budi's DM about his top-up", within=30)) == 1


async def test_an_unmatched_transfer_is_credited_to_a_buyers_saldo_in_one_click(page: Page, shop):
    await IncomingPayment(
        guild_id=GUILD, amount=30_000, source="moota", bank="BCA", reference="TRSF SARI W", external_id="w-1"
    ).insert()
    await page.goto(store_url(shop, "payments"))
    row = page.locator("#incoming tr", has_text="TRSF SARI W")
    await expect(row).to_contain_text("Rp 30.000")
    await row.get_by_label("Saldo pembeli", exact=True).select_option(label="sari")
    await row.get_by_role("button", name="Kreditkan ke saldo").click()
    await expect(page.locator("#notice")).to_have_text("Rp 30.000 dikreditkan ke saldo sari.")
    await expect(page.locator("#incoming")).not_to_contain_text("TRSF SARI W")
    assert await wallet.balance(GUILD, SARI.user_id) == 55_000

    await page.goto(store_url(shop, "wallets"))
    await _row(page, "sari").locator(".open-ledger").click()
    await expect(page.locator("#wallet-ledger tbody tr").nth(0)).to_contain_text(
        "Pembayaran dikreditkan penjual"
    )
    await expect(page.locator("#wallet-ledger tbody tr").nth(0)).to_contain_text("+Rp 30.000")


async def test_a_paid_ticket_is_refunded_in_part_to_saldo_and_analytics_count_saldo_sales(page: Page, shop):
    budi = shop["buyer"]
    joki = await products.create_product(
        GUILD, name="Joki Mythic", price=40_000, delivery_mode=DeliveryMode.MANUAL, stock=5
    )
    ticket = await tickets.open_ticket(GUILD, joki.id, Actor(kind="buyer", user_id=budi.id, name="budi"))
    before = await wallet.balance(GUILD, budi.id)
    # Budi pays it from his saldo.
    paid = (await saldo_payments.pay(ticket, Actor(kind="buyer", user_id=budi.id, name="budi"))).ticket
    ticket = await tickets.get_ticket(ticket.id)
    assert ticket.amount_due == paid.amount_due
    assert await wallet.balance(GUILD, budi.id) == before - ticket.amount_due

    await page.goto(f"{store_url(shop, 'tickets')}/{ticket.id}")
    # Paid (and, the product being manual, maybe already completed by the worker): refundable.
    await expect(page.locator("#ticket-state")).to_have_text(re.compile("^(Dibayar|Selesai)$"))
    await page.click("#action-refund")
    dialog = page.get_by_role("alertdialog")
    await expect(dialog).to_contain_text(f"Kembalikan dana tiket #{ticket.number} ke saldo budi?")
    await expect(dialog).to_contain_text(f"Paling banyak {format_amount(ticket.amount_due)}.")
    amount = page.get_by_label("Jumlah dikembalikan", exact=True)
    await expect(amount).to_have_value(format_amount(ticket.amount_due).removeprefix("Rp "))
    # More than was paid: refused, nothing moved.
    await amount.fill("100.000")
    await page.get_by_label("Alasan (dibaca pembeli)", exact=True).fill("salah")
    await page.click("#refund-confirm")
    await expect(page.locator("#error")).to_contain_text("melebihi yang masih bisa dikembalikan")
    assert await wallet.balance(GUILD, budi.id) == before - ticket.amount_due

    await page.click("#action-refund")
    await page.get_by_label("Jumlah dikembalikan", exact=True).fill("15.000")
    await page.get_by_label("Alasan (dibaca pembeli)", exact=True).fill("jadwal mundur")
    await page.click("#refund-confirm")
    await expect(page.locator("#notice")).to_have_text(
        f"Rp 15.000 dari tiket #{ticket.number} dikembalikan ke saldo budi."
    )
    await expect(page.locator("#ticket-refunded")).to_have_text("Rp 15.000")
    await expect(page.locator("#timeline")).to_contain_text("mengembalikan Rp 15.000 ke saldo pembeli")
    assert await wallet.balance(GUILD, budi.id) == before - ticket.amount_due + 15_000

    await page.goto(store_url(shop, "analytics"))
    await expect(page.locator("#figure-saldo_sales")).to_have_text(
        f"1 penjualan · {format_amount(ticket.amount_due)}"
    )
    credited = await TopUp.find({"guild_id": GUILD, "state": "credited"}).to_list()
    assert len(credited) == 2
    await expect(page.locator("#figure-saldo_topups")).to_have_text(
        format_amount(sum(t.amount_due for t in credited))
    )


async def test_another_stores_saldo_is_refused(page: Page, shop):
    await wallet.credit(OTHER_GUILD, 777, 99_000, kind=EntryKind.TOPUP, ref="topup:other")
    await page.goto(f"{shop['url']}/store/{OTHER_GUILD}/wallets")
    await expect(page.locator("#refusal")).to_be_visible()
    await expect(page.locator("#wallets")).to_have_count(0)
    await expect(page.get_by_text("Rp 99.000")).to_have_count(0)


async def test_the_saldo_pages_in_english(browser, shop):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_cookies([{"name": "store_lang", "value": "en", "url": shop["url"]}])
    english = await context.new_page()
    try:
        await _log_in(english, shop)
        await english.goto(store_url(shop, "wallets"))
        await expect(english.get_by_role("heading", name="Buyer saldo", exact=True)).to_be_visible()
        await _row(english, "budi").locator(".open-ledger").click()
        ledger = english.locator("#wallet-ledger tbody tr")
        await expect(ledger.nth(0)).to_contain_text("Refund of #")
        await expect(ledger.nth(0)).to_contain_text("jadwal mundur")
        await expect(english.locator("#wallet-ledger")).to_contain_text(
            "Adjustment by the seller: koreksi transfer"
        )
        balance = await wallet.balance(GUILD, shop["buyer"].id)
        await english.get_by_label("Kind", exact=True).select_option(label="Add to saldo")
        await english.get_by_label("Amount", exact=True).fill("5.000")
        await english.get_by_label("Reason", exact=True).fill("bonus")
        await english.click("#wallets-adjust")
        await expect(english.get_by_role("alertdialog")).to_contain_text("Change budi's saldo by +Rp 5.000?")
        await english.click("#confirm-adjust")
        now = format_amount(balance + 5_000)
        await expect(english.locator("#notice")).to_have_text(
            f"budi's saldo changed by +Rp 5.000; now {now}."
        )

        refunded = await Ticket.find_one({"guild_id": GUILD, "product.name": "Joki Mythic"})
        await english.goto(f"{store_url(shop, 'tickets')}/{refunded.id}")
        await expect(english.locator("#ticket-refunded")).to_have_text("Rp 15.000")
        await expect(english.get_by_text("Refunded to saldo", exact=True)).to_be_visible()
        await english.click("#action-refund")
        await expect(english.get_by_role("alertdialog")).to_contain_text(
            f"Refund ticket #{refunded.number} to budi's saldo?"
        )
        await english.click("#refund-keep")

        await english.goto(store_url(shop, "payments"))
        await expect(english.locator("#incoming")).to_contain_text("Or to saldo")
        await english.goto(store_url(shop, "analytics"))
        await expect(english.locator("#figure-saldo_sales")).to_contain_text("1 sold · Rp 40.")
    finally:
        await context.close()
