"""Issue 17 (1, 2, 4, 7, 9) and issue 18 on the Products page: a new seller in a real browser
(Debian's chromium + Playwright) against the real dashboard, workers, bot and Discord sandbox
(test_dashboard's shop, built anew for this module).

In Indonesian (the store's language) and again in English (the seller's choice): every field
found by its label, a price written "Rp 75.000" and shown "75.000", the image chosen with the
new product, a double click making one product, a nonsense price refused naming the field and
what is allowed, duplicates in a paste reported and skipped and two tickets getting two
different items, the delivery type switched and back without losing stock items, and deleting
or removing stock asking first. Last, a catalogue of 30 products reads its stock in one query.
"""

from __future__ import annotations

import pytest
from playwright.async_api import BrowserContext, Page, expect
from pymongo import MongoClient

from models.product import DeliveryMode, Product
from models.stock_item import StockItem, StockItemStatus
from models.ticket import Actor, Ticket, TicketState
from tests.bot_driver import on_sandbox
from tests.dashboard_world import GUILD, ROOT, _png, _upload, snap, store_url
from tests.waiting import eventually
from workflows import products, stock, tickets
from workflows.stock_cipher import StockCipher

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]

DOCS = ROOT / "docs" / "screenshots"
CANVA = ["canva-a@mail.com:pw1", "canva-b@mail.com:pw2", "canva-c@mail.com:pw3"]


def toasts(page: Page, containing: str):
    return page.locator("[data-sonner-toast]", has_text=containing)


async def _named(name: str) -> list[Product]:
    return await Product.find(Product.guild_id == GUILD, Product.name == name).to_list()


async def _choose(page: Page, field, option: str) -> None:
    await field.click()
    await page.get_by_role("option", name=option, exact=True).click()


async def test_seller_logs_in(page: Page, shop):
    await page.goto(f"{shop['url']}/login")
    await page.click("#login")
    await page.click(f"#login-{shop['seller'].id}")
    await expect(page).to_have_url(store_url(shop, "tickets"))


async def _create(page: Page, name: str, price: str, labels: dict[str, str], image: str = "") -> None:
    """Fill the New product form by its labels (in the page's language) and double-click Create."""
    form = page.locator("#new-product")
    await form.get_by_label(labels["name"], exact=True).fill(name)
    await form.get_by_label(labels["price"], exact=True).fill(price)
    await form.get_by_label(labels["description"], exact=True).fill("Akun sharing, garansi 30 hari")
    if image:
        await _upload(page, "new_product_image", image, _png())
        await expect(page.get_by_text(image)).to_be_visible()
    await page.dblclick("#create-product")


ID_LABELS = {"name": "Nama", "price": "Harga", "description": "Deskripsi"}
EN_LABELS = {"name": "Name", "price": "Price", "description": "Description"}


async def test_a_new_product_by_labels_priced_75_000_with_its_image_double_clicked_once(page: Page, shop):
    await page.goto(store_url(shop, "products"))
    await expect(page.get_by_role("heading", name="Produk baru")).to_be_visible()
    await _create(page, "Canva Pro 1 Bulan", "Rp 75.000", ID_LABELS, image="canva.png")
    row = page.locator("tr[data-product='Canva Pro 1 Bulan']")
    await expect(row).to_contain_text("Rp 75.000")
    await expect(row.locator("img")).to_be_visible()  # the image chosen with the new product
    await expect(row).to_contain_text("Otomatis (item stok)")
    editor = page.locator("#product-editor")
    await expect(editor.get_by_label("Harga", exact=True)).to_have_value("75.000")
    await expect(page.get_by_text("canva.png")).to_have_count(0)  # the chosen file is let go
    # A later action's answer: both submits of the double click (and their uploads) are handled.
    await page.click("#search-stock")
    await expect(editor).to_contain_text("Item stok")
    await expect(row).to_have_count(1)
    [product] = await _named("Canva Pro 1 Bulan")  # one product, not two
    assert product.price == 75_000 and product.image_ref
    assert await toasts(page, "Produk “Canva Pro 1 Bulan” dibuat").count() <= 1  # (it may have faded)
    await expect(page.locator("#error")).to_have_count(0)


async def test_a_nonsense_price_names_the_field_and_what_is_allowed(page: Page, shop):
    form = page.locator("#new-product")
    await form.get_by_label("Nama", exact=True).fill("Harga Ngawur")
    await form.get_by_label("Harga", exact=True).fill("tujuh puluh ribu")
    await page.click("#create-product")
    await expect(page.locator("#error")).to_have_text(
        "Harga: tulis jumlah utuh seperti Rp 75.000 atau 75.000"
    )
    assert await _named("Harga Ngawur") == []


