"""Issue 17 (2, 5, 8, 9) on the dashboard's ticket pages, in a real browser against the real
app, workers, bot and Discord sandbox (test_dashboard's shop, a module of its own):

- each ticket has its own address: the list links to it (a real link), a reload shows the same
  ticket, Back returns to the list with its filters (they are in the list's address);
- the ticket page tells the history in the shop's words with names and WIB times, no trigger
  names, no "∅ → open", no buyer id; "payment reported" only while it is true;
- Indonesian by default for this store, English once chosen, and the choice survives a reload
  (cookie); the login page in both languages;
- at 390 px wide no store page scrolls sideways and every section of the navigation is in sight.

Indonesian screenshots of these pages are written to docs/screenshots/ for the README.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from models.incoming_payment import IncomingPayment
from models.product import DeliveryMode
from models.ticket import Actor, Ticket
from tests.conftest import ROOT
from tests.dashboard_world import GUILD, snap, store_url
from workflows import products, tickets

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]

DOCS = ROOT / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
WIB = ZoneInfo("Asia/Jakarta")
BULAN = "Jan Feb Mar Apr Mei Jun Jul Agu Sep Okt Nov Des".split()
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
BUDI = Actor(kind="buyer", user_id=801_801, name="budi")
SARI = Actor(kind="buyer", user_id=802_802, name="sari")
STORE_PAGES = [
    "tickets",
    "products",
    "payment-methods",
    "payments",
    "panel",
    "analytics",
    "settings",
    "setup",
]


def wib_id(at: datetime) -> str:
    """How an Indonesian seller reads a moment: "3 Des 2026 19.05" (Western Indonesia Time)."""
    local = at.replace(tzinfo=UTC).astimezone(WIB)
    return f"{local.day} {BULAN[local.month - 1]} {local.year} {local.hour:02d}.{local.minute:02d}"


def wib_en_date(at: datetime) -> str:
    local = at.replace(tzinfo=UTC).astimezone(WIB)
    return f"{MONTHS[local.month - 1]} {local.day}, {local.year}"


async def docs_snap(page: Page, name: str) -> None:
    """A screenshot for the README (docs/screenshots/), besides the run's artifacts."""
    await snap(page, name)
    DOCS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(DOCS / f"{name}.png"), full_page=True)


async def log_in(page: Page, shop) -> None:
    await page.goto(f"{shop['url']}/login")
    await page.click("#login")
    await page.click(f"#login-{shop['seller'].id}")
    await expect(page.locator("#store-name")).to_have_text("Toko Budi")


async def english_page(browser: Browser, shop, viewport=DESKTOP) -> Page:
    """A second seller's browser that chose English earlier (the switch's cookie), logged in."""
    context = await browser.new_context(viewport=viewport)
    await context.add_cookies([{"name": "store_lang", "value": "en", "url": shop["url"]}])
    tab = await context.new_page()
    await log_in(tab, shop)
    return tab


async def _tickets(shop) -> tuple[Ticket, Ticket]:
    """#1: budi's ticket told from opening to closing; #2: sari's, payment reported and waiting."""
    product = await products.create_product(
        GUILD, name="Jasa Desain Logo", price=75_000, delivery_mode=DeliveryMode.MANUAL, stock=10
    )
    seller = Actor(kind="seller", user_id=shop["seller"].id, name="seller")
    done = await tickets.open_ticket(GUILD, product.id, BUDI)
    await tickets.report_payment(done.id, BUDI, "BCA a.n. BUDI")
    await tickets.verify(done.id, seller)
    await tickets.deliver_manually(done.id, seller, "logo dikirim lewat email")
    await tickets.close(done.id, seller, "closed in the dashboard")
    waiting = await tickets.open_ticket(GUILD, product.id, SARI)
    await tickets.report_payment(waiting.id, SARI, "BRI a.n. SARI")
    return await Ticket.get(done.id), await Ticket.get(waiting.id)


async def test_the_login_page_speaks_indonesian_then_english_after_a_reload(browser: Browser, shop):
    context = await browser.new_context(viewport=DESKTOP)  # a visitor who never chose
    visitor = await context.new_page()
    await visitor.goto(f"{shop['url']}/login?error=state")
    await expect(visitor.locator("#login")).to_have_text("Masuk dengan Discord")
    await expect(visitor.locator("#login-error")).to_contain_text("kedaluwarsa atau palsu")
    await visitor.click("#lang-en")
    await expect(visitor.locator("#login")).to_have_text("Log in with Discord")
    await expect(visitor.locator("#login-error")).to_contain_text("stale or forged")
    await visitor.reload()  # the choice is remembered (a cookie), not only in this page
    await expect(visitor.locator("#login")).to_have_text("Log in with Discord")
    assert {c["name"]: c["value"] for c in await context.cookies()}["store_lang"] == "en"
    await visitor.click("#lang-id")
    await expect(visitor.locator("#login")).to_have_text("Masuk dengan Discord")
    await context.close()


