"""Flash-sale benchmark: a crowd clicking Buy on a limited drop, through the real bot and real
worker processes, against the Discord sandbox with Discord's rate limits.

1,000 distinct buyers (added as guild members over the sandbox's control API, as an outside
load test would) click Buy over 10 s on a product with 300 stock items, through the control
API's click route. The run is made twice, with one worker process and with two, each on a
fresh database and sandbox. Figures per run, side by side:

- opened: tickets open with a channel holding their instructions; oversold: units handed out
  beyond the stock; errors: buyers answered with an error ("internal error", "try again");
  unanswered: clicks without a final answer when the run ends; bare_channels: ticket channels
  without instructions;
- r429: 429s the sandbox gave the bot's token (and their share of all its requests);
  invalid: the sandbox's invalid-request count (401/403/429) for the token;
- last_ready_s: first click → the last ticket's instructions posted; bound_s: the floor
  Discord's limits set for that work: the larger of (requests the store made that count toward
  the global limit ÷ 50/s) and the time the guild's channel-creation bucket needs for the
  ticket channels (10 at once, then 10 every 10 s: 290 s for 300);
- categories: categories holding the ticket channels at the end.

Last line: BENCH flash_sale opened=<n> oversold=<n> errors=<n> unanswered=<n>
bare_channels=<n> r429=<n> invalid=<n> last_ready_s=<n> bound_s=<n> categories=<n>
(each figure the worse of the two runs; bound_s of that same run).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

import models  # noqa: E402
from bench._figures import percentile  # noqa: E402
from bench._scratch import scratch  # noqa: E402
from discord_sandbox import DiscordSandbox  # noqa: E402
from discord_sandbox.state import VIEW_CHANNEL, Overwrite  # noqa: E402
from launcher.embedded import child_env, start_mongod, start_redis  # noqa: E402
from launcher.launch import worker_command  # noqa: E402
from models.payment_method import PaymentKind  # noqa: E402
from models.settings import Settings  # noqa: E402
from models.ticket import Ticket, TicketState  # noqa: E402
from workflows import payment_methods, products, stock  # noqa: E402
from workflows.discord_permissions import REQUIRED  # noqa: E402
from workflows.i18n import text  # noqa: E402
from workflows.stock_cipher import StockCipher  # noqa: E402

SECRET = "bench-flash-sale-" + "k" * 40


@dataclass
class Figures:
    """One run's figures."""

    processes: int
    opened: int
    oversold: int
    held_without_ticket: int
    errors: int
    unanswered: int
    bare_channels: int
    r429: int
    requests: int
    seen: int
    invalid: int
    last_ready_s: float
    bound_s: float
    bound_global_s: float
    bound_channels_s: float
    categories: int
    sold_out: int
    ack_p50_ms: float
    ack_p99_ms: float
    ack_max_ms: float


def _world(sandbox: DiscordSandbox) -> dict[str, object]:
    s = sandbox.server

    def make() -> dict[str, object]:
        seller = s.add_user("seller")
        bot, token = s.add_bot("Store Bot")
        guild = s.add_guild("Toko Flash", seller)
        s.add_member(guild, bot, [s.add_role(guild, "bot", int(REQUIRED)).id])
        shop = s.add_channel(guild, "shop")
        log = s.add_channel(guild, "store-log", overwrites=[Overwrite(guild.id, 0, deny=VIEW_CHANNEL)])
        # The seller added the bot to the staff-only log channel, as the setup check asks.
        log.overwrites.append(Overwrite(bot.id, 1, allow=VIEW_CHANNEL | (1 << 11) | (1 << 15)))
        category = s.add_channel(guild, "tickets", type_=4)
        return {"token": token, "guild": guild.id, "shop": shop.id, "log": log.id, "category": category.id}

    return sandbox.call(make)


def _forgotten(interaction: Any, now: float) -> bool:
    """Discord forgets an interaction nobody acknowledged within 3 s."""
    return interaction.response_type is None and interaction.past_deadline(now)