async def _buyer_dms(shop, buyer_id: int) -> list[str]:
    sandbox = shop["sandbox"]

    def read():
        s = sandbox.server
        return [
            m.content
            for c in s.channels.values()
            if c.type == 1 and c.recipient_id == buyer_id
            for m in s.messages[c.id].values()
            if "canva-" in m.content
        ]

    return on_sandbox(sandbox, read)


async def test_duplicates_in_a_paste_are_skipped_and_two_tickets_get_two_different_items(page: Page, shop):
    editor = page.locator("#product-editor")
    pasted = [CANVA[0], CANVA[1], CANVA[2], CANVA[0], "  " + CANVA[1] + "  "]
    await editor.get_by_label("Item stok yang ditambahkan, satu per baris").fill("\n".join(pasted))
    await page.dblclick("#add-stock")
    notice = page.locator("#notice")
    await expect(notice).to_contain_text("3 item stok ditambahkan ke “Canva Pro 1 Bulan”.")
    await expect(notice).to_contain_text("2 duplikat dilewati")
    await page.click("#search-stock")  # a later action: the double click's second submit is done
    await expect(page.locator("#stock-summary")).to_contain_text("3 / 0 / 0")
    await expect(toasts(page, "ditambahkan")).to_have_count(1)
    [product] = await _named("Canva Pro 1 Bulan")
    assert await StockItem.find(StockItem.product_id == product.id).count() == 3

    # Budi buys it twice; each ticket is verified and delivered by the workers.
    budi = Actor(kind="buyer", user_id=shop["buyer"].id, name="budi")
    seller = Actor(kind="seller", user_id=shop["seller"].id, name="seller")
    bought = [await tickets.open_ticket(GUILD, product.id, budi) for _ in range(2)]
    for ticket in bought:
        await tickets.verify(ticket.id, seller)
    received = await eventually(
        lambda: _ready(_buyer_dms(shop, budi.user_id), 2), "both items in budi's DMs", within=60
    )
    items = {secret for secret in CANVA if any(secret in text for text in received)}
    assert len(items) == 2, received  # two tickets, two different accounts
    for ticket in bought:  # each ticket completed (its item handed over), one item each
        finished = {
            "_id": ticket.id,
            "state": {"$in": [TicketState.COMPLETED.value, TicketState.CLOSED.value]},
        }
        await eventually(lambda f=finished: Ticket.find_one(f), "the ticket completed", within=60)

    await page.reload()
    await page.locator("tr[data-product='Canva Pro 1 Bulan'] .edit-product").click()
    await expect(page.locator("#stock-summary")).to_contain_text("1 / 0 / 2")
    await expect(page.locator("#stock-items tr[data-status='delivered']")).to_have_count(2)
    await expect(page.locator("#stock-items")).to_contain_text("terkirim (tiket #")


async def _ready(probe, count: int):
    found = await probe
    return found if len(found) >= count else None


async def test_the_delivery_type_switches_to_manual_and_back_keeping_the_stock_items(page: Page, shop):
    editor = page.locator("#product-editor")
    row = page.locator("tr[data-product='Canva Pro 1 Bulan']")
    await _choose(page, editor.get_by_label("Jenis pengiriman", exact=True), "Manual")
    await expect(page.locator("#notice")).to_have_text(
        "“Canva Pro 1 Bulan” sekarang dikirim manual; item stoknya tetap disimpan."
    )
    await expect(row.locator(".product-mode")).to_have_text("Manual")
    await expect(page.locator("#kept-items")).to_contain_text("1")  # the unsold item, saved
    await expect(editor.get_by_label("Stok (produk manual)", exact=True)).to_be_visible()
    [product] = await _named("Canva Pro 1 Bulan")
    assert product.delivery_mode is DeliveryMode.MANUAL
    assert await stock.counts(product.id) == {"available": 1, "reserved": 0, "delivered": 2}

    await _choose(page, editor.get_by_label("Jenis pengiriman", exact=True), "Otomatis (item stok)")
    await expect(row.locator(".product-mode")).to_have_text("Otomatis (item stok)")
    await expect(page.locator("#stock-summary")).to_contain_text("1 / 0 / 2")  # on sale again
    await expect(page.locator("#stock-items tr[data-status='available']")).to_have_count(1)
    assert (await Product.get(product.id)).delivery_mode is DeliveryMode.AUTOMATIC


