"""Issue 17 (10): the demo's Sandbox page shows what Discord would show the chosen person — the
buyer's QRIS as an image (an embed's attachment://, served by the sandbox as Discord's CDN
would), Discord markdown rendered and never HTML, an ephemeral answer to its owner only, each
message as it is now — in Indonesian and in English, on a phone too; the dashboard has a
favicon; the demo store offers no two methods under one name. A real browser against the real
dashboard, bot and workers, with test_dashboard's shop (its fixtures, a module of its own).

That the demo Discord keeps its world across a restart: tests/test_discord_sandbox.py
(`test_the_demo_sandbox_remembers_its_channels_dms_and_messages_across_a_restart`)."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.async_api import Page, expect

from discord_sandbox import DiscordSandbox, persist
from launcher.demo_store import seed_store, static_qris
from models.payment_method import PaymentKind
from tests import dashboard_world as shared
from tests.dashboard_world import GUILD
from tests.waiting import eventually
from workflows import payment_methods, products, store_settings
from workflows.errors import StoreError
from workflows.i18n import text
from workflows.stock_cipher import StockCipher

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]
DOCS = shared.ROOT / "docs" / "screenshots"


async def test_seller_logs_in(page: Page, shop):
    await page.goto(f"{shop['url']}/login")
    await page.click("#login")
    await page.click(f"#login-{shop['seller'].id}")
    await expect(page).to_have_url(shared.store_url(shop, "tickets"))


async def test_the_buyer_sees_the_qris_of_their_ticket_as_an_image(page: Page, shop):
    await products.create_product(
        GUILD,
        name="Jasa Desain Logo",
        price=150_000,
        delivery_mode="manual",
        stock=3,
        manual_delivery_text="Ok",
    )
    await payment_methods.add_method(GUILD, PaymentKind.QRIS, "QRIS Toko Budi", {"payload": static_qris()})
    held = store_settings.GuildDirectory(GUILD, frozenset({shop["shop"].id}), frozenset(), frozenset())
    await store_settings.publish_panel(GUILD, shop["shop"].id, held)  # the bot posts it in #shop
    await page.goto(f"{shop['url']}/sandbox")
    channel = page.locator("#sandbox-channel")
    await expect(channel).to_contain_text("Jasa Desain Logo", timeout=40_000)
    await channel.locator(".sandbox-button", has_text="Beli").last.click()
    ticket = page.locator(".sandbox-channel", has_text="ticket-")
    await expect(ticket).to_have_count(1, timeout=30_000)
    await ticket.click()
    await channel.locator(".sandbox-button", has_text=text("id", "ticket.choose_method")).click()
    await channel.locator(".sandbox-select").last.click()
    await page.get_by_role("option", name="QRIS Toko Budi").click()
    # The QRIS made for this ticket: an embed image the browser loaded (not a broken attachment://).
    code = channel.locator(".embed-image").last
    await expect(code).to_be_visible(timeout=20_000)
    await page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=await code.element_handle()
    )
    assert (await code.get_attribute("src")).startswith(shop["sandbox"].base_url + "/attachments/")
    # Its description is markdown as Discord shows it: the method's name in bold, no asterisks.
    embed = channel.locator(".sandbox-embed").last
    await expect(embed.locator("strong").first).to_be_visible()
    assert "**" not in await embed.inner_text()
    await shared.snap(page, "sandbox-qris")
    await page.screenshot(path=str(DOCS / "id-sandbox.png"), full_page=True)


async def test_an_ephemeral_answer_shows_to_its_buyer_and_not_to_the_seller(page: Page, shop):
    await page.goto(f"{shop['url']}/sandbox")
    await page.locator(".sandbox-channel", has_text="ticket-").click()
    channel = page.locator("#sandbox-channel")
    await expect(channel.locator(".embed-image")).not_to_have_count(0)
    await expect(channel.locator(".only-you").first).to_contain_text("Hanya Anda yang dapat melihat ini")
    await page.locator("#acting-as").get_by_role("radio", name="Penjual").click()
    # The seller sees the ticket's instructions, not the buyer's own answers (their QRIS).
    await expect(channel).to_contain_text(text("id", "ticket.choose_method"))
    await expect(channel.locator(".only-you")).to_have_count(0)
    await expect(channel.locator(".embed-image")).to_have_count(0)
    # In #shop too: budi's "your ticket is being opened" is budi's alone.
    await page.locator(".sandbox-channel", has_text="shop").click()
    await expect(channel).to_contain_text("Jasa Desain Logo")
    await expect(channel.locator(".only-you")).to_have_count(0)
    await page.locator("#acting-as").get_by_role("radio", name="Pembeli (budi)").click()
    await expect(channel.locator(".only-you").first).to_be_visible()


async def test_markdown_is_rendered_and_nobodys_html_runs(page: Page, shop):
    await page.goto(f"{shop['url']}/sandbox")
    await page.locator(".sandbox-channel", has_text="ticket-").click()
    typed = (
        f"**tebal** *miring* `kode` <@{shop['seller'].id}> https://contoh.test/a "
        '<script>window.pwned = 1</script> <img src=x onerror="window.pwned = 2">'
    )
    await page.get_by_label("Pesan").fill(typed)
    await page.get_by_role("button", name="Kirim", exact=True).click()
    said = page.locator(".sandbox-content", has_text="tebal").last
    await expect(said.locator("strong")).to_have_text("tebal")
    await expect(said.locator("em")).to_have_text("miring")
    await expect(said.locator("code")).to_have_text("kode")
    await expect(said.locator(".mention")).to_have_text("@seller")
    await expect(said.locator("a")).to_have_attribute("href", "https://contoh.test/a")
    # What looked like HTML is shown as the text it is, and nothing of it ran.
    await expect(said).to_contain_text("<script>window.pwned = 1</script>")
    await expect(said).to_contain_text('<img src=x onerror="window.pwned = 2">')
    assert await said.locator("script, img").count() == 0
    assert await page.evaluate("window.pwned") is None


async def test_a_message_edited_in_place_shows_its_current_version_only(page: Page, shop):
    """An edit (as a bot replacing a menu) replaces the message: no pile of old menus."""
    api = {"Authorization": f"Bot {shop['token']}"}
    base = f"{shop['sandbox'].api_base}/channels/{shop['shop'].id}/messages"
    menu = {"type": 1, "components": [{"type": 2, "style": 2, "label": "Menu lama", "custom_id": "old:1"}]}
    async with httpx.AsyncClient(headers=api) as http:
        posted = (await http.post(base, json={"content": "Pilih salah satu", "components": [menu]})).json()
        await page.goto(f"{shop['url']}/sandbox")
        await page.locator(".sandbox-channel", has_text="shop").click()
        channel = page.locator("#sandbox-channel")
        await expect(channel.locator(".sandbox-button", has_text="Menu lama")).to_have_count(1)
        edited = await http.patch(
            f"{base}/{posted['id']}", json={"content": "Sudah dipilih", "components": []}
        )
        assert edited.status_code == 200
    await expect(channel.locator(".sandbox-button", has_text="Menu lama")).to_have_count(0)
    await expect(channel.locator(".sandbox-message", has_text="Sudah dipilih")).to_have_count(1)
    await expect(channel).not_to_contain_text("Pilih salah satu")


async def test_the_page_speaks_english_when_chosen(browser, shop):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_cookies([{"name": "store_lang", "value": "en", "url": shop["url"]}])
    tab = await context.new_page()
    try:
        await tab.goto(f"{shop['url']}/login")
        await tab.click("#login")
        await tab.click(f"#login-{shop['seller'].id}")
        await tab.goto(f"{shop['url']}/sandbox")
        await expect(tab.get_by_text("Viewing as")).to_be_visible()
        await expect(tab.locator("#acting-as")).to_contain_text("Buyer (budi)")
        await tab.locator(".sandbox-channel", has_text="ticket-").click()
        await expect(tab.locator(".only-you").first).to_contain_text("Only you can see this")
        await expect(tab.get_by_role("button", name="Send", exact=True)).to_be_visible()
    finally:
        await context.close()


async def test_the_page_fits_a_phone(browser, shop, page: Page):
    context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    await context.add_cookies(await page.context.cookies())  # the seller's session
    tab = await context.new_page()
    try:
        await tab.goto(f"{shop['url']}/sandbox")
        await tab.locator(".sandbox-channel", has_text="ticket-").click()
        await expect(tab.locator(".embed-image").last).to_be_visible()
        # Nothing cut: the page is no wider than the phone.
        assert await tab.evaluate("document.documentElement.scrollWidth") <= 390
        await tab.screenshot(path=str(DOCS / "id-sandbox-phone.png"), full_page=True)
    finally:
        await context.close()


async def test_after_a_restart_the_page_shows_the_same_world(page: Page, shop, tmp_path):
    """The sandbox's world written to its state file and read back by a new sandbox (what the
    demo does across `./store run` restarts): the page shows the ticket channel, the buyer's
    QRIS (the attachment served by the new process) and what was said, as before."""
    kept = tmp_path / "sandbox-world.json"
    persist.save(kept, shop["sandbox"].call(persist.snapshot, shop["sandbox"].server))
    pointer = shop["dashboard"].log_path.with_name("sandbox.json")  # STORE_SANDBOX_FILE
    before = pointer.read_text()
    again = DiscordSandbox().start()
    try:
        again.call(persist.restore, again.server, persist.load(kept))
        pointer.write_text(json.dumps({**json.loads(before), "base_url": again.base_url}))
        await page.goto(f"{shop['url']}/sandbox")
        await page.locator(".sandbox-channel", has_text="ticket-").click()
        channel = page.locator("#sandbox-channel")
        code = channel.locator(".embed-image").last
        await expect(code).to_be_visible()
        assert (await code.get_attribute("src")).startswith(again.base_url + "/attachments/")
        loaded = "(img) => img.complete && img.naturalWidth > 0"
        await page.wait_for_function(loaded, arg=await code.element_handle())
        await expect(
            channel.locator(".sandbox-content", has_text="tebal").last.locator("strong")
        ).to_have_text("tebal")
    finally:
        pointer.write_text(before)
        again.stop()


async def test_the_dashboard_has_a_favicon(shop):
    async with httpx.AsyncClient() as http:
        icon = await http.get(f"{shop['url']}/favicon.ico")
    assert icon.status_code == 200
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an .ico, not a page saying "not found"


async def test_the_demo_store_offers_no_two_methods_under_one_name(shop):
    demo = 1_200_000_000_000_000_777  # a guild of its own in this database
    world = {
        "guild_id": demo,
        "category_id": 1,
        "shop_channel_id": 2,
        "transcript_channel_id": 3,
        "testimonial_channel_id": 4,
    }
    assert await seed_store(world, StockCipher(shop["settings"].stock_encryption_key()))
    # The seller adds their QRIS without naming it, as the dashboard lets them.
    try:
        await payment_methods.add_method(demo, PaymentKind.QRIS, "", {"payload": static_qris()})
    except StoreError:
        pass  # refused as a duplicate: fine too

    async def offered():
        return await payment_methods.list_methods(demo)

    methods = await eventually(offered, "the demo's payment methods")
    names = [m.provider.casefold() for m in methods if m.active]
    assert len(names) == len(set(names)), names
    banks = [m for m in methods if m.kind is PaymentKind.BANK]
    assert banks and all(m.details.get("account_number") for m in banks)