async def _crowd(http: aiohttp.ClientSession, base_url: str, guild_id: int, n: int) -> list[int]:
    """`n` new members, through the control API (what any outside load test can do)."""
    url = f"{base_url}/_sandbox/guilds/{guild_id}/members"
    ids: list[int] = []
    for i in range(n):
        async with http.post(url, json={"username": f"fan{i:04d}"}) as response:
            response.raise_for_status()
            ids.append(int((await response.json())["id"]))
    return ids


async def run(args: argparse.Namespace, work: Path, processes: int) -> Figures:
    mongo = start_mongod(work / "mongodb")
    redis = start_redis(work / "redis", persistent=False)
    sandbox = DiscordSandbox().start()
    s = sandbox.server
    w = _world(sandbox)
    client = await models.connect(mongo.url, "bench")
    env = child_env(
        STORE_MONGODB_URL=mongo.url,
        STORE_MONGODB_DATABASE="bench",
        STORE_REDIS_URL=redis.url,
        STORE_REDIS_NAMESPACE="bench",
        STORE_DISCORD_TOKEN=str(w["token"]),
        STORE_DISCORD_API_BASE_URL=sandbox.api_base,
        STORE_SECRET_KEY=SECRET,
        STORE_DATA_DIR=str(work / "data"),
        PYTHONUNBUFFERED="1",
    )
    try:
        started: list[subprocess.Popen[bytes]] = []
        try:
            await products.open_store(
                int(w["guild"]),  # type: ignore[arg-type]
                name="Toko Flash",
                locale="id",
                tickets={"category_ids": [w["category"]], "cooldown_s": 0, "max_open_tickets_per_buyer": 1},
                panel={"channel_id": w["shop"]},
                log_channel_id=w["log"],
            )
            product = await products.create_product(int(w["guild"]), name="Voucher Drop", price=25_000)  # type: ignore[arg-type]
            cipher = StockCipher(Settings(secret_key=SECRET, _env_file=None).stock_encryption_key())
            await stock.add_items(product, [f"DROP-{n:05d}" for n in range(args.items)], cipher)
            await payment_methods.add_method(
                int(w["guild"]),  # type: ignore[arg-type]
                PaymentKind.BANK,
                "BCA",
                {"account_number": "1234567890", "account_name": "Toko Flash"},
            )
            async with aiohttp.ClientSession() as http:
                crowd = await _crowd(http, s.base_url, int(w["guild"]), args.buyers)  # type: ignore[arg-type]
                logs = work / f"logs-{processes}"
                logs.mkdir(exist_ok=True)
                started.append(
                    subprocess.Popen(  # noqa: ASYNC220 (started before the measured part)
                        worker_command(processes, 32),
                        cwd=ROOT,
                        env=env,
                        stdout=(logs / "workers.log").open("wb"),
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
                started.append(
                    subprocess.Popen(  # noqa: ASYNC220
                        [sys.executable, "-m", "bot"],
                        cwd=ROOT,
                        env=env,
                        stdout=(logs / "bot.log").open("wb"),
                        stderr=subprocess.STDOUT,
                    )
                )

                def panel() -> int | None:
                    found = [m.id for m in s.messages.get(int(w["shop"]), {}).values() if m.embeds]  # type: ignore[arg-type]
                    return found[0] if found else None

                deadline = time.monotonic() + 90
                while (panel_id := sandbox.call(panel)) is None:
                    if time.monotonic() > deadline or any(p.poll() is not None for p in started):
                        raise SystemExit(f"the panel did not appear; see {logs}")
                    await asyncio.sleep(0.1)
                await asyncio.sleep(args.settle_s)  # the bot's start-up requests are not the sale's

                def counters() -> tuple[int, int, int]:
                    limiter = s.limiter
                    return (
                        sum(limiter.admitted_global.values()),
                        sum(limiter.rejected.values()),
                        sum(limiter.requests.values()),
                    )

                before = sandbox.call(counters)
                invalid_before = sandbox.call(lambda: s._invalid_requests_report()["total"])
                rng = random.Random(16)
                offsets = sorted(rng.uniform(0, args.window_s) for _ in crowd)
                interaction_ids: list[int] = []
                start = time.monotonic()
                start_wall = time.time()

                async def buy(user_id: int, at: float) -> None:
                    await asyncio.sleep(max(0.0, start + at - time.monotonic()))
                    body = {
                        "user_id": user_id,
                        "channel_id": w["shop"],
                        "message_id": panel_id,
                        "custom_id": "buy_btn",
                    }
                    async with http.post(f"{s.base_url}/_sandbox/click", json=body) as response:
                        response.raise_for_status()
                        interaction_ids.append(int((await response.json())["interaction_id"]))

                await asyncio.gather(*(buy(u, at) for u, at in zip(crowd, offsets, strict=True)))

                opening = {text(locale, "opening.in_progress") for locale in ("id", "en")}

                def answers() -> tuple[dict[int, list[str]], int]:
                    """Each click's final answers, and how many clicks can still get one: Discord
                    forgets an interaction nobody acknowledged within 3 s (the buyer sees "This
                    interaction failed"), so those are unanswered for good."""
                    out: dict[int, list[str]] = {i: [] for i in interaction_ids}
                    for msgs in s.messages.values():
                        for m in msgs.values():
                            if m.interaction_id in out and (m.content not in ("…", *opening) or m.embeds):
                                out[m.interaction_id].append(m.content)
                    now = s.clock.monotonic()
                    pending = sum(
                        1
                        for i, contents in out.items()
                        if not contents
                        and not _forgotten(s.interactions[i], now)
                    )
                    return out, pending

                def acknowledged_ms() -> list[float]:
                    timed = [s.interactions[i] for i in interaction_ids]
                    return [(i.responded_at - i.created) * 1000 for i in timed if i.responded_at is not None]

                deadline = time.monotonic() + args.timeout_s
                while True:
                    final, pending = sandbox.call(answers)
                    if not pending or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.5)
                after = sandbox.call(counters)
                ack_ms = sandbox.call(acknowledged_ms)
                invalid = sandbox.call(lambda: s._invalid_requests_report()["total"]) - invalid_before
        finally:
            for process in started:
                if process.poll() is None:
                    process.terminate()
            for process in started:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()

        live = await Ticket.find({"guild_id": int(w["guild"]), "state": TicketState.OPEN.value}).to_list()  # type: ignore[arg-type]
        counts = await stock.counts(product.id)

        def channel_figures() -> tuple[int, float, int]:
            bare, last, parents = 0, 0.0, set()
            for ticket in live:
                if ticket.channel_id is None or ticket.channel_id not in s.channels:
                    continue
                parents.add(s.channels[ticket.channel_id].parent_id)
                in_channel = s.messages.get(ticket.channel_id, {}).values()
                posted = [m for m in in_channel if m.author.bot and m.components]
                if not posted:
                    bare += 1
                else:
                    last = max(last, min(m.created for m in posted))
            return bare, last, len(parents)

        bare, last_ready, categories = sandbox.call(channel_figures)
        opened = sum(1 for t in live if t.channel_id is not None) - bare
        texts = [t for contents in final.values() for t in contents]
        errors = [t for t in texts if any(word in t.lower() for word in ("internal", "gagal", "coba lagi"))]
        sold_out = [t for t in texts if "habis" in t.lower()]
        requests, r429, seen = after[0] - before[0], after[1] - before[1], after[2] - before[2]
        limits = s.rate_limits
        # A bucket lets `limit` requests through at once, then `limit` more every window.
        creates = limits.channel_creates
        bound_global = requests / limits.global_per_s
        bound_channels = max(0, math.ceil(len(live) / creates.limit) - 1) * creates.window_s
        return Figures(
            processes=processes,
            opened=opened,
            oversold=max(0, len(live) - args.items),  # every open ticket holds one unit
            held_without_ticket=max(0, counts["reserved"] - len(live)),
            errors=len(errors),
            unanswered=sum(1 for contents in final.values() if not contents),
            bare_channels=bare,
            r429=r429,
            requests=requests,
            seen=seen,
            invalid=invalid,
            last_ready_s=max(0.0, last_ready - start_wall),
            bound_s=max(bound_global, bound_channels),
            bound_global_s=bound_global,
            bound_channels_s=bound_channels,
            categories=categories,
            sold_out=len(sold_out),
            ack_p50_ms=percentile(ack_ms, 50) if ack_ms else 0.0,
            ack_p99_ms=percentile(ack_ms, 99) if ack_ms else 0.0,
            ack_max_ms=max(ack_ms, default=0.0),
        )
    finally:
        await client.close()
        sandbox.stop()
        mongo.stop()
        redis.stop()


def report(runs: list[Figures]) -> None:
    rows = [
        ("worker processes", lambda f: f"{f.processes}"),
        ("tickets opened (channel + instructions)", lambda f: f"{f.opened}"),
        ("told sold out", lambda f: f"{f.sold_out}"),
        ("oversold", lambda f: f"{f.oversold}"),
        ("units reserved by no open ticket", lambda f: f"{f.held_without_ticket}"),
        ("answered with an error", lambda f: f"{f.errors}"),
        ("unanswered", lambda f: f"{f.unanswered}"),
        ("channels without instructions", lambda f: f"{f.bare_channels}"),
        ("requests to Discord (all)", lambda f: f"{f.seen}"),
        ("  of which count toward 50/s", lambda f: f"{f.requests}"),
        ("429s (share of all requests)", lambda f: f"{f.r429} ({100 * f.r429 / max(1, f.seen):.2f} %)"),
        ("invalid requests (401/403/429)", lambda f: f"{f.invalid}"),
        ("Buy acknowledged p50/p99/max, ms", lambda f: f"{f.ack_p50_ms:.0f}/{f.ack_p99_ms:.0f}/{f.ack_max_ms:.0f}"),  # noqa: E501
        ("last ticket ready", lambda f: f"{f.last_ready_s:.1f} s"),
        ("bound: requests ÷ 50/s", lambda f: f"{f.bound_global_s:.1f} s"),
        ("bound: channels ÷ channel creation rate", lambda f: f"{f.bound_channels_s:.1f} s"),
        ("last ready ÷ bound (target ≤ 1.5)", lambda f: f"{f.last_ready_s / max(f.bound_s, 1e-9):.2f}"),
        ("categories holding tickets", lambda f: f"{f.categories}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, cell in rows:
        print(f"{name:<{width}}  " + "  ".join(f"{cell(f):>14}" for f in runs))
    worst = max(runs, key=lambda f: f.last_ready_s / max(f.bound_s, 1e-9))
    print(
        "BENCH flash_sale"
        f" opened={min(f.opened for f in runs)}"
        f" oversold={max(f.oversold for f in runs)}"
        f" errors={max(f.errors for f in runs)}"
        f" unanswered={max(f.unanswered for f in runs)}"
        f" bare_channels={max(f.bare_channels for f in runs)}"
        f" r429={max(f.r429 for f in runs)}"
        f" invalid={max(f.invalid for f in runs)}"
        f" last_ready_s={worst.last_ready_s:.1f}"
        f" bound_s={worst.bound_s:.1f}"
        f" categories={max(f.categories for f in runs)}"
    )


async def main(args: argparse.Namespace) -> None:
    runs = []
    for processes in args.processes:
        with scratch(f"bench-flash-{processes}-") as work:
            runs.append(await run(args, work, processes))
            print(f"run with {processes} worker process(es) done", file=sys.stderr)
    report(runs)


def _stop_on_sigterm() -> None:
    """SIGTERM ends the run like Ctrl-C, so the processes it started are stopped too."""

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


if __name__ == "__main__":
    _stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buyers", type=int, default=1000)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--window-s", type=float, default=10.0)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--timeout-s", type=float, default=900.0)
    parser.add_argument("--settle-s", type=float, default=3.0)
    os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    asyncio.run(main(parser.parse_args()))