async def test_screenshots_of_the_indonesian_products_page(page: Page, shop):
    DOCS.mkdir(parents=True, exist_ok=True)
    await expect(page.locator("#stock-summary")).to_be_visible()
    await expect(page.locator("[data-sonner-toast]")).to_have_count(0)  # the toasts have faded
    await page.screenshot(path=str(DOCS / "id-products.png"), full_page=True)
    phone = await page.context.new_page()  # drawn at a phone's width from the start
    try:
        await phone.set_viewport_size({"width": 390, "height": 844})
        await phone.goto(store_url(shop, "products"))
        await phone.locator("tr[data-product='Canva Pro 1 Bulan'] .edit-product").click()
        await expect(phone.locator("#stock-items tr.stock-item")).to_have_count(3)
        await phone.screenshot(path=str(DOCS / "id-products-phone.png"), full_page=True)
        await snap(phone, "17-products-phone")
    finally:
        await phone.close()


async def test_removing_stock_items_asks_first_and_cancel_keeps_them(page: Page, shop):
    available = page.locator("#stock-items tr[data-status='available']")
    await available.get_by_role("checkbox").click()
    await page.click("#remove-stock")
    dialog = page.get_by_role("alertdialog")
    await expect(dialog).to_contain_text("Hapus 1 item stok yang dipilih?")
    await dialog.get_by_role("button", name="Batal").click()
    await expect(dialog).to_have_count(0)
    await expect(available).to_have_count(1)  # nothing removed
    [product] = await _named("Canva Pro 1 Bulan")
    assert await stock.available(product) == 1

    await page.click("#remove-stock")
    await page.get_by_role("alertdialog").get_by_role("button", name="Hapus yang dipilih").click()
    await expect(page.locator("#notice")).to_have_text("1 item stok dihapus.")
    await expect(available).to_have_count(0)
    assert await stock.available(product) == 0


async def test_deleting_a_product_asks_first_and_cancel_keeps_it(page: Page, shop):
    row = page.locator("tr[data-product='Canva Pro 1 Bulan']")
    await row.locator(".delete-product").click()
    dialog = page.get_by_role("alertdialog")
    await expect(dialog).to_contain_text("Hapus Canva Pro 1 Bulan?")
    await dialog.get_by_role("button", name="Batal").click()
    await expect(dialog).to_have_count(0)
    await expect(row).to_have_count(1)
    assert len(await _named("Canva Pro 1 Bulan")) == 1  # nothing happened

    await row.locator(".delete-product").click()
    await page.get_by_role("alertdialog").get_by_role("button", name="Hapus").click()
    await expect(page.locator("#notice")).to_have_text("“Canva Pro 1 Bulan” dihapus.")
    await expect(row).to_have_count(0)
    assert await _named("Canva Pro 1 Bulan") == []


async def _english_page(context: BrowserContext, shop) -> Page:
    browser = context.browser
    assert browser is not None
    english = await browser.new_context(viewport={"width": 1280, "height": 900})
    await english.add_cookies(
        [*await context.cookies(), {"name": "store_lang", "value": "en", "url": shop["url"]}]
    )
    return await english.new_page()


