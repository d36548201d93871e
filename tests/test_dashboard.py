"""The seller dashboard in a real browser (Debian's chromium + Playwright), against the real
app in production mode, real workers, the real bot and the Discord sandbox.

The tests tell one seller's story in order and share one shop (module scope): log in, add a
product with an image and stock, a bank account, publish the panel, watch a buyer's ticket
arrive live and verify it. Every page is screenshotted under the run's artifacts folder.
"""

from __future__ import annotations

import io
import subprocess
import sys
import uuid

import pytest
import pytest_asyncio
from PIL import Image
from playwright.async_api import Page, async_playwright, expect
from pymongo import MongoClient

import models
from tests.conftest import ROOT, SECRET, WorkerProcess, worker_env
from tests.dashboard_driver import CHROMIUM, CHROMIUM_ARGS, DashboardProcess, free_port
from tests.discord_sandbox import DiscordSandbox
from tests.discord_sandbox.state import ADMINISTRATOR
from workflows import products

pytestmark = pytest.mark.asyncio(loop_scope="module")

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
    from models.settings import Settings

    tag = uuid.uuid4().hex[:12]
    settings = Settings(
        mongodb_url=mongod.url,
        mongodb_database=f"d_{tag}",
        redis_url=redis_server.url,
        redis_namespace=f"d_{tag}",
        secret_key=SECRET,
        data_dir=tmp_path_factory.mktemp("dashboard") / "data",
        worker_timeout_ms=50,
        heartbeat_timeout_ms=2_000,
        maintenance_chance=1_000_000,
        sweep_interval_s=0.1,
        _env_file=None,
    )
    yield settings
    MongoClient(mongod.url).drop_database(settings.mongodb_database)


@pytest.fixture(scope="module")
def discord():
    box = DiscordSandbox().start()
    yield box
    box.stop()


def _start_bot(env, log):
    return subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shop(shop_settings, discord, tmp_path_factory):
    """The sandbox guild with its seller, buyer and bot; a second guild the seller is not in;
    the store opened; workers, the bot and the dashboard running."""
    s = discord.server
    port = free_port()

    def build():
        seller, buyer, stranger = s.add_user("seller"), s.add_user("budi"), s.add_user("eve")
        bot, token = s.add_bot()
        guild = s.add_guild("Toko Budi", seller, guild_id=GUILD)
        s.add_member(guild, bot, [s.add_role(guild, "bot", ADMINISTRATOR).id])
        s.add_member(guild, buyer)
        shop_channel = s.add_channel(guild, "shop")
        category = s.add_channel(guild, "tickets", type_=4)
        other = s.add_guild("Someone else's shop", stranger, guild_id=OTHER_GUILD)
        s.add_member(other, bot, [s.add_role(other, "bot", ADMINISTRATOR).id])
        s.add_oauth_app(CLIENT_ID, CLIENT_SECRET, f"http://127.0.0.1:{port}/auth/callback")
        return {"seller": seller, "buyer": buyer, "token": token, "shop": shop_channel, "category": category}

    world = discord.call(build)
    settings = shop_settings
    settings.discord_token = settings.discord_token.__class__(world["token"])
    settings.discord_api_base_url = discord.api_base
    client = await models.connect(settings.mongodb_url, settings.mongodb_database)
    await products.open_store(GUILD, name="Toko Budi", tickets={"category_ids": [world["category"].id]})
    await products.open_store(OTHER_GUILD, name="Other shop")
    env = worker_env(settings)
    env.update(
        STORE_PUBLIC_URL=f"http://127.0.0.1:{port}",
        STORE_DISCORD_CLIENT_ID=CLIENT_ID,
        STORE_DISCORD_CLIENT_SECRET=CLIENT_SECRET,
    )
    logs = tmp_path_factory.mktemp("logs")
    worker = WorkerProcess(settings, logs / "worker.log")
    bot_log = (logs / "bot.log").open("wb")
    bot = _start_bot(env, bot_log)
    dashboard = DashboardProcess(env, port, logs / "dashboard.log")
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
        worker.stop()
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


async def test_seller_logs_in_with_discord(page: Page, shop):
    await page.goto(f"{shop['url']}/store/{GUILD}/tickets")
    await expect(page).to_have_url(f"{shop['url']}/login")  # not logged in: sent to log in
    await snap(page, "01-login")
    await page.click("#login")
    await page.click(f"#login-{shop['seller'].id}")  # the sandbox's consent page
    await expect(page).to_have_url(store_url(shop, "tickets"))
    await expect(page.locator("#store-name")).to_have_text("Toko Budi")
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["store_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
