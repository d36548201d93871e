"""The seller dashboard in a real browser (Debian's chromium + Playwright), against the real
app in production mode, real workers, the real bot and the Discord sandbox.

The tests tell one seller's story in order and share one shop (module scope): log in, add a
product with an image and stock, a bank account, publish the panel, watch a buyer's ticket
arrive live and verify it. Every page is screenshotted under the run's artifacts folder.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re

import pytest
from PIL import Image
from playwright.async_api import Page, expect

from discord_sandbox.state import MANAGE_CHANNELS
from models.dashboard_session import DashboardSession
from models.incoming_payment import IncomingPayment
from models.product import Product
from models.stock_item import StockItem
from models.ticket import Actor, Ticket, TicketState
from tests.bot_driver import click, messages, on_sandbox, submit
from tests.dashboard_world import (  # noqa: F401  (re-exported for the other browser modules)
    CLIENT_ID,
    GUILD,
    OTHER_GUILD,
    SCREENSHOTS,
    _choose,
    _png,
    _upload,
    snap,
    store_url,
)
from tests.waiting import eventually
from workflows import products, tickets
from workflows.money import format_amount

# The first start builds the frontend (about a minute on a fresh machine).
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]


async def test_seller_logs_in_with_discord(page: Page, shop):
    await page.goto(f"{shop['url']}/store/{GUILD}/tickets")
    await expect(page).to_have_url(f"{shop['url']}/login")  # not logged in: sent to log in
    await snap(page, "01-login")
    await page.goto(f"{shop['url']}/login?error=state")  # where a forged OAuth callback lands
    await expect(page.locator("#login-error")).to_contain_text("kedaluwarsa atau palsu")
    await page.click("#login")
    await page.click(f"#login-{shop['seller'].id}")  # the sandbox's consent page
    await expect(page).to_have_url(store_url(shop, "tickets"))
    await expect(page.locator("#store-name")).to_have_text("Toko Budi")
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["store_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"


async def test_seller_adds_a_product_with_an_image_and_stock_items(page: Page, shop):
    await page.goto(store_url(shop, "products"))
    await page.fill("#new-name", "Netflix Premium 1 Bulan")
    await page.fill("#new-price", "50.000")
    await page.fill("#new-description", "Akun sharing, garansi 30 hari")
    await page.click("#create-product")
    row = page.locator("tr[data-product='Netflix Premium 1 Bulan']")
    await expect(row).to_contain_text("Rp 50.000")
    await expect(page.locator("#new-name")).to_have_value("")  # the form is ready for the next one

    photo = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # camera make: must not survive the upload
    Image.new("RGB", (640, 480), (200, 30, 30)).save(photo, format="JPEG", exif=exif.tobytes())
    await _upload(page, "product_image", "netflix.jpg", photo.getvalue(), "image/jpeg")
    await page.click("#upload-image")
    await expect(page.locator("#notice")).to_contain_text("Gambar disimpan")  # store locale id
    await expect(row.locator("img")).to_be_visible()

    secrets = [f"user{n}@mail.test:rahasia{n}" for n in range(3)]
    await page.fill("#stock-lines", "\n".join(secrets) + "\n\n")
    await page.click("#add-stock")
    await expect(page.locator("#notice")).to_contain_text("3 item stok ditambahkan")  # store locale id
    await expect(page.locator("#stock-summary")).to_contain_text("3 / 0 / 0")
    await expect(page.locator("#stock-lines")).to_have_value("")
    shown = await page.content()
    assert not any(secret in shown for secret in secrets)  # never shown again
    await snap(page, "03-products")

    product = await Product.find_one(Product.guild_id == GUILD)
    assert product.price == 50_000 and product.image_ref
    kept = shop["settings"].data_dir / "media" / product.image_ref
    assert kept.exists() and b"SecretCam" not in kept.read_bytes()
    assert Image.open(kept.with_name(kept.stem + "_thumb.png")).size == (256, 192)
    assert await StockItem.find(StockItem.product_id == product.id).count() == 3


async def test_fake_oversized_and_bomb_images_are_refused_clearly(page: Page, shop):
    before = (await Product.find_one(Product.guild_id == GUILD)).image_ref
    await _upload(
        page, "product_image", "totally-a-photo.png", b"MZ\x90\x00 this is a program, not a picture"
    )
    await page.click("#upload-image")
    await expect(page.locator("#error")).to_contain_text("Gambar: file ini bukan gambar")

    oversized = _png() + b"\0" * (6 * 1024 * 1024)
    await _upload(page, "product_image", "huge.png", oversized)
    await page.click("#upload-image")
    await expect(page.locator("#error")).to_contain_text("Gambar: paling besar 5 MB")
    await snap(page, "04-products-refused-image")

    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, format="PNG")  # tiny file, 400 million pixels
    await _upload(page, "product_image", "bomb.png", bomb.getvalue())
    await page.click("#upload-image")
    await expect(page.locator("#error")).to_contain_text("Gambar: terlalu besar")
    assert (await Product.find_one(Product.guild_id == GUILD)).image_ref == before  # nothing changed


async def test_seller_configures_a_bank_transfer(page: Page, shop):
    await page.goto(store_url(shop, "payment-methods"))
    await _choose(page, "#method-provider", "BCA")
    await page.fill("#account-number", "12ab")
    await page.fill("#account-name", "Toko Budi")
    await page.click("#add-method")
    await expect(page.locator("#error")).to_contain_text("Nomor rekening: harus 5–20 digit angka")
    await expect(page.locator("#account-name")).to_have_value("Toko Budi")  # nothing typed is lost

    await page.fill("#account-number", "123 456 7890")
    await page.click("#add-method")
    await expect(page.locator("#methods")).to_contain_text("1234567890 a.n. Toko Budi")
    await snap(page, "05-payment-methods")


async def test_seller_adds_qris_by_uploading_its_image(page: Page, shop):
    from launcher.demo_store import static_qris
    from workflows import qris

    await page.goto(store_url(shop, "payment-methods"))
    await page.get_by_role("radio", name="QRIS").click()
    damaged = static_qris()[:-4] + "0000"  # the CRC no longer matches
    await _upload(page, "qris_image", "qris-rusak.png", qris.qr_png(damaged))
    await page.get_by_role("button", name="Baca gambar QRIS").click()
    await expect(page.locator("#error")).to_contain_text("Kode QRIS: CRC tidak cocok")

    await _upload(page, "qris_image", "qris.png", qris.qr_png(static_qris()))
    await page.get_by_role("button", name="Baca gambar QRIS").click()
    await expect(page.locator("#notice")).to_contain_text("merchant TOKO DEMO")
    await page.click("#add-method")
    await expect(page.locator("#methods")).to_contain_text("QRIS TOKO DEMO")
    await snap(page, "05-payment-methods-qris")


async def _panel(shop):
    sandbox, channel = shop["sandbox"], shop["shop"].id

    async def posted():
        found = [m for m in await messages(sandbox, channel) if m.embeds and m.author.bot]
        return found[-1] if found else None

    return await eventually(posted, "the panel in #shop")


async def test_seller_designs_and_publishes_the_panel(page: Page, shop):
    await page.goto(store_url(shop, "panel"))
    await page.fill("#panel-title", "TOKO BUDI — PRODUK DIGITAL")
    preview = page.locator("#panel-preview")
    await expect(preview).to_contain_text("TOKO BUDI — PRODUK DIGITAL")
    await expect(preview).to_contain_text("Netflix Premium 1 Bulan")
    await expect(preview).to_contain_text("Rp 50.000")
    await _choose(page, "#panel-channel", "#shop")
    await page.click("#publish-panel")
    await expect(page.locator("#published-in")).to_contain_text("#shop")
    await snap(page, "06-panel")

    async def published():
        panel = await _panel(shop)
        return panel if panel.embeds[0]["title"] == "TOKO BUDI — PRODUK DIGITAL" else None

    panel = await eventually(published, "the designed panel in the sandbox channel")
    field = panel.embeds[0]["fields"][0]
    assert field["name"] == "Netflix Premium 1 Bulan" and "Rp 50.000" in field["value"]
    assert "3" in field["value"]  # the stock added in the dashboard


async def test_a_ticket_bought_in_discord_appears_live_and_the_seller_verifies_it(page: Page, shop):
    sandbox, buyer = shop["sandbox"], shop["buyer"]
    await page.goto(store_url(shop, "tickets"))
    await expect(page.locator("#tickets")).to_be_visible()
    panel = await _panel(shop)
    click(sandbox, buyer, shop["shop"].id, panel.id, "buy_btn")

    row = page.locator("tr[data-ticket='1']")
    await expect(row).to_have_attribute("data-state", "open")  # arrived without a reload
    await expect(row).to_contain_text("budi")

    ticket = await eventually(
        lambda: Ticket.find_one({"guild_id": GUILD, "channel_id": {"$ne": None}}), "the ticket's channel"
    )

    async def instructions():
        found = [m for m in await messages(sandbox, ticket.channel_id) if "paid:" in str(m.components)]
        return found[0] if found else None

    opening = await eventually(instructions, "the purchase instructions")
    click(sandbox, buyer, ticket.channel_id, opening.id, f"paid:{ticket.id}")
    submit(sandbox, buyer, ticket.channel_id, f"report:{ticket.id}", {"reference": "BCA a.n. BUDI"})
    await expect(row).to_contain_text("pembayaran dilaporkan")
    await snap(page, "07-tickets")

    await row.get_by_role("link").click()
    await expect(page.locator("#payment-reference")).to_have_text("BCA a.n. BUDI")
    await page.click("#action-verify")
    await expect(page.locator("#ticket-state")).to_have_text("Selesai")  # delivered by a worker
    await expect(page.locator("#delivery")).to_contain_text("lewat pesan langsung")
    # The history in the shop's words, with names (issue 17, 5), never the machine's triggers.
    await expect(page.locator("#timeline")).to_contain_text("seller memverifikasi pembayaran")
    await expect(page.locator("#timeline")).to_contain_text("budi melaporkan pembayaran")
    await expect(page.locator("#timeline")).not_to_contain_text("report_payment")
    await expect(page.locator("#ticket-buyer")).not_to_contain_text(str(buyer.id))
    await snap(page, "08-ticket")

    def delivered():
        s = sandbox.server
        return [
            m.content
            for c in s.channels.values()
            if c.type == 1 and c.recipient_id == buyer.id
            for m in s.messages[c.id].values()
            if "rahasia" in m.content
        ]

    assert len(on_sandbox(sandbox, delivered)) == 1
    assert (await Ticket.get(ticket.id)).state is TicketState.COMPLETED


async def test_another_guilds_store_is_refused(page: Page, shop):
    await products.create_product(OTHER_GUILD, name="Someone else's key", price=10_000)
    await page.goto(f"{shop['url']}/store/{OTHER_GUILD}/products")
    # Said in the store's language until the seller picks another, then in that one.
    await expect(page.locator("#refusal")).to_contain_text("tidak dapat mengelola toko ini")
    await page.click("#lang-en")
    await expect(page.locator("#refusal")).to_contain_text("cannot manage this store")
    await page.click("#lang-id")
    assert "Someone else's key" not in await page.content()
    await snap(page, "09-refused")

    # The same session asking by hand for another store's file: refused like a missing one.
    other_product = await Product.find_one(Product.guild_id == OTHER_GUILD)
    response = await page.request.get(f"{shop['url']}/files/tickets/{other_product.id}/transcript")
    assert response.status == 404


async def test_an_unmatched_transfer_is_matched_to_its_ticket_in_one_click(page: Page, shop):
    sandbox, buyer = shop["sandbox"], shop["buyer"]
    panel = await _panel(shop)
    click(sandbox, buyer, shop["shop"].id, panel.id, "buy_btn")
    ticket = await eventually(lambda: Ticket.find_one({"guild_id": GUILD, "number": 2}), "a second ticket")
    # The buyer transferred without the unique code: the bank saw a round amount.
    await IncomingPayment(
        guild_id=GUILD, amount=50_000, source="moota", bank="BCA", reference="TRSF BUDI", external_id="m-77"
    ).insert()
    await page.goto(store_url(shop, "payments"))
    await expect(page.locator("#incoming")).to_contain_text("Rp 50.000")
    await _choose(page, "#incoming button[role=combobox]", f"#2 budi — {format_amount(ticket.amount_due)}")
    await snap(page, "12-payments")
    await page.get_by_role("button", name="Cocokkan").click()
    await expect(page.locator("#notice")).to_contain_text("Tiket #2 terverifikasi")
    await expect(page.locator("#incoming")).not_to_contain_text("TRSF BUDI")
    verified = await eventually(
        lambda: Ticket.find_one({"_id": ticket.id, "state": {"$in": ["paid", "completed"]}}), "ticket #2 paid"
    )
    assert verified.verification.incoming_payment_id is not None


async def test_the_sandbox_page_shows_the_guild_and_clicks_as_the_buyer(page: Page, shop):
    await page.goto(f"{shop['url']}/sandbox")
    channel = page.locator("#sandbox-channel")
    await expect(channel).to_contain_text("TOKO BUDI — PRODUK DIGITAL")  # the live panel, as in Discord
    await expect(channel).to_contain_text("Netflix Premium 1 Bulan")
    await snap(page, "14-sandbox")
    before = await Ticket.find({"guild_id": GUILD}).count()
    await channel.locator(".sandbox-button", has_text="Beli").last.click()
    await eventually(lambda: _more_tickets(before), "a ticket opened from the Sandbox page's Buy button")
    # The new ticket's channel shows up in the channel list by itself.
    await expect(page.locator(".sandbox-channel", has_text="ticket-budi")).to_have_count(before + 1)


async def _more_tickets(before: int) -> bool:
    return await Ticket.find({"guild_id": GUILD}).count() > before


async def test_seller_changes_the_ticket_rules_in_settings(page: Page, shop):
    await page.goto(store_url(shop, "settings"))
    await page.fill("#setting-max_open_tickets_per_buyer", "")
    await page.click("#save-settings")
    await expect(page.locator("#error")).to_contain_text("Tiket terbuka per pembeli: harus bilangan bulat")
    await page.fill("#setting-max_open_tickets_per_buyer", "2")
    await page.fill("#setting-unpaid_expiry_s", "1800")
    await page.click("#save-settings")
    await expect(page.locator("#notice")).to_contain_text("Pengaturan disimpan")
    saved = (await products.get_store(GUILD)).tickets
    assert (saved.max_open_tickets_per_buyer, saved.unpaid_expiry_s) == (2, 1800)
    assert saved.category_ids == [shop["category"].id]  # untouched fields kept


async def test_seller_sets_the_moota_secret_and_a_signed_transfer_verifies_a_ticket(page: Page, shop):
    secret = "moota-secret-from-the-dashboard"
    await page.goto(store_url(shop, "settings"))
    webhook = f"{shop['url']}/webhooks/moota/{GUILD}"
    await expect(page.get_by_text(webhook)).to_be_visible()  # the address to give Moota
    await expect(page.locator("#secret-state-moota_secret")).to_have_text("belum diisi")
    await page.fill("#secret-moota_secret", secret)
    await page.click("#save-secrets")
    await expect(page.locator("#secret-state-moota_secret")).to_have_text("tersimpan")
    assert secret not in await page.content()  # never shown back

    ticket = await Ticket.find_one({"guild_id": GUILD, "state": "open"})
    body = json.dumps(
        [{"mutation_id": "m-dash-1", "amount": ticket.amount_due, "type": "CR", "bank_type": "bca"}]
    ).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    response = await page.request.post(
        webhook, data=body, headers={"Signature": signature, "Content-Type": "application/json"}
    )
    assert response.status == 200 and (await response.json())["results"][0]["status"] == "matched"
    await eventually(
        lambda: Ticket.find_one({"_id": ticket.id, "state": {"$in": ["paid", "completed"]}}),
        "the ticket paid by the transfer",
    )


async def test_operator_retries_a_dead_delivery_from_ops(page: Page, shop):
    sandbox = shop["sandbox"]

    def new_buyer():
        user = sandbox.server.add_user("sari")
        sandbox.server.add_member(sandbox.server.guilds[GUILD], user)
        user.dms_open = False
        return user

    buyer = sandbox.call(new_buyer)
    product = await products.create_product(GUILD, name="Voucher Game", price=15_000)
    from workflows import stock
    from workflows.stock_cipher import StockCipher

    cipher = StockCipher(shop["settings"].stock_encryption_key())
    await stock.add_items(product, ["VOUCHER-0001"], cipher)
    seller = Actor(kind="seller", user_id=shop["seller"].id, name="seller")
    ticket = await tickets.open_ticket(GUILD, product.id, Actor(kind="buyer", user_id=buyer.id, name="sari"))
    await tickets.verify(ticket.id, seller)  # no ticket channel and DMs closed: delivery dies

    await page.goto(store_url(shop, "tickets"))
    await expect(page.locator(f"tr[data-ticket='{ticket.number}']")).to_contain_text(
        "belum terkirim", timeout=30_000
    )  # flagged in the list…
    await page.goto(store_url(shop, f"tickets/{ticket.id}"))
    await expect(page.locator("#delivery-problem")).to_contain_text(
        "DM-nya tertutup", timeout=30_000
    )  # …and the ticket says why

    await page.goto(f"{shop['url']}/ops")
    dead = page.locator("tr", has_text="deliver_product")
    await expect(dead.first).to_contain_text("DMsClosed", timeout=30_000)  # refreshed by itself
    await snap(page, "13-ops-dead-letter")

    # Discarding asks first: keeping it leaves the dead letter where it was.
    await dead.first.locator(".discard-dead-letter").click()
    await expect(page.get_by_role("alertdialog")).to_contain_text("Buang pesan deliver_product")
    await page.get_by_role("button", name="Simpan").click()
    await expect(page.get_by_role("alertdialog")).to_have_count(0)
    await expect(dead.first).to_contain_text("DMsClosed")

    sandbox.call(lambda: setattr(sandbox.server.users[buyer.id], "dms_open", True))
    await dead.first.get_by_role("button", name="Coba lagi").click()
    await expect(page.locator("#notice")).to_contain_text("dikembalikan ke antreannya")
    done = await eventually(
        lambda: Ticket.find_one({"_id": ticket.id, "state": "completed"}), "the retried delivery"
    )
    assert done.delivery.via == "dm" and done.delivery_problem is None


async def test_the_setup_check_page_names_what_the_bot_lacks_and_the_fix(page: Page, shop):
    s = shop["sandbox"].server

    def manage_channels(on: bool) -> None:  # the seller (un)ticks it on the bot's role
        role = next(r for r in s.guilds[GUILD].roles.values() if r.name == "bot")
        role.permissions = role.permissions | MANAGE_CHANNELS if on else role.permissions & ~MANAGE_CHANNELS

    await page.goto(store_url(shop, "settings"))
    await page.click("#nav-setup")
    summary = page.locator("#setup-summary")
    await expect(summary).to_have_text("Semua sudah siap: bot bisa melakukan semua yang dibutuhkan toko.")
    shop["sandbox"].call(manage_channels, False)
    try:
        await page.click("#setup-recheck")
        await expect(summary).to_have_text("Ada 1 hal yang perlu diperbaiki:")
        await expect(page.locator("#setup-report")).to_contain_text(
            "Kategori tiket — tickets: bot tidak bisa Manage Channels. "
            "Aktifkan Manage Channels untuk role bot"
        )
        await snap(page, "16-setup-check")
    finally:
        shop["sandbox"].call(manage_channels, True)


async def test_every_page_renders_and_is_screenshotted(page: Page, shop):
    pages = {
        "10-analytics": ("analytics", "Corong penjualan"),
        "11-settings": ("settings", "Simpan pengaturan"),
    }
    for name, (section, text) in pages.items():
        await page.goto(store_url(shop, section))
        await expect(page.get_by_text(text, exact=True).first).to_be_visible()
        await snap(page, name)
    await expect(page.locator("#funnel")).to_have_count(0)
    await page.goto(store_url(shop, "analytics"))
    await expect(page.locator("#funnel")).to_contain_text("Selesai")
    await page.goto(f"{shop['url']}/ops")
    await expect(page.locator("#workers-alive")).not_to_have_text("0")
    await snap(page, "13-ops")
    await page.goto(f"{shop['url']}/")
    await expect(page).to_have_url(store_url(shop, "tickets"))  # one store: straight to it
    await page.set_viewport_size({"width": 390, "height": 844})  # a phone
    await page.goto(store_url(shop, "tickets"))
    await expect(page.locator("#tickets")).to_be_visible()
    await snap(page, "15-tickets-phone")
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_the_seller_sees_why_a_transcript_was_not_posted_and_a_bad_emoji_is_refused(page: Page, shop):
    from discord_sandbox.state import VIEW_CHANNEL, Overwrite
    from models.product import DeliveryMode
    from models.store import Store

    sandbox, guild = shop["sandbox"], shop["sandbox"].server.guilds[GUILD]
    # The seller made #transcripts staff-only and did not add the bot.
    staff_only = [Overwrite(GUILD, 0, deny=VIEW_CHANNEL)]
    transcripts = sandbox.call(
        lambda: sandbox.server.add_channel(guild, "transcripts", overwrites=staff_only)
    )
    stores = Store.get_pymongo_collection()
    await stores.update_one({"guild_id": GUILD}, {"$set": {"transcript_channel_id": transcripts.id}})
    product = await products.create_product(
        GUILD, name="Jasa Logo", price=20_000, delivery_mode=DeliveryMode.MANUAL, stock=50
    )
    seller = Actor(kind="seller", user_id=shop["seller"].id, name="seller")
    # A buyer of this test's own: earlier tests of this module leave budi with open tickets.
    newcomer = sandbox.call(lambda: sandbox.server.add_user("newcomer"))
    sandbox.call(lambda: sandbox.server.add_member(guild, newcomer))

    async def refused_archive():  # workers read the store at most 5 s old: until they see the change
        ticket = await tickets.open_ticket(
            GUILD, product.id, Actor(kind="buyer", user_id=newcomer.id, name="newcomer")
        )
        room = sandbox.call(lambda: sandbox.server.add_channel(guild, f"ticket-{ticket.number}"))
        await tickets.attach_channel(ticket.id, room.id)
        await tickets.cancel(ticket.id, seller, "dibatalkan")

        async def archived():
            found = await Ticket.get(ticket.id)
            return found if found.transcript and found.next_due_at is None else None

        done = await eventually(archived, "the archive")
        return done if done.transcript.post_problem else None

    ticket = await eventually(refused_archive, "an archive that meets the staff-only channel", within=60)
    await page.goto(store_url(shop, f"tickets/{ticket.id}"))
    await expect(page.locator("#transcript-problem")).to_contain_text(
        "transkrip tidak terkirim: bot tidak dapat melihat #transcripts — tambahkan bot ke channel itu",
        timeout=30_000,
    )
    await expect(page.locator("#transcript")).to_be_visible()  # the store kept it all the same
    await stores.update_one({"guild_id": GUILD}, {"$set": {"transcript_channel_id": None}})

    await page.goto(store_url(shop, "panel"))
    await page.fill("#panel-buy_emoji", "cart")
    await expect(page.locator("#panel-preview")).not_to_contain_text("🛒")  # the design has it
    await page.click("#save-panel")
    await expect(page.locator("#error")).to_contain_text("emoji tombol Beli harus berupa satu emoji")
    assert (await Store.find_one({"guild_id": GUILD})).panel.buy_emoji != "cart"  # nothing saved


async def test_seller_logs_out(page: Page, shop):
    await page.click("#logout")
    await expect(page).to_have_url(re.compile(r"/login/?$"))
    assert await DashboardSession.find_all().count() == 0  # ended on the server, not just forgotten
    await page.goto(store_url(shop, "products"))
    await expect(page).to_have_url(re.compile(r"/login/?$"))