async def test_in_english_the_same_steps_in_english(page: Page, shop):
    en = await _english_page(page.context, shop)
    try:
        await en.goto(store_url(shop, "products"))
        await expect(en.get_by_role("heading", name="New product")).to_be_visible()
        form = en.locator("#new-product")
        await form.get_by_label("Name", exact=True).fill("Price Nonsense")
        await form.get_by_label("Price", exact=True).fill("seventy")
        await en.click("#create-product")
        await expect(en.locator("#error")).to_have_text(
            "Price: write a whole amount such as Rp 75.000 or 75.000"
        )
        assert await _named("Price Nonsense") == []

        await _create(en, "Spotify Premium", "75.000", EN_LABELS, image="spotify.png")
        row = en.locator("tr[data-product='Spotify Premium']")
        await expect(row).to_contain_text("Rp 75.000")
        await expect(row.locator("img")).to_be_visible()
        editor = en.locator("#product-editor")
        await expect(editor.get_by_label("Price", exact=True)).to_have_value("75.000")
        await en.click("#search-stock")
        await expect(editor).to_contain_text("Stock items")
        assert len(await _named("Spotify Premium")) == 1
        assert await toasts(en, "Product “Spotify Premium” created").count() <= 1

        lines = ["spotify-1@mail.com:a", "spotify-2@mail.com:b", "spotify-1@mail.com:a"]
        await editor.get_by_label("Stock items to add, one per line").fill("\n".join(lines))
        await en.dblclick("#add-stock")
        notice = en.locator("#notice")
        await expect(notice).to_contain_text("Added 2 stock item(s) to “Spotify Premium”.")
        await expect(notice).to_contain_text("1 duplicates skipped")
        await en.click("#search-stock")
        await expect(en.locator("#stock-summary")).to_contain_text("2 / 0 / 0")

        await _choose(en, editor.get_by_label("Delivery type", exact=True), "Manual")
        await expect(notice).to_have_text(
            "“Spotify Premium” is now delivered by hand; its stock items stay saved."
        )
        await expect(en.locator("#kept-items")).to_contain_text("2")
        await _choose(en, editor.get_by_label("Delivery type", exact=True), "Automatic (stock items)")
        await expect(en.locator("#stock-summary")).to_contain_text("2 / 0 / 0")

        await en.locator("#stock-items tr[data-status='available']").first.get_by_role("checkbox").click()
        await en.click("#remove-stock")
        dialog = en.get_by_role("alertdialog")
        await expect(dialog).to_contain_text("Remove 1 selected stock item(s)?")
        await dialog.get_by_role("button", name="Cancel").click()
        await expect(en.locator("#stock-items tr[data-status='available']")).to_have_count(2)

        await row.locator(".delete-product").click()
        await expect(dialog).to_contain_text("Delete Spotify Premium?")
        await dialog.get_by_role("button", name="Keep it").click()
        await expect(row).to_have_count(1)
        assert len(await _named("Spotify Premium")) == 1
        await row.locator(".delete-product").click()
        await en.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
        await expect(notice).to_have_text("Deleted “Spotify Premium”.")
        await expect(row).to_have_count(0)
    finally:
        await en.context.close()


async def test_a_catalogue_of_30_products_reads_their_stock_in_one_query(page: Page, shop):
    """Issue 18: the page read one stock count per product (31 queries for 30 products)."""
    cipher = StockCipher(shop["settings"].stock_encryption_key())
    have = await Product.find(Product.guild_id == GUILD).count()
    for n in range(30 - have):
        product = await products.create_product(
            GUILD,
            name=f"Voucher {n:02d}",
            price=10_000 + n,
            delivery_mode=DeliveryMode.MANUAL if n % 5 == 0 else DeliveryMode.AUTOMATIC,
            stock=n,
        )
        if product.delivery_mode is DeliveryMode.AUTOMATIC:
            await stock.add_items(product, [f"VOUCHER-{n:02d}-{i}" for i in range(n % 3 + 1)], cipher)
    settings = shop["settings"]
    mongo = MongoClient(settings.mongodb_url)
    db = mongo[settings.mongodb_database]
    db.command("profile", 0)
    db.system.profile.drop()
    db.command("profile", 2)  # every operation on this database is recorded, whoever makes it
    try:
        await page.goto(store_url(shop, "products"))
        await expect(page.locator("#products tbody tr")).to_have_count(30)
        await expect(page.locator("tr[data-product='Voucher 01']")).to_contain_text("2 / 0 / 0")
        await expect(page.locator("tr[data-product='Voucher 05']")).to_contain_text("5 / 0 / —")
    finally:
        db.command("profile", 0)
    name = settings.mongodb_database
    ops = list(db.system.profile.find({"ns": f"{name}.stock_items"}))
    # The catalogue's reads of the products (the bot's panel refresh, also recorded, asks for
    # active ones only), and its stock reads: aggregations matching products by id (the panel's
    # match a whole guild instead).
    catalogue_reads = list(
        db.system.profile.find({"ns": f"{name}.products", "command.filter": {"guild_id": GUILD}})
    )
    mongo.close()
    stock_reads = [
        op
        for op in ops
        if op.get("command", {}).get("aggregate") == "stock_items"
        and "product_id" in op["command"]["pipeline"][0].get("$match", {})
    ]
    print(f"page of 30 products: {len(catalogue_reads)} catalogue read(s), {len(stock_reads)} stock read(s)")
    # One stock read per load of the page (a reconnecting browser may load it twice), never one
    # per product.
    assert len(stock_reads) == len(catalogue_reads) >= 1
    assert await StockItem.find(StockItem.status == StockItemStatus.AVAILABLE).count() > 0