async def test_the_ticket_page_tells_the_story_with_names_and_local_times(page: Page, shop):
    await log_in(page, shop)
    done, waiting = await _tickets(shop)

    await page.goto(store_url(shop, "tickets"))
    closed_row, waiting_row = page.locator("tr[data-ticket='1']"), page.locator("tr[data-ticket='2']")
    await expect(closed_row).to_contain_text("Ditutup")  # the state in the shop's words
    await expect(closed_row).to_contain_text(wib_id(done.created_at))  # opened, in WIB
    await expect(closed_row).to_contain_text("Rp 75.")
    await expect(closed_row).not_to_contain_text("pembayaran dilaporkan")  # closed: past that
    await expect(waiting_row).to_contain_text("pembayaran dilaporkan")  # still waiting for a seller
    await docs_snap(page, "id-tickets")

    await closed_row.locator("a.ticket-link").click()
    await expect(page).to_have_url(store_url(shop, f"tickets/{done.id}"))
    timeline = page.locator("#timeline")
    await expect(timeline).to_contain_text("budi membuka tiket #1 untuk Jasa Desain Logo × 1")
    await expect(timeline).to_contain_text("budi melaporkan pembayaran")
    await expect(timeline).to_contain_text("seller memverifikasi pembayaran")
    await expect(timeline).to_contain_text("seller mengirim produk")
    await expect(timeline).to_contain_text("seller menutup tiket")
    await expect(timeline.locator(".chapter").first).to_contain_text(wib_id(done.history[0].at))
    shown = await timeline.inner_text()
    for machine_word in ("report_payment", "complete", "∅", "→", "system", str(BUDI.user_id)):
        assert machine_word not in shown
    assert not re.search(r"\d{4}-\d{2}-\d{2}", shown)  # no ISO timestamps
    await expect(page.locator("#ticket-state")).to_have_text("Ditutup")
    await expect(page.locator("#ticket-outcome")).to_have_text("selesai")
    await expect(page.locator("#ticket-buyer")).to_have_text("budi")
    await expect(page.locator("#verified")).to_contain_text(f"oleh seller, {wib_id(done.verification.at)}")
    await expect(page.locator("#delivery")).to_contain_text("oleh penjual")
    await expect(page.locator("#payment-reported")).to_have_count(0)  # closed: no badge
    assert str(BUDI.user_id) not in await page.locator("body").inner_text()
    await docs_snap(page, "id-ticket")

    await page.goto(store_url(shop, f"tickets/{waiting.id}"))
    await expect(page.locator("#payment-reported")).to_have_text("pembayaran dilaporkan")
    await expect(page.locator("#reported-at")).to_have_text(wib_id(waiting.payment_report.reported_at))


async def test_in_english_the_same_story_in_english(browser: Browser, shop):
    english = await english_page(browser, shop)
    done = await Ticket.find_one({"guild_id": GUILD, "number": 1})
    await english.goto(store_url(shop, f"tickets/{done.id}"))
    timeline = english.locator("#timeline")
    await expect(timeline).to_contain_text("budi opened ticket #1 for Jasa Desain Logo × 1")
    await expect(timeline).to_contain_text("budi reported the payment")
    await expect(timeline).to_contain_text(wib_en_date(done.history[0].at))
    await expect(english.locator("#ticket-state")).to_have_text("Closed")
    await expect(english.locator("#nav-tickets")).to_have_text("Tickets")
    await english.click("#back-to-list")
    await expect(english.locator("tr[data-ticket='1']")).to_contain_text("Closed")
    await expect(english.locator("tr[data-ticket='2']")).to_contain_text("payment reported")
    await expect(english.get_by_label("Buyer")).to_be_visible()  # the filter's label, tied to it
    await english.go_back()
    # The seller switches back to Indonesian: the whole page follows at once, rows included.
    await english.click("#lang-id")
    await expect(timeline).to_contain_text("budi melaporkan pembayaran")
    await expect(timeline.locator(".chapter").first).to_contain_text(wib_id(done.history[0].at))
    await english.reload()  # and stays Indonesian after a reload
    await expect(english.locator("#ticket-state")).to_have_text("Ditutup")
    await english.context.close()


