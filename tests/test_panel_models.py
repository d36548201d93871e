"""The panel with 3D models (issue 19), through the real bot and the Discord sandbox: a product
with a model shows the still drawn from it and a "Lihat 3D" link button to its public page; a
product with a photo keeps its photo; a bad model upload changes nothing; and the sandbox
takes link buttons exactly as Discord does."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from models.product import Product
from models.store import Store
from tests.bot_driver import messages, open_shop, png
from tests.conftest import GUILD
from tests.test_sandbox_rules import Client, form_error
from tests.waiting import eventually
from web import media
from workflows import model_samples, products
from workflows.errors import InvalidInput
from workflows.products import media_url, public_page_url, thumbnail_ref


@pytest.fixture
def kept_media(settings, monkeypatch):
    """Uploads kept under this test's data directory, as the dashboard keeps them."""
    monkeypatch.setattr(media, "get_settings", lambda: settings)
    return settings.data_dir / "media"


def _panel(sandbox, world):
    """Probe: the bot's panel message in the shop channel (its latest state)."""

    async def probe():
        found = [m for m in await messages(sandbox, world["shop"].id) if m.embeds and m.author.bot]
        return found[-1] if found else None

    return probe


def _showing(sandbox, world, check):
    """Probe: the panel, once `check(panel)` holds for it."""

    async def probe():
        panel = await _panel(sandbox, world)()
        return panel if panel is not None and check(panel) else None

    return probe


def _links(panel) -> list[dict[str, Any]]:
    return [item for row in panel.components[1:] for item in row["components"]]


async def test_a_product_with_a_model_shows_its_still_and_a_lihat_3d_link_to_its_public_page(
    sandbox, world, store, cipher, settings, start_bot, kept_media
):
    _, product = await open_shop(sandbox, world, store, settings, cipher)
    start_bot()
    first = await eventually(_panel(sandbox, world), "the panel", within=60)  # the bot starts first
    assert len(first.embeds) == 1 and len(first.components) == 1  # no picture, no link yet

    # The seller uploads a model: the panel follows (the product changed), nothing else to do.
    model_ref, still_ref = await media.keep_model(GUILD, model_samples.gem())
    await products.set_model(GUILD, product.id, model_ref, still_ref)
    panel = await eventually(_showing(sandbox, world, lambda p: len(p.embeds) == 2), "the still on the panel")

    page = public_page_url(settings.public_url, GUILD, product.id)
    assert page == f"{settings.public_url.rstrip('/')}/shop/{GUILD}/products/{product.id}"
    picture = panel.embeds[1]
    assert picture["title"] == "Netflix 1 Bulan" and picture["url"] == page
    assert picture["thumbnail"]["url"] == media_url(settings.public_url, thumbnail_ref(still_ref))
    assert picture["thumbnail"]["url"].endswith("_thumb.png")
    assert (kept_media / thumbnail_ref(still_ref)).is_file()  # the address points at a kept picture

    buy_row = panel.components[0]["components"]
    assert buy_row[0]["label"] == "Beli"  # the Buy row stays first
    assert _links(panel) == [{"type": 2, "style": 5, "label": "Lihat 3D · Netflix 1 Bulan", "url": page}]

    # Taken off again: the picture and the link go.
    await products.remove_model(GUILD, product.id)
    await eventually(
        _showing(sandbox, world, lambda p: len(p.embeds) == 1 and len(p.components) == 1),
        "the panel without the model",
    )


async def test_an_english_store_says_view_in_3d_and_links_every_product_with_a_model(
    sandbox, world, store, cipher, settings, start_bot, kept_media
):
    _, first = await open_shop(sandbox, world, store, settings, cipher)
    await Store.get_pymongo_collection().update_one({"guild_id": GUILD}, {"$set": {"locale": "en"}})
    named = [first]
    for n in range(6):  # seven products with a model: two rows of links under the Buy row
        named.append(await products.create_product(GUILD, name=f"Skin {n}", price=10_000 + n))
    for product in named:
        await products.set_model(GUILD, product.id, *await media.keep_model(GUILD, model_samples.gem()))
    start_bot()
    panel = await eventually(_showing(sandbox, world, lambda p: len(_links(p)) == 7), "seven links")
    assert [len(row["components"]) for row in panel.components[1:]] == [5, 2]
    assert [link["label"] for link in _links(panel)] == [f"View in 3D · {p.name}" for p in named]
    assert [link["url"] for link in _links(panel)] == [
        public_page_url(settings.public_url, GUILD, p.id) for p in named
    ]
    assert len(panel.embeds) == 8 and len({e.get("url") for e in panel.embeds[1:]}) == 7  # none hidden


