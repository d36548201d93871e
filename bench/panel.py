"""Panel benchmark: this bot's panel vs the seed's naive design, side by side in one run.

Two stores in the Discord sandbox, each with a panel: one kept by the real bot process
(change-driven, edits only when the embed changed), one by the naive loop the seed sketches
(re-render and edit every 5 s whatever happened), each with its own bot token. The same stock
changes hit both stores at the same moment; the sandbox timestamps every edit.

Figures: staleness (change → embed showing it in the sandbox) p50/p95 over spaced changes,
REST edits per minute while idle, and 429s during a burst of 100 changes per second.
Last line: BENCH panel p95_ms=<n> naive_p95_ms=<n> idle_edits_per_min=<n>
naive_idle_edits_per_min=<n> burst_429=<n>
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from discord.http import HTTPClient  # noqa: E402

import models  # noqa: E402
from bench._figures import percentile  # noqa: E402
from bench._scratch import scratch  # noqa: E402
from bot.panel import product_lines  # noqa: E402
from discord_sandbox import DiscordSandbox  # noqa: E402
from launcher.embedded import child_env, start_mongod, start_redis  # noqa: E402
from models.product import DeliveryMode  # noqa: E402
from models.store import Store  # noqa: E402
from workers.discord_rest import point_at  # noqa: E402
from workflows import products, stock  # noqa: E402
from workflows.discord_permissions import REQUIRED  # noqa: E402
from workflows.panel import render  # noqa: E402

NAIVE_EVERY_S = 5.0


class NaivePanel:
    """The seed's design: every 5 s, render and edit the panel, changed or not."""

    def __init__(self, token: str, store: Store) -> None:
        self.http = HTTPClient()
        self.token = token
        self.store = store
        self.message_id: int | None = None

    async def run(self) -> None:
        await self.http.static_login(self.token)
        channel = self.store.panel.channel_id
        while True:
            message = render(self.store, await product_lines(self.store))
            if self.message_id is None:
                self.message_id = int((await self.http.send_message(channel, None, **message))["id"])
            else:
                await self.http.edit_message(channel, self.message_id, **message)
            await asyncio.sleep(NAIVE_EVERY_S)


