"""Issue 20 (2) on the dashboard: the seller picks, by name, the Discord role a product gives
and for how many days; the ticket page says where the buyer's role stands (here: refused by
Discord's role hierarchy, the bot still trying). In Indonesian (the store's language), and the
key steps again in English. A real browser against the real dashboard, workers and bot, in the
dashboard's world (tests/dashboard_world.py, built anew for this module)."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from models.product import Product
from models.role_grant import RoleGrant, RoleProblem
from models.ticket import Actor, TicketState
from tests.conftest import ROOT
from tests.dashboard_world import GUILD, snap, store_url
from tests.waiting import eventually
from workflows import products, stock, tickets
from workflows.stock_cipher import StockCipher

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]
DOCS = ROOT / "docs" / "screenshots"
SELLER = Actor(kind="seller", user_id=900, name="seller")


async def _log_in(page: Page, shop) -> None:
    await page.goto(f"{shop['url']}/login")
    await page.click("#login")
    await page.click(f"#login-{shop['seller'].id}")
    await expect(page).to_have_url(store_url(shop, "tickets"))


async def test_seller_logs_in(page: Page, shop):
    await _log_in(page, shop)


async def test_seller_picks_the_role_a_product_gives_and_the_ticket_shows_why_it_is_not_given_yet(
    page: Page, shop
):
    s = shop["sandbox"].server
    # Made after the bot's role, "VIP" sits above it: Discord will not let the bot give it.
    vip = shop["sandbox"].call(lambda: s.add_role(s.guilds[GUILD], "VIP"))
    product = await products.create_product(GUILD, name="Netflix Premium", price=75_000)
    cipher = StockCipher(shop["settings"].stock_encryption_key())
    await stock.add_items(product, ["vip@mail.test:1"], cipher)

    await page.goto(store_url(shop, "products"))
    await page.locator("tr[data-product='Netflix Premium'] .edit-product").click()
    await expect(page.locator("#edit-role option", has_text="VIP")).to_have_count(1)
    await expect(page.locator("#edit-role option", has_text="@everyone")).to_have_count(0)

    # Zero days is refused naming the field; nothing is saved.
    await page.get_by_label("Role Discord yang diberikan setelah pengiriman").select_option(label="VIP")
    await page.get_by_label("Berlaku berapa hari (kosong: selamanya)").fill("0")
    await page.click("#save-role")
    await expect(page.locator("#error")).to_have_text(
        "Role: jumlah hari 1 sampai 3650, atau kosongkan agar role berlaku selamanya."
    )
    assert (await Product.get(product.id)).role_id is None

    await page.get_by_label("Berlaku berapa hari (kosong: selamanya)").fill("30")
    await page.click("#save-role")
    await expect(page.locator("#notice")).to_have_text(
        "“Netflix Premium” sekarang memberi role VIP selama 30 hari."
    )
    saved = await Product.get(product.id)
    assert (saved.role_id, saved.role_name, saved.role_days) == (vip.id, "VIP", 30)
    await expect(page.get_by_label("Role Discord yang diberikan setelah pengiriman")).to_have_value(
        str(vip.id)
    )
    await page.set_viewport_size({"width": 1280, "height": 900})
    DOCS.mkdir(parents=True, exist_ok=True)
    await page.locator("#product-editor").screenshot(path=str(DOCS / "id-products-role.png"))

    # budi buys it and is sent the key; Discord refuses the role (hierarchy).
    ticket = await tickets.open_ticket(
        GUILD, product.id, Actor(kind="buyer", user_id=shop["buyer"].id, name="budi")
    )
    await tickets.verify(ticket.id, SELLER)

    async def refused():
        grant = await RoleGrant.find_one({"ticket_id": ticket.id})
        return grant if grant and grant.problem is RoleProblem.ROLE_TOO_HIGH else None

    await eventually(refused, "the role refused by Discord", within=40)
    assert (await tickets.get_ticket(ticket.id)).state is TicketState.COMPLETED
    await page.goto(store_url(shop, f"tickets/{ticket.id}"))
    await expect(page.locator("#role-grant")).to_contain_text("Role VIP: belum diberikan, bot terus mencoba.")
    await expect(page.locator("#role-grant")).to_contain_text("seret bot ke atas VIP")
    await snap(page, "role-ticket-id")
    shop["role_ticket"] = ticket.id


async def test_the_same_in_english(browser, shop):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_cookies([{"name": "store_lang", "value": "en", "url": shop["url"]}])
    english = await context.new_page()
    try:
        await _log_in(english, shop)
        await english.goto(store_url(shop, f"tickets/{shop['role_ticket']}"))
        await expect(english.locator("#role-grant")).to_contain_text(
            "Role VIP: not given yet, the bot keeps trying."
        )
        await english.goto(store_url(shop, "products"))
        await english.locator("tr[data-product='Netflix Premium'] .edit-product").click()
        picker = english.get_by_label("Discord role given after delivery")
        await expect(picker.locator("option:checked")).to_have_text("VIP")
        await english.get_by_label("For how many days (empty: for good)").fill("")
        await english.click("#save-role")
        await expect(english.locator("#notice")).to_have_text("“Netflix Premium” now gives the role VIP.")
        await picker.select_option(label="No role")
        await english.click("#save-role")
        await expect(english.locator("#notice")).to_have_text("“Netflix Premium” gives no role.")
        assert (await Product.find_one({"name": "Netflix Premium"})).role_id is None
    finally:
        await context.close()
