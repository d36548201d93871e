"""Issue 19: the panel in the demo Discord (the dashboard's Sandbox page) shows a product's 3D
model as its picture and a "Lihat 3D" link button to the product's public page; the dashboard
serves the picture and the model (as model/gltf-binary). A real browser against the real
dashboard, with test_dashboard's shop (its fixtures, a module of its own)."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from models.store import Store
from tests.bot_driver import messages
from tests.dashboard_world import GUILD, snap, store_url
from tests.waiting import eventually
from web import media
from workflows import model_samples, products
from workflows.products import media_url, public_page_url, thumbnail_ref

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]


async def test_seller_logs_in(page: Page, shop):
    await page.goto(f"{shop['url']}/login")
    await page.click("#login")
    await page.click(f"#login-{shop['seller'].id}")
    await expect(page).to_have_url(store_url(shop, "tickets"))


async def test_the_panel_in_the_sandbox_shows_the_models_still_and_a_lihat_3d_link(page: Page, shop):
    with pytest.MonkeyPatch.context() as patch:  # kept where this dashboard serves its media
        patch.setattr(media, "get_settings", lambda: shop["settings"])
        model_ref, still_ref = await media.keep_model(GUILD, model_samples.gem())
    gem = await products.create_product(
        GUILD,
        name="Permata Biru",
        price=25_000,
        delivery_mode="manual",
        stock=5,
        manual_delivery_text="Terima kasih",
    )
    await products.set_model(GUILD, gem.id, model_ref, still_ref)
    await Store.get_pymongo_collection().update_one(
        {"guild_id": GUILD}, {"$set": {"panel.channel_id": shop["shop"].id}}
    )

    async def pictured():
        found = [m for m in await messages(shop["sandbox"], shop["shop"].id) if m.embeds and m.author.bot]
        return found[-1] if found and len(found[-1].embeds) > 1 else None

    await eventually(pictured, "the panel with the model's picture", within=40)
    address = public_page_url(shop["url"], GUILD, gem.id)
    still = media_url(shop["url"], thumbnail_ref(still_ref))

    await page.goto(f"{shop['url']}/sandbox")
    channel = page.locator("#sandbox-channel")
    picture = channel.locator(".sandbox-picture").last
    await expect(picture).to_have_attribute("src", still)
    await expect(picture).to_be_visible()
    await page.wait_for_function(
        "img => img.complete && img.naturalWidth === 256", arg=await picture.element_handle()
    )
    link = channel.locator(".sandbox-link-button", has_text="Lihat 3D · Permata Biru").last
    await expect(link).to_have_attribute("href", address)
    await snap(page, "19-sandbox-3d")

    served = await page.request.get(media_url(shop["url"], model_ref))
    assert served.status == 200 and served.headers["content-type"] == "model/gltf-binary"
    assert await served.body() == model_samples.gem()
