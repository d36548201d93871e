"""Payments benchmark: a signed Moota bank-mutation webhook → the ticket paid.

Serves `web.webhooks:standalone` with granian (the server Reflex runs in production) on its own
MongoDB and Redis, opens tickets, then posts one signed mutation per ticket: first one at a time
(latency: request sent → ticket paid, the handler verifies before it answers, checked in the
database), then 16 at a time (sustained valid callbacks per second).

Last line: BENCH payments p50_ms=<n> p99_ms=<n> callbacks_per_s=<n>
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

import models  # noqa: E402
from bench._figures import percentile  # noqa: E402
from bench._scratch import scratch  # noqa: E402
from launcher.embedded import child_env, free_port, start_mongod, start_redis  # noqa: E402
from models.store import Store  # noqa: E402
from models.ticket import Actor, Ticket, TicketState  # noqa: E402
from workflows import products, tickets  # noqa: E402

GUILD = 77
SECRET = "bench-moota-secret-0123"
_buyers = itertools.count(1)
_prices = itertools.count(10_000, 1_000)


async def open_tickets(count: int) -> list[Ticket]:
    opened: list[Ticket] = []
    while len(opened) < count:
        chunk = min(900, count - len(opened))  # 999 unique codes per price
        product = await products.create_product(
            GUILD, name=f"Voucher {len(opened)}", price=next(_prices), delivery_mode="manual", stock=chunk
        )
        for start in range(0, chunk, 100):
            batch = [
                tickets.open_ticket(GUILD, product.id, Actor(kind="buyer", user_id=next(_buyers)))
                for _ in range(min(100, chunk - start))
            ]
            opened.extend(await asyncio.gather(*batch))
    return opened


def signed(ticket: Ticket) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        [{"mutation_id": f"m-{ticket.id}", "amount": ticket.amount_due, "type": "CR", "bank_type": "bca"}]
    ).encode()
    return body, {"Signature": hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}


async def main(args: argparse.Namespace, work: Path) -> None:
    mongo = start_mongod(work / "mongodb")
    redis = start_redis(work / "redis", persistent=False)
    port = free_port()
    env = child_env(
        STORE_MONGODB_URL=mongo.url,
        STORE_MONGODB_DATABASE="bench",
        STORE_REDIS_URL=redis.url,
        STORE_SECRET_KEY="bench-" + "k" * 40,
        STORE_DATA_DIR=str(work / "data"),
    )
    server = subprocess.Popen(  # noqa: ASYNC220 (started once, before anything is measured)
        [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "web.webhooks:standalone",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(work / "server.log").open("wb"),
    )
    client = await models.connect(mongo.url, "bench")
    try:
        store = await products.open_store(GUILD, name="Bench")
        await Store.get_pymongo_collection().update_one(
            {"_id": store.id},
            {
                "$set": {
                    "moota_secret": SECRET,
                    "tickets.cooldown_s": 0,
                    "tickets.max_open_tickets_per_buyer": 50,
                }
            },
        )
        opened = await open_tickets(args.sequential + args.concurrent)
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"webhook server did not start; see {work / 'server.log'}")
            await asyncio.sleep(0.05)
        url = f"http://127.0.0.1:{port}/webhooks/moota/{GUILD}"
        collection = Ticket.get_pymongo_collection()
        async with httpx.AsyncClient(timeout=30) as http:
            await http.post(url, content=b"[]", headers={"Signature": "warm-up"})
            latencies = []
            for ticket in opened[: args.sequential]:
                body, headers = signed(ticket)
                started = time.perf_counter()
                response = await http.post(url, content=body, headers=headers)
                paid = await collection.count_documents({"_id": ticket.id, "state": TicketState.PAID.value})
                latencies.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200 and paid == 1, response.text

            rest = opened[args.sequential :]
            queue = iter(rest)

            async def sender() -> None:
                for ticket in queue:
                    body, headers = signed(ticket)
                    response = await http.post(url, content=body, headers=headers)
                    assert response.status_code == 200, response.text

            started = time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(args.parallel)))
            per_s = len(rest) / (time.perf_counter() - started)
        paid = await collection.count_documents({"guild_id": GUILD, "state": TicketState.PAID.value})
    finally:
        server.terminate()
        server.wait(20)
        await client.close()
        mongo.stop()
        redis.stop()
    p50, p99 = statistics.median(latencies), percentile(latencies, 99)
    print(
        f"webhook → ticket paid over {len(latencies)} mutations one at a time:"
        f" p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    print(
        f"sustained: {per_s:.0f} valid callbacks/s with {args.parallel} in flight; {paid} tickets paid in all"
    )
    print(f"BENCH payments p50_ms={p50:.1f} p99_ms={p99:.1f} callbacks_per_s={per_s:.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sequential", type=int, default=200)
    parser.add_argument("--concurrent", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=16)
    os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    arguments = parser.parse_args()
    with scratch("bench-payments-") as work:
        asyncio.run(main(arguments, work))
