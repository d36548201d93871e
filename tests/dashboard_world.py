"""The dashboard's test world, shared by every browser module (each builds its own, module
scope): the sandbox guild with its seller, buyer and bot, a second guild the seller is not in,
the store opened, workers, the bot and the real dashboard running, and a chromium page.

tests/conftest.py makes the fixtures available to every test module."""

from __future__ import annotations

import io
import json

import pytest
import pytest_asyncio
from PIL import Image
from playwright.async_api import Page, async_playwright, expect
from pymongo import MongoClient

import models
from discord_sandbox import DiscordSandbox
from tests.conftest import ROOT, WorkerProcess, bot_process, isolated_settings, worker_env
from tests.dashboard_driver import CHROMIUM, CHROMIUM_ARGS, DashboardProcess, session_port
from workers.sender import Sender
from workflows import outbox, products
from workflows.discord_permissions import REQUIRED

# Live updates take milliseconds here; the margin is for a loaded CI machine.
expect.set_options(timeout=15_000)

GUILD = 1_000_000_000_000_101
OTHER_GUILD = 1_000_000_000_000_202
CLIENT_ID, CLIENT_SECRET = "900000000000000001", "sandbox-client-secret"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


def _png(size: tuple[int, int] = (120, 80)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def shop_settings(mongod, redis_server, tmp_path_factory):
    settings = isolated_settings(mongod, redis_server, tmp_path_factory.mktemp("dashboard") / "data", "d")
    yield settings
    MongoClient(mongod.url).drop_database(settings.mongodb_database)


@pytest.fixture(scope="module")
def discord():
    box = DiscordSandbox().start()
    yield box
    box.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shop(shop_settings, discord, tmp_path_factory):
    """The sandbox guild with its seller, buyer and bot; a second guild the seller is not in;
    the store opened; workers, the bot and the dashboard running."""
    s = discord.server
    port = session_port()  # one frontend build serves every browser module

    def build():
        seller, buyer, stranger = s.add_user("seller"), s.add_user("budi"), s.add_user("eve")
        bot, token = s.add_bot()
        guild = s.add_guild("Toko Budi", seller, guild_id=GUILD)
        s.add_member(guild, bot, [s.add_role(guild, "bot", int(REQUIRED)).id])
        s.add_member(guild, buyer)
        shop_channel = s.add_channel(guild, "shop")
        category = s.add_channel(guild, "tickets", type_=4)
        other = s.add_guild("Someone else's shop", stranger, guild_id=OTHER_GUILD)
        s.add_member(other, bot, [s.add_role(other, "bot", int(REQUIRED)).id])
        s.add_oauth_app(CLIENT_ID, CLIENT_SECRET, f"http://127.0.0.1:{port}/auth/callback")
        return {"seller": seller, "buyer": buyer, "token": token, "shop": shop_channel, "category": category}

    world = discord.call(build)
    settings = shop_settings
    settings.discord_token = settings.discord_token.__class__(world["token"])
    settings.discord_api_base_url = discord.api_base
    client = await models.connect(settings.mongodb_url, settings.mongodb_database)
    # Transitions this test process makes are relayed to the workers at once, as the bot's are.
    outbox.configure(Sender.for_redis(settings.redis_url, settings.redis_namespace).dispatch)
    await products.open_store(
        GUILD,
        name="Toko Budi",
        tickets={"category_ids": [world["category"].id], "cooldown_s": 0, "max_open_tickets_per_buyer": 5},
    )
    await products.open_store(OTHER_GUILD, name="Other shop")
    env = worker_env(settings)
    logs = tmp_path_factory.mktemp("logs")
    sandbox_file = logs / "sandbox.json"  # what `./store run` writes in sandbox mode
    sandbox_file.write_text(
        json.dumps(
            {
                "base_url": discord.base_url,
                "guild_id": GUILD,
                "buyer_id": world["buyer"].id,
                "seller_id": world["seller"].id,
                "shop_channel_id": world["shop"].id,
            }
        )
    )
    env.update(
        STORE_PUBLIC_URL=f"http://127.0.0.1:{port}",
        STORE_DISCORD_CLIENT_ID=CLIENT_ID,
        STORE_DISCORD_CLIENT_SECRET=CLIENT_SECRET,
        STORE_SANDBOX_FILE=str(sandbox_file),
    )
    worker = WorkerProcess(settings, logs / "worker.log")
    bot_log = (logs / "bot.log").open("wb")
    bot = bot_process(env, bot_log)
    dashboard = DashboardProcess(env, port, logs / "dashboard.log", reuse_build=True)
    try:
        dashboard.wait_ready()
        yield {
            **world,
            "settings": settings,
            "url": dashboard.url,
            "dashboard": dashboard,
            "sandbox": discord,
        }
    finally:
        dashboard.stop()
        bot.terminate()
        bot.wait(20)
        bot_log.close()
        worker.kill()  # the module is over: no graceful stop to watch (it costs 2 s)
        worker.close_log()
        outbox.configure(None)
        await client.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser():
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def page(browser, shop):
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    tab = await context.new_page()
    yield tab
    await context.close()


async def snap(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def store_url(shop, section: str) -> str:
    return f"{shop['url']}/store/{GUILD}/{section}"


async def _upload(page: Page, upload_id: str, name: str, data: bytes, mime: str = "image/png") -> None:
    await page.set_input_files(
        f"#{upload_id} input[type=file]", files=[{"name": name, "mimeType": mime, "buffer": data}]
    )


async def _choose(page: Page, trigger: str, option: str) -> None:
    await page.click(trigger)
    await page.get_by_role("option", name=option, exact=True).click()