async def main(args: argparse.Namespace, work: Path) -> None:
    mongo = start_mongod(work / "mongodb")
    redis = start_redis(work / "redis", persistent=False)
    sandbox = DiscordSandbox().start()
    s = sandbox.server

    def world() -> dict[str, object]:
        seller = s.add_user("seller")
        ours, our_token = s.add_bot("Store Bot")
        naive, naive_token = s.add_bot("Naive Bot")
        guilds = {}
        for name, bot in (("ours", ours), ("naive", naive)):
            guild = s.add_guild(f"Toko {name}", seller)
            role = s.add_role(guild, "bot", int(REQUIRED))
            s.add_member(guild, bot, [role.id])
            guilds[name] = (guild.id, s.add_channel(guild, "shop").id)
        return {"guilds": guilds, "our_token": our_token, "naive_token": naive_token}

    w = sandbox.call(world)
    client = await models.connect(mongo.url, "bench")
    point_at(sandbox.api_base)
    stores, items = {}, {}
    for name, (guild_id, channel_id) in w["guilds"].items():
        store = await products.open_store(guild_id, name=f"Toko {name}")
        await Store.get_pymongo_collection().update_one(
            {"_id": store.id}, {"$set": {"panel.channel_id": channel_id}}
        )
        stores[name] = await products.get_store(guild_id)
        items[name] = await products.create_product(
            guild_id, name="Voucher", price=10_000, delivery_mode=DeliveryMode.MANUAL, stock=100
        )
    env = child_env(
        STORE_MONGODB_URL=mongo.url,
        STORE_MONGODB_DATABASE="bench",
        STORE_REDIS_URL=redis.url,
        STORE_DISCORD_TOKEN=str(w["our_token"]),
        STORE_DISCORD_API_BASE_URL=sandbox.api_base,
        STORE_SECRET_KEY="bench-" + "k" * 40,
        STORE_DATA_DIR=str(work / "data"),
    )
    bot = subprocess.Popen(  # noqa: ASYNC220 (started once, before the measured part)
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(work / "bot.log").open("wb"),
    )
    naive_panel = NaivePanel(str(w["naive_token"]), stores["naive"])
    naive = asyncio.create_task(naive_panel.run())
    try:
        channels = {name: channel for name, (_, channel) in w["guilds"].items()}

        def panel_ids() -> dict[str, set[int]]:
            return {
                name: {m.id for m in s.messages.get(ch, {}).values() if m.embeds}
                for name, ch in channels.items()
            }

        deadline = time.monotonic() + 60
        while not all(sandbox.call(panel_ids).values()):
            if time.monotonic() > deadline or bot.poll() is not None:
                raise SystemExit(f"panels did not appear; see {work / 'bot.log'}")
            await asyncio.sleep(0.05)
        ids = sandbox.call(panel_ids)

        def edits_since(start: float) -> dict[str, list[tuple[float, str]]]:
            return {
                name: [(at, embeds) for at, mid, embeds in s.edit_log if at >= start and mid in ids[name]]
                for name in channels
            }

        async def set_price(price: int) -> float:
            at = time.monotonic()
            for name in channels:
                await products.update_product(stores[name].guild_id, items[name].id, price=price)
            return at

        # Idle: nothing changes.
        await asyncio.sleep(2)  # let start-up edits settle before the idle window
        idle_start = time.monotonic()
        await asyncio.sleep(args.idle_s)
        idle = edits_since(idle_start)
        per_min = {name: len(edits) * 60 / args.idle_s for name, edits in idle.items()}

        # Staleness: spaced changes, each a new price; when does each panel first show it?
        stale: dict[str, list[float]] = {name: [] for name in channels}
        rng = random.Random(7)
        for n in range(args.changes):
            price = 20_000 + n * 1_000
            changed = await set_price(price)
            shown = f"Rp {price // 1000}.000"
            limit = changed + NAIVE_EVERY_S + 3
            pending = set(channels)
            while pending and time.monotonic() < limit:
                for name, edits in edits_since(changed).items():
                    if name in pending and any(shown in embeds for _, embeds in edits):
                        first = min(at for at, embeds in edits if shown in embeds)
                        stale[name].append((first - changed) * 1000)
                        pending.discard(name)
                await asyncio.sleep(0.01)
            for name in pending:
                stale[name].append((limit - changed) * 1000)
            # A random pause, so changes land at random points of the naive 5 s cycle.
            await asyncio.sleep(rng.uniform(0, NAIVE_EVERY_S))

        # Burst: 100 changes per second.
        before_429 = s.rejections(str(w["our_token"]))
        burst_start = time.monotonic()
        for n in range(args.burst):
            await stock.set_manual_stock(items["ours"], 1000 + n)
            await asyncio.sleep(max(0.0, burst_start + (n + 1) / 100 - time.monotonic()))
        await asyncio.sleep(3)
        burst_429 = s.rejections(str(w["our_token"])) - before_429
        final = json.dumps(
            render(await products.get_store(stores["ours"].guild_id), await product_lines(stores["ours"]))[
                "embeds"
            ]
        )
        burst_edits = len(edits_since(burst_start)["ours"])
        caught_up = edits_since(burst_start)["ours"][-1][1] == final if burst_edits else False
    finally:
        naive.cancel()
        await naive_panel.http.close()
        bot.terminate()
        bot.wait(20)
        await client.close()
        sandbox.stop()
        mongo.stop()
        redis.stop()

    p50, p95 = statistics.median(stale["ours"]), percentile(stale["ours"], 95)
    n50, n95 = statistics.median(stale["naive"]), percentile(stale["naive"], 95)
    print(
        f"staleness over {args.changes} changes: this bot p50 {p50:.0f} ms, p95 {p95:.0f} ms; "
        f"naive p50 {n50:.0f} ms, p95 {n95:.0f} ms"
    )
    print(
        f"idle for {args.idle_s:.0f} s: this bot {per_min['ours']:.1f} edits/min,"
        f" naive {per_min['naive']:.1f} edits/min"
    )
    print(
        f"burst of {args.burst} changes at 100/s: this bot made {burst_edits} edits, "
        f"got {burst_429} 429s, final panel current: {caught_up}"
    )
    print(
        f"BENCH panel p95_ms={p95:.0f} naive_p95_ms={n95:.0f} idle_edits_per_min={per_min['ours']:.1f} "
        f"naive_idle_edits_per_min={per_min['naive']:.1f} burst_429={burst_429}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--idle-s", type=float, default=30.0)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--burst", type=int, default=300)
    os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    arguments = parser.parse_args()
    with scratch("bench-panel-") as work:
        asyncio.run(main(arguments, work))