async def test_a_product_with_a_photo_keeps_its_photo_beside_its_model(
    sandbox, world, store, cipher, settings, start_bot, kept_media
):
    _, product = await open_shop(sandbox, world, store, settings, cipher)
    photo = await media.keep_image(GUILD, png())
    await products.update_product(GUILD, product.id, image_ref=photo)
    await products.set_model(GUILD, product.id, *await media.keep_model(GUILD, model_samples.gem()))
    start_bot()
    panel = await eventually(_showing(sandbox, world, lambda p: len(p.embeds) == 2), "the picture")
    assert panel.embeds[1]["thumbnail"]["url"] == media_url(settings.public_url, thumbnail_ref(photo))
    assert _links(panel)[0]["label"] == "Lihat 3D · Netflix 1 Bulan"  # the model is still one click away


async def test_a_bad_model_upload_changes_nothing(
    sandbox, world, store, cipher, settings, start_bot, kept_media
):
    _, product = await open_shop(sandbox, world, store, settings, cipher)
    model_ref, still_ref = await media.keep_model(GUILD, model_samples.gem())
    await products.set_model(GUILD, product.id, model_ref, still_ref)
    kept_before = sorted(kept_media.rglob("*"))
    start_bot()
    before = await eventually(_showing(sandbox, world, lambda p: len(p.embeds) == 2), "the still")

    fake = b"glTF" + b"\x02\x00\x00\x00" + b"\xff" * 40  # the magic, then a header that lies
    with pytest.raises(InvalidInput) as refused:
        await media.keep_model(GUILD, fake)
    assert refused.value.in_locale("id").startswith("File model 3D rusak")
    assert sorted(kept_media.rglob("*")) == kept_before  # no file written

    await products.update_product(GUILD, product.id, price=45_000)  # something that does change
    after = await eventually(
        _showing(sandbox, world, lambda p: "Rp 45.000" in p.embeds[0]["fields"][0]["value"]), "the new price"
    )
    assert after.embeds[1] == before.embeds[1] and after.components == before.components
    kept = await products.get_product(GUILD, product.id)
    assert (kept.model_ref, kept.model_still_ref) == (model_ref, still_ref)


async def test_a_model_ref_that_is_not_a_kept_model_of_this_store_is_refused(store):
    product = await products.create_product(GUILD, name="Skin", price=10_000)
    for model_ref, still_ref in [
        ("../../secret_key", f"{GUILD}/{'a' * 32}.png"),
        (f"999/{'a' * 32}.glb", f"999/{'a' * 32}.png"),  # another store's
        (f"{GUILD}/{'a' * 32}.png", f"{GUILD}/{'a' * 32}.glb"),  # swapped
    ]:
        with pytest.raises(InvalidInput):
            await products.set_model(GUILD, product.id, model_ref, still_ref)
    with pytest.raises(InvalidInput):  # not past set_model through the general edit either
        await products.update_product(GUILD, product.id, model_ref="/etc/passwd")
    with pytest.raises(InvalidInput):
        await products.update_product(GUILD, product.id, model_still_ref=12)
    kept = await products.get_product(GUILD, product.id)
    assert kept.model_ref is None and kept.model_still_ref is None


# --- link buttons in the sandbox, as Discord takes them --------------------------------------


@pytest.fixture
async def client(sandbox, world):
    async with aiohttp.ClientSession() as http:
        yield Client(http, sandbox, world["token"])


def _link(**fields: Any) -> list[dict[str, Any]]:
    return [{"type": 1, "components": [{"type": 2, "style": 5, "label": "Lihat 3D", **fields}]}]


