"""Dashboard benchmark: a ticket's state change in the database → the new state shown in a
real browser (Debian's chromium) on the live tickets page, without a reload.

Runs the real app in production mode on its own MongoDB and Redis, logs in through the
Discord sandbox's OAuth2, opens the tickets page, then changes tickets one at a time through
the workflow (open → cancelled/closed) and waits for each row's new state in the page: half of
the changes right after the page showed the previous one (a rush, where a page refetches at
most every `web.live.MIN_GAP_S`), half after a quiet moment.

Last line: BENCH dashboard p50_ms=<n> p95_ms=<n>
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.async_api import async_playwright  # noqa: E402

import models  # noqa: E402
from bench._figures import percentile  # noqa: E402
from bench._scratch import scratch  # noqa: E402
from discord_sandbox import DiscordSandbox  # noqa: E402
from launcher.embedded import child_env, free_port, start_mongod, start_redis  # noqa: E402
from models.ticket import Actor  # noqa: E402
from tests.dashboard_driver import CHROMIUM, CHROMIUM_ARGS, DashboardProcess, log_in  # noqa: E402
from web.live import MIN_GAP_S  # noqa: E402
from workflows import products, tickets  # noqa: E402

GUILD = 1_000_000_000_000_301
CLIENT_ID, CLIENT_SECRET = "900000000000000009", "bench-client-secret"
QUIET_S = 2 * MIN_GAP_S  # a page refetches at most every MIN_GAP_S during a rush (web/live.py)


async def main(args: argparse.Namespace, work: Path) -> None:
    mongo = start_mongod(work / "mongodb")
    redis = start_redis(work / "redis", persistent=False)
    sandbox = DiscordSandbox().start()
    port = free_port()

    def build():
        s = sandbox.server
        seller = s.add_user("seller")
        _, token = s.add_bot()
        s.add_guild("Bench shop", seller, guild_id=GUILD)
        s.add_oauth_app(CLIENT_ID, CLIENT_SECRET, f"http://127.0.0.1:{port}/auth/callback")
        return seller, token

    seller, token = sandbox.call(build)
    env = child_env(
        STORE_MONGODB_URL=mongo.url,
        STORE_MONGODB_DATABASE="bench",
        STORE_REDIS_URL=redis.url,
        STORE_SECRET_KEY="bench-" + "k" * 40,
        STORE_DATA_DIR=str(work / "data"),
        STORE_DISCORD_TOKEN=token,
        STORE_DISCORD_API_BASE_URL=sandbox.api_base,
        STORE_DISCORD_CLIENT_ID=CLIENT_ID,
        STORE_DISCORD_CLIENT_SECRET=CLIENT_SECRET,
        STORE_PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    client = await models.connect(mongo.url, "bench")
    await products.open_store(GUILD, name="Bench shop")
    product = await products.create_product(
        GUILD, name="Voucher", price=25_000, delivery_mode="manual", stock=args.changes + 10
    )
    dashboard = DashboardProcess(env, port, work / "dashboard.log")
    rush: list[float] = []  # each change right after the page showed the previous one
    quiet: list[float] = []  # after a quiet moment
    try:
        dashboard.wait_ready()
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page()
            await log_in(page, dashboard.url, seller.id)
            await page.goto(f"{dashboard.url}/store/{GUILD}/tickets")
            await page.wait_for_selector("#tickets")
            seller_actor = Actor(kind="seller", user_id=seller.id, name="seller")
            for n in range(args.changes):
                ticket = await tickets.open_ticket(GUILD, product.id, Actor(kind="buyer", user_id=5000 + n))
                await page.wait_for_selector(f"tr[data-ticket='{ticket.number}'][data-state='open']")
                after_quiet = n % 2 == 1  # every other change after a quiet moment, the others right away
                if after_quiet:
                    await asyncio.sleep(QUIET_S)
                started = time.perf_counter()
                await tickets.cancel(ticket, seller_actor, "benchmark")
                await page.wait_for_selector(f"tr[data-ticket='{ticket.number}'][data-state='closed']")
                (quiet if after_quiet else rush).append((time.perf_counter() - started) * 1000)
            await browser.close()
    finally:
        dashboard.stop()
        await client.close()
        sandbox.stop()
        mongo.stop()
        redis.stop()
    for name, figures in [("right after the previous change", rush), ("after a quiet moment", quiet)]:
        print(
            f"{name}: p50 {percentile(figures, 50):.0f} ms, p95 {percentile(figures, 95):.0f} ms"
            f" over {len(figures)} changes"
        )
    latencies = rush + quiet
    print(f"changes={len(latencies)} min_ms={min(latencies):.0f} max_ms={max(latencies):.0f}")
    print(f"BENCH dashboard p50_ms={percentile(latencies, 50):.0f} p95_ms={percentile(latencies, 95):.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=60)
    arguments = parser.parse_args()
    with scratch("bench-dashboard-") as work:
        asyncio.run(main(arguments, work))