async def test_a_ticket_has_its_own_address_and_back_returns_to_the_filtered_list(page: Page, shop):
    done = await Ticket.find_one({"guild_id": GUILD, "number": 1})
    await page.goto(store_url(shop, "tickets"))
    await page.get_by_label("Pembeli").fill("budi")
    await page.click("#filter-state")
    await page.get_by_role("option", name="Ditutup", exact=True).click()
    await page.click("#apply-filters")
    await expect(page).to_have_url(re.compile(r"/tickets\?state=closed&buyer=budi$"))
    await expect(page.locator("tr[data-ticket]")).to_have_count(1)  # only budi's closed ticket
    link = page.locator("tr[data-ticket='1'] a.ticket-link")
    assert await link.get_attribute("href") == f"/store/{GUILD}/tickets/{done.id}"  # a real link

    await link.click()
    await expect(page.locator("#ticket-number")).to_have_text("#1")
    await page.reload()  # the address alone brings back the same ticket
    await expect(page.locator("#ticket-number")).to_have_text("#1")
    await expect(page.locator("#timeline")).to_contain_text("budi melaporkan pembayaran")

    await page.go_back()
    await expect(page).to_have_url(re.compile(r"/tickets\?state=closed&buyer=budi$"))
    await expect(page.locator("#filter-buyer")).to_have_value("budi")  # the filters kept
    await expect(page.locator("tr[data-ticket]")).to_have_count(1)
    await expect(page.locator("tr[data-ticket='1']")).to_be_visible()

    # An address naming no ticket says so, in the seller's language (not an error page).
    nowhere = await page.context.new_page()
    await nowhere.goto(store_url(shop, "tickets/000000000000000000000000"))
    await expect(nowhere.locator("#refusal")).to_contain_text("Tidak ada apa pun di alamat ini")
    await nowhere.close()

    # The same list opened from its address in a new tab: filtered the same way.
    tab = await page.context.new_page()
    await tab.goto(page.url)
    await expect(tab.locator("tr[data-ticket]")).to_have_count(1)
    await expect(tab.locator("#filter-buyer")).to_have_value("budi")
    await tab.close()


async def test_payments_and_analytics_in_indonesian(page: Page, shop):
    await IncomingPayment(
        guild_id=GUILD, amount=75_000, source="moota", bank="BCA", reference="TRSF SARI", external_id="m-88"
    ).insert()
    await page.goto(store_url(shop, "payments"))
    incoming = page.locator("#incoming")
    await expect(incoming).to_contain_text("Rp 75.000")
    await expect(incoming).to_contain_text("tanpa tiket")
    await expect(page.locator("#page-title")).to_have_text("Pembayaran belum cocok")
    await docs_snap(page, "id-payments")

    await page.goto(store_url(shop, "analytics"))
    await expect(page.locator("#funnel")).to_contain_text("Tiket dibuka")
    await expect(page.locator("#figure-revenue")).to_contain_text("Rp 75.")  # the completed sale
    await docs_snap(page, "id-analytics")


async def test_at_phone_width_no_store_page_scrolls_sideways(page: Page, shop):
    done = await Ticket.find_one({"guild_id": GUILD, "number": 1})
    await page.set_viewport_size(PHONE)
    try:
        for section in [*STORE_PAGES, f"tickets/{done.id}"]:
            await page.goto(store_url(shop, section))
            await expect(page.locator("#page-title")).to_be_visible()
            await expect(page.locator("#nav-tickets")).to_be_visible()
            wide = await page.evaluate("document.documentElement.scrollWidth")
            assert wide <= PHONE["width"], f"{section}: the page is {wide} px wide on a 390 px phone"
            # Every section of the navigation is on the screen, none cut off at its edge.
            for box in [await link.bounding_box() for link in await page.locator("#nav a").all()]:
                assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"]
        await page.goto(store_url(shop, "tickets"))
        await expect(page.locator("#tickets")).to_be_visible()
        # The table is wider than the phone: it scrolls inside its own box, the page does not.
        table = await page.locator("#tickets table, table#tickets").first.bounding_box()
        assert table is not None and table["width"] > PHONE["width"]
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        await docs_snap(page, "id-tickets-phone")
        await page.goto(f"{shop['url']}/ops")
        await expect(page.locator("#workers-alive")).to_be_visible()
        await expect(page.locator("#ops-updated")).to_have_text(
            re.compile(r"^diperbarui \d{2}\.\d{2}\.\d{2}$")
        )
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        await page.set_viewport_size(DESKTOP)


async def test_cancelling_a_ticket_asks_first(page: Page, shop):
    waiting = await Ticket.find_one({"guild_id": GUILD, "number": 2})
    await page.goto(store_url(shop, f"tickets/{waiting.id}"))
    await page.click("#action-cancel")
    dialog = page.get_by_role("alertdialog")
    await expect(dialog).to_contain_text("Batalkan tiket #2?")
    await dialog.get_by_role("button", name="Jangan batalkan").click()
    await expect(dialog).to_have_count(0)
    assert (await Ticket.get(waiting.id)).state.value == "open"  # nothing happened

    await page.click("#action-cancel")
    await page.get_by_label("Alasan pembatalan (ditampilkan ke pembeli)").fill("stok habis di supplier")
    await dialog.get_by_role("button", name="Batalkan tiket").click()
    await expect(page.locator("#ticket-outcome")).to_have_text("dibatalkan")
    await expect(page.locator("#timeline")).to_contain_text(
        "seller membatalkan tiket: stok habis di supplier"
    )
    await expect(page.locator("#payment-reported")).to_have_count(0)  # no longer waiting for anyone
    cancelled = await Ticket.get(waiting.id)
    assert cancelled.outcome is not None and cancelled.outcome.value == "cancelled"