ITEM = ("components", 0, "components", 0)
LINK_CASES = [
    ({}, "url", "BASE_TYPE_REQUIRED", "This field is required"),
    (
        {"url": "https://toko.test/p", "custom_id": "buy"},
        "custom_id",
        "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
        "A custom id and url cannot both be specified",
    ),
    (
        {"url": "javascript:alert(1)"},
        "url",
        "URL_TYPE_INVALID_SCHEME",
        "Scheme \"javascript\" is not supported. Scheme must be one of ('http', 'https', 'discord').",
    ),
    (
        {"url": "file:///etc/passwd"},
        "url",
        "URL_TYPE_INVALID_SCHEME",
        "Scheme \"file\" is not supported. Scheme must be one of ('http', 'https', 'discord').",
    ),
    ({"url": "toko.test/p"}, "url", "URL_TYPE_INVALID_URL", "Not a well formed URL."),
    ({"url": "https:///p"}, "url", "URL_TYPE_INVALID_URL", "Not a well formed URL."),
    ({"url": "https://" + "a" * 505}, "url", "BASE_TYPE_MAX_LENGTH", "Must be 512 or fewer in length."),
]


@pytest.mark.parametrize("fields, field, code, message", LINK_CASES)
async def test_a_link_button_discord_would_refuse_is_refused(
    sandbox, world, client, fields, field, code, message
):
    shop = world["shop"]
    status, body = await client.call(
        "POST", f"/channels/{shop.id}/messages", json={"components": _link(**fields)}
    )
    assert (status, body) == (400, form_error((*ITEM, field), code, message))
    assert sandbox.call(lambda: len(sandbox.server.messages[shop.id])) == 0


async def test_a_button_with_a_custom_id_and_a_url_is_refused_and_a_good_link_is_taken(
    sandbox, world, client
):
    shop = world["shop"]
    both = [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 1, "label": "Beli", "custom_id": "b", "url": "https://x.test"}
            ],
        }
    ]
    status, body = await client.call("POST", f"/channels/{shop.id}/messages", json={"components": both})
    assert status == 400 and body["errors"]["components"]["0"]["components"]["0"]["url"]
    status, sent = await client.call(
        "POST",
        f"/channels/{shop.id}/messages",
        json={"components": _link(url="https://toko.test/shop/1/products/2")},
    )
    assert status == 200 and sent["components"][0]["components"][0]["url"].endswith("/products/2")


async def test_the_demo_store_has_a_product_with_the_projects_own_3d_model(db, cipher, kept_media):
    from launcher.demo_store import seed_store

    world = {
        "guild_id": 777,
        "category_id": 1,
        "shop_channel_id": 2,
        "transcript_channel_id": 3,
        "testimonial_channel_id": 4,
    }
    assert await seed_store(world, cipher)
    shown = [p for p in await Product.find({"guild_id": 777}).to_list() if p.model_ref]
    assert [p.name for p in shown] == ["Permata Biru (item game)"]
    assert (kept_media / shown[0].model_ref).read_bytes() == model_samples.gem()
    assert (kept_media / thumbnail_ref(shown[0].model_still_ref)).is_file()


@pytest.mark.parametrize("layout", ["fields", "list"])
def test_a_catalogue_full_of_models_stays_within_discords_limits_on_every_page(layout):
    from models.store import PanelSettings
    from workflows import panel
    from workflows.message_limits import EMBED_TOTAL_MAX, embed_size

    store = Store.model_construct(
        guild_id=GUILD, name="Toko", currency="IDR", locale="id", panel=PanelSettings(layout=layout)
    )
    lines = [
        panel.ProductLine(
            Product.model_construct(
                id=f"{n:024x}",
                guild_id=GUILD,
                name=f"{n} " + "Skin Legendaris " * 6,
                price=10**9,
                description="d" * 900,
                model_ref=f"{GUILD}/{'a' * 32}.glb",
                model_still_ref=f"{GUILD}/{'a' * 32}.png",
            ),
            stock=3,
        )
        for n in range(80)
    ]
    shown = 0
    for number in range(len(panel.pages(store, lines))):
        rendered = panel.render(store, lines, page=number, public_url="https://toko.example")
        assert len(rendered["embeds"]) <= 10
        assert sum(embed_size(e) for e in rendered["embeds"]) <= EMBED_TOTAL_MAX
        assert len(rendered["components"]) <= 5
        assert all(len(row["components"]) <= 5 for row in rendered["components"])
        assert rendered["components"][0]["components"][0]["label"] == "Beli"
        links = [b for row in rendered["components"][1:] for b in row["components"]]
        assert all(b["style"] == 5 and "custom_id" not in b and len(b["label"]) <= 80 for b in links)
        assert len({e.get("url") for e in rendered["embeds"][1:]}) == len(rendered["embeds"]) - 1
        shown += len(links)
    assert shown > 0
