"""Issue 19: the three.js viewer in a real browser (Debian's chromium, software WebGL through
SwiftShader), against the real dashboard in the dashboard's test world (tests/dashboard_world.py, built anew
for this module): the seller uploads a model in the product editor and sees it drawn, bad files are
refused in the seller's language with nothing changed, removing the model asks first, the
public product page (no login) draws the model with the price and stock, anything not on sale
there is a polite "not found", and the panel's "Lihat 3D" button opens that page.

"Drawn" is read from the canvas itself: a screenshot of it has many colours (the faceted gem
lit from two sides), not one, and it changes while the turntable turns.
"""

from __future__ import annotations

import io
import struct

import pytest
import pytest_asyncio
from beanie import PydanticObjectId
from PIL import Image
from playwright.async_api import Page, async_playwright, expect
from pygltflib import GLTF2, BufferFormat

from models.product import Product
from tests.bot_driver import messages
from tests.conftest import ROOT
from tests.dashboard_driver import CHROMIUM, CHROMIUM_ARGS
from tests.dashboard_world import GUILD, OTHER_GUILD, _choose, _png, _upload, snap, store_url
from tests.waiting import eventually
from workflows import model_samples, products
from workflows.errors import InvalidInput
from workflows.model3d import check_model

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]

# Chromium falls back to SwiftShader for WebGL when there is no GPU; newer versions want it
# asked for explicitly (https://chromium.googlesource.com/chromium/src/+/main/docs/gpu/swiftshader.md).
WEBGL_ARGS = [*CHROMIUM_ARGS, "--enable-unsafe-swiftshader"]
DOCS = ROOT / "docs" / "screenshots"
NAME = "Skin Naga Emas"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser():
    """The world's chromium, with software WebGL asked for (the world's `page` uses it too)."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=WEBGL_ARGS)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def product(shop):
    """A product on sale with three units (manual delivery), no model yet."""
    return await products.create_product(
        GUILD,
        name=NAME,
        price=75_000,
        description="Skin legendaris, dikirim lewat tiket.",
        delivery_mode="manual",
        stock=3,
    )


async def _fresh(product_id) -> Product:
    return await products.get_product(GUILD, product_id)


def _kept_files(shop) -> list[str]:
    folder = shop["settings"].data_dir / "media" / str(GUILD)
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


async def _canvas(page: Page, viewer: str) -> Image.Image:
    return Image.open(io.BytesIO(await page.locator(f"{viewer} canvas").screenshot())).convert("RGB")


async def _draws(page: Page, viewer: str) -> None:
    """The viewer shows the model: ready, many colours on its canvas, and turning."""
    await expect(page.locator(f"{viewer}[data-state='ready']")).to_be_visible(timeout=30_000)
    first = await _canvas(page, viewer)
    colours = first.getcolors(maxcolors=1_000_000)
    assert len(colours) > 50, f"the canvas is (nearly) one colour: {len(colours)} colours"
    background = max(colours)[0] / (first.width * first.height)
    assert background < 0.97, "the model covers almost nothing of the canvas"

    async def turned():
        return (await _canvas(page, viewer)).tobytes() != first.tobytes()

    await eventually(turned, "the model turning on the canvas", within=15)


async def _open_editor(page: Page, shop, name: str = NAME) -> None:
    await page.goto(store_url(shop, "products"))
    await page.locator(f"tr[data-product='{name}'] .edit-product").click()
    await expect(page.locator("#product-model")).to_be_visible()


async def test_seller_logs_in(page: Page, shop):
    await page.goto(f"{shop['url']}/login")
    await page.click("#login")
    await page.click(f"#login-{shop['seller'].id}")
    await expect(page).to_have_url(store_url(shop, "tickets"))


async def test_the_seller_uploads_a_model_and_the_editor_draws_it(page: Page, shop, product):
    await _open_editor(page, shop)
    await expect(page.locator("#no-model")).to_have_text("Belum ada model 3D.")
    await _upload(page, "product_model", "naga.glb", model_samples.gem(), "model/gltf-binary")
    await page.click("#upload-model")
    await expect(page.locator("#notice")).to_contain_text(f"Model 3D {NAME} tersimpan")
    saved = await _fresh(product.id)
    assert saved.model_ref and saved.model_still_ref  # the still for the panel, drawn with it
    public = products.public_page_url(shop["url"], GUILD, product.id)
    await expect(page.locator("#public-page-link")).to_have_attribute("href", public)
    await _draws(page, "#editor-viewer")
    await expect(page.locator("#editor-viewer .viewer3d-reset")).to_have_text("Atur ulang tampilan")
    await page.locator("#editor-viewer .viewer3d-reset").click()  # reset works and keeps drawing
    await _draws(page, "#editor-viewer")
    await snap(page, "viewer-editor")


def _truncated() -> bytes:
    return model_samples.gem()[:200]


def _version_one() -> bytes:
    gem = model_samples.gem()
    return gem[:4] + struct.pack("<I", 1) + gem[8:]


def _refusal(data: bytes, lang: str) -> str:
    """What the store says about a bad file, in `lang` (the words of workflows/model3d.py)."""
    with pytest.raises(InvalidInput) as refused:
        check_model(data)
    return refused.value.in_locale(lang)


BAD_FILES = {
    "an image renamed .glb": ("foto.glb", _png()),
    "a cut-off upload": ("potong.glb", _truncated()),
    "a glTF 1.0 file": ("lama.glb", _version_one()),
    "a gltf that is not JSON": ("rusak.gltf", b"{ this is not json"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
async def test_a_bad_file_is_refused_in_indonesian_and_nothing_changes(page: Page, shop, product, kind):
    file_name, data = BAD_FILES[kind]
    before, kept = await _fresh(product.id), _kept_files(shop)
    await _open_editor(page, shop)
    await _upload(page, "product_model", file_name, data, "application/octet-stream")
    await page.click("#upload-model")
    await expect(page.locator("#error")).to_have_text(_refusal(data, "id"))
    after = await _fresh(product.id)
    assert (after.model_ref, after.model_still_ref) == (before.model_ref, before.model_still_ref)
    assert _kept_files(shop) == kept  # nothing written
    await _draws(page, "#editor-viewer")  # the model already there still shows


async def test_a_file_that_is_not_gltf_by_name_is_refused(page: Page, shop, product):
    before = await _fresh(product.id)
    await _open_editor(page, shop)
    await _upload(page, "product_model", "model.obj", b"v 0 0 0\n", "text/plain")
    await page.click("#upload-model")
    await expect(page.locator("#error")).to_have_text("model.obj: pilih berkas .glb atau .gltf (glTF 2.0).")
    assert (await _fresh(product.id)).model_ref == before.model_ref


def _embedded_gltf() -> bytes:
    """The sample gem as a .gltf: JSON with its data inside (a data: URI), as exporters write it."""
    gem = GLTF2.load_from_bytes(model_samples.gem())
    gem.convert_buffers(BufferFormat.DATAURI)
    return gem.gltf_to_json().encode()


async def test_a_gltf_with_everything_embedded_replaces_the_model(page: Page, shop, product):
    before = await _fresh(product.id)
    await _open_editor(page, shop)
    await _upload(page, "product_model", "naga.gltf", _embedded_gltf(), "model/gltf+json")
    await page.click("#upload-model")
    await expect(page.locator("#notice")).to_contain_text(f"Model 3D {NAME} tersimpan")
    after = await _fresh(product.id)
    assert after.model_ref != before.model_ref and after.model_ref.endswith(".glb")  # kept as binary
    await _draws(page, "#editor-viewer")


async def test_the_public_page_shows_the_product_and_draws_its_model(browser, shop, product):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})  # a visitor: no login
    visitor = await context.new_page()
    address = products.public_page_url(shop["url"], GUILD, product.id)
    answer = await visitor.goto(address)
    assert answer is not None and answer.status == 200
    await expect(visitor.locator("#shop-name")).to_have_text(NAME)
    await expect(visitor.locator("#shop-price")).to_have_text("Rp 75.000")
    await expect(visitor.locator("#shop-stock")).to_have_text("Stok: 3")
    await expect(visitor.locator("#shop-description")).to_have_text("Skin legendaris, dikirim lewat tiket.")
    await _draws(visitor, "#shop-viewer")
    await expect(visitor).to_have_title(f"{NAME} · Toko Budi")
    DOCS.mkdir(parents=True, exist_ok=True)
    await visitor.screenshot(path=str(DOCS / "id-viewer.png"), full_page=True)
    await snap(visitor, "viewer-public")
    await visitor.set_viewport_size({"width": 390, "height": 844})  # a buyer's phone
    await _draws(visitor, "#shop-viewer")
    await visitor.screenshot(path=str(DOCS / "id-viewer-phone.png"), full_page=True)
    await context.close()


async def test_the_public_page_in_english(browser, shop, product):
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    await context.add_cookies([{"name": "store_lang", "value": "en", "url": shop["url"]}])
    visitor = await context.new_page()
    await visitor.goto(products.public_page_url(shop["url"], GUILD, product.id))
    await expect(visitor.locator("#shop-stock")).to_have_text("In stock: 3")
    await _draws(visitor, "#shop-viewer")
    await expect(visitor.locator("#shop-viewer .viewer3d-reset")).to_have_text("Reset view")
    await context.close()


async def test_a_bad_file_is_refused_in_english_too(browser, shop, product):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.add_cookies([{"name": "store_lang", "value": "en", "url": shop["url"]}])
    seller = await context.new_page()
    await seller.goto(f"{shop['url']}/login")
    await seller.click("#login")
    await seller.click(f"#login-{shop['seller'].id}")
    await expect(seller).to_have_url(store_url(shop, "tickets"))
    before = await _fresh(product.id)
    await _open_editor(seller, shop)
    await expect(seller.locator("#editor-viewer .viewer3d-reset")).to_have_text("Reset view")
    await _upload(seller, "product_model", "cut.glb", _truncated(), "model/gltf-binary")
    await seller.click("#upload-model")
    await expect(seller.locator("#error")).to_have_text(_refusal(_truncated(), "en"))
    assert (await _fresh(product.id)).model_ref == before.model_ref
    await context.close()


async def test_the_panels_lihat_3d_button_opens_the_public_page(page: Page, browser, shop, product):
    await page.goto(store_url(shop, "panel"))
    await _choose(page, "#panel-channel", "#shop")
    await page.click("#publish-panel")
    await expect(page.locator("#published-in")).to_contain_text("#shop")
    sandbox, channel = shop["sandbox"], shop["shop"].id

    async def link():
        posted = [m for m in await messages(sandbox, channel) if m.embeds and m.author.bot]
        buttons = [b for row in (posted[-1].components if posted else []) for b in row["components"]]
        return next((b for b in buttons if b.get("label") == f"Lihat 3D · {NAME}"), None)

    button = await eventually(link, "the Lihat 3D button on the panel")
    assert button["style"] == 5  # a link button: Discord opens its URL in the browser
    context = await browser.new_context()
    visitor = await context.new_page()
    await visitor.goto(button["url"])
    await expect(visitor.locator("#shop-name")).to_have_text(NAME)
    await _draws(visitor, "#shop-viewer")
    await context.close()
    await page.goto(f"{shop['url']}/sandbox")  # the panel as the demo's Discord shows it
    await expect(page.get_by_text(f"Lihat 3D · {NAME}")).to_be_visible()
    DOCS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(DOCS / "panel-3d.png"), full_page=True)


async def test_a_model_that_cannot_be_shown_says_so_in_the_sellers_language(browser, shop, product):
    """A model file gone from the disk (a restore without the media folder): the viewer says
    it cannot show it, instead of an empty box."""
    hidden = await products.create_product(GUILD, name="Model Hilang", price=10_000, delivery_mode="manual")
    guild_part = f"{GUILD}/{'0' * 32}"
    await products.set_model(GUILD, hidden.id, f"{guild_part}.glb", f"{guild_part}.png")
    context = await browser.new_context()
    visitor = await context.new_page()
    await visitor.goto(products.public_page_url(shop["url"], GUILD, hidden.id))
    await expect(visitor.locator("#shop-viewer[data-state='error'] .viewer3d-error")).to_have_text(
        "Model 3D ini tidak bisa ditampilkan di sini. Coba browser lain, atau muat ulang halaman."
    )
    await context.close()


async def test_anything_not_on_sale_is_a_polite_not_found(browser, shop, product):
    hidden = await products.create_product(GUILD, name="Produk Tersembunyi", price=20_000, active=False)
    theirs = await products.create_product(OTHER_GUILD, name="Their product", price=30_000)
    base = shop["url"]
    addresses = [
        f"{base}/shop/{GUILD}/products/{PydanticObjectId()}",  # no such product
        f"{base}/shop/{GUILD}/products/{hidden.id}",  # hidden by the seller
        f"{base}/shop/{GUILD}/products/{theirs.id}",  # another store's product
        f"{base}/shop/{OTHER_GUILD}/products/{product.id}",  # this product under another store
        f"{base}/shop/{GUILD}/products/not-an-id",
        f"{base}/shop/tokobudi/products/{product.id}",
        f"{base}/shop/{'9' * 30}/products/{product.id}",  # beyond any Discord id
    ]
    context = await browser.new_context()
    visitor = await context.new_page()
    for address in addresses:
        answer = await visitor.goto(address)
        assert answer is not None and answer.status < 500, address
        await expect(visitor.locator("#not-found")).to_contain_text("Produk tidak ditemukan")
        await expect(visitor.locator("#shop-product")).to_have_count(0)
        await expect(visitor.locator("body")).not_to_contain_text("Produk Tersembunyi")
    await context.close()


async def test_removing_the_model_asks_first(page: Page, shop, product):
    await _open_editor(page, shop)
    await page.click("#remove-model")
    await expect(page.get_by_role("alertdialog")).to_contain_text(f"Hapus model 3D {NAME}?")
    await page.click(".confirm-no")
    assert (await _fresh(product.id)).model_ref  # kept: the seller said no
    await page.click("#remove-model")
    await page.click("#confirm-remove-model")
    await expect(page.locator("#notice")).to_contain_text(f"Model 3D {NAME} sudah dihapus.")
    await expect(page.locator("#no-model")).to_be_visible()
    removed = await _fresh(product.id)
    assert removed.model_ref is None and removed.model_still_ref is None
