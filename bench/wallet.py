"""Saldo benchmark (issue 21, item 6): a crowd spending saldo while top-ups arrive by webhook.

On its own MongoDB (a one-node replica set, as in production) and Redis, with the webhook app
served by granian (`web.webhooks:standalone`, as production serves it): 200 buyers each hold
Rp 30.000 of saldo and fire 5 purchases of Rp 10.000 at once (1 000 purchases in flight), while
50 of them have a top-up whose bank mutation is posted to the Moota webhook at the same moment
(each twice, as providers repeat). Then every wallet is checked against its ledger:

  * mismatched: wallets whose balance is not the sum of their entries;
  * negative: wallets below zero;
  * double_credits: top-ups credited more than once, and causes (refs) that moved money twice;
  * lost: purchases told "paid" without their ledger entry, or with an entry but told "refused";
    purchases refused while their buyer's money would have covered them (the buyer's final
    balance is Rp 10.000 or more although one of their purchases was refused).

Purchases are ledger debits (`workflows.wallet.debit`, "purchase:<buyer>:<n>"), the step every
saldo payment takes. Last line:
BENCH wallet purchases_per_s=<n> negative=<n> mismatched=<n> double_credits=<n>
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

import models  # noqa: E402
from bench._scratch import scratch  # noqa: E402
from launcher.embedded import child_env, free_port, start_mongod, start_redis  # noqa: E402
from models.store import Store  # noqa: E402
from models.topup import TopUp, TopUpState  # noqa: E402
from models.wallet import EntryKind, WalletEntry  # noqa: E402
from workflows import products, topups, wallet  # noqa: E402
from workflows.errors import InsufficientSaldo  # noqa: E402

GUILD = 78
SECRET = "bench-moota-secret-0123"
START = 30_000  # each buyer's saldo before the rush
PRICE = 10_000  # each purchase
FIRST_BUYER = 10_000


def signed(topup: TopUp) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        [{"mutation_id": f"m-{topup.id}", "amount": topup.amount_due, "type": "CR", "bank_type": "bca"}]
    ).encode()
    return body, {"Signature": hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}


def serve(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
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
        stderr=log.open("wb"),
    )


async def wait_for_port(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit(f"webhook server did not start; see {log}")
        await asyncio.sleep(0.05)


async def main(args: argparse.Namespace, work: Path) -> int:
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
    log = work / "server.log"
    server = serve(port, env, log)
    client = await models.connect(mongo.url, "bench")
    try:
        store = await products.open_store(GUILD, name="Bench")
        await Store.get_pymongo_collection().update_one({"_id": store.id}, {"$set": {"moota_secret": SECRET}})
        buyers = [FIRST_BUYER + n for n in range(args.buyers)]
        for start in range(0, len(buyers), 100):
            await asyncio.gather(
                *(
                    wallet.credit(GUILD, b, START, kind=EntryKind.TOPUP, ref=f"seed:{b}")
                    for b in buyers[start : start + 100]
                )
            )
        pending = [
            await topups.request(store, buyers[n * len(buyers) // args.topups], 20_000)
            for n in range(args.topups)
        ]
        await wait_for_port(port, server, log)
        url = f"http://127.0.0.1:{port}/webhooks/moota/{GUILD}"
        told: dict[str, bool] = {}  # purchase ref → told "paid"

        async def purchase(buyer: int, n: int) -> None:
            ref = f"purchase:{buyer}:{n}"
            try:
                await wallet.debit(GUILD, buyer, PRICE, kind=EntryKind.PURCHASE, ref=ref)
                told[ref] = True
            except InsufficientSaldo:
                told[ref] = False

        async with httpx.AsyncClient(timeout=60) as http:
            await http.post(url, content=b"[]", headers={"Signature": "warm-up"})

            async def notify(topup: TopUp) -> None:
                body, headers = signed(topup)
                for _ in range(2):  # providers repeat a notification
                    response = await http.post(url, content=body, headers=headers)
                    assert response.status_code == 200, response.text

            started = time.perf_counter()
            rush = [purchase(b, n) for b in buyers for n in range(args.per_buyer)]
            await asyncio.gather(*rush, *(notify(t) for t in pending))
            elapsed = time.perf_counter() - started

        check = await wallet.check_ledger(GUILD)
        entries = WalletEntry.get_pymongo_collection()
        recorded = {
            e["ref"] async for e in entries.find({"guild_id": GUILD, "kind": EntryKind.PURCHASE.value})
        }
        paid = {ref for ref, ok in told.items() if ok}
        lost = len(paid ^ recorded)
        for b in buyers:  # a refusal while the money was there is a lost purchase too
            refused = sum(1 for n in range(args.per_buyer) if not told.get(f"purchase:{b}:{n}", True))
            if refused and await wallet.balance(GUILD, b) >= PRICE:
                lost += 1
        double = len(check.double_credits)
        for topup in pending:
            credits = await entries.count_documents({"guild_id": GUILD, "ref": f"topup:{topup.id}"})
            double += max(credits - 1, 0)
        credited = await TopUp.find({"guild_id": GUILD, "state": TopUpState.CREDITED.value}).count()
    finally:
        server.terminate()
        server.wait(20)
        await client.close()
        mongo.stop()
        redis.stop()
    purchases = len(told)
    print(
        f"{purchases} purchases ({len(paid)} paid, {purchases - len(paid)} refused for lack of saldo)"
        f" and {len(pending)} top-ups ({credited} credited) in {elapsed:.2f} s;"
        f" {check.wallets} wallets, {check.entries} ledger entries checked; lost purchases: {lost}"
    )
    print(
        f"BENCH wallet purchases_per_s={purchases / elapsed:.0f} negative={len(check.negative)}"
        f" mismatched={len(check.mismatched)} double_credits={double}"
    )
    return 0 if check.ok and lost == 0 and double == 0 and credited == len(pending) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--per-buyer", type=int, default=5)
    parser.add_argument("--topups", type=int, default=50)
    os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    arguments = parser.parse_args()
    with scratch("bench-wallet-") as work:
        code = asyncio.run(main(arguments, work))
    sys.exit(code)
