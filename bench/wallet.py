"""Saldo benchmark (issue 21, item 6): a crowd buying with saldo while top-ups arrive by webhook.

On its own MongoDB (a one-node replica set, as in production) and Redis, with the webhook app
served by granian (`web.webhooks:standalone`, as production serves it): 200 buyers each hold
Rp 30.000 of saldo and fire 5 purchases at once (1 000 purchases in flight), while 50 of them
have a Rp 20.000 top-up whose bank mutation is posted to the Moota webhook at the same moment
(each twice, as providers repeat).

A purchase is the panel's "Buy with saldo" path (`bot.buttons.buy_saldo`), without Discord: a
ticket without a channel is opened for the buyer (`tickets.open_ticket`, which reserves a stock
item of an automatic product), paid with `saldo_payments.pay(ticket, by=buyer)` (the ledger's
debit, the ticket's `open → paid` and its delivery's outbox entry in one transaction; the entry
is relayed to the store's Dramatiq queue on Redis, as the bot relays it, and left there: no
worker runs) and, when the saldo does not cover it (InsufficientSaldo), cancelled so its item
goes back on the shelf. Every purchase is of one automatic product of Rp 10.000 with a stock
item for each purchase, so none is refused for want of stock: a buyer without a top-up pays
three and is refused two for lack of saldo; one whose top-up is credited in time pays all five.
The store lets a buyer hold 5 open tickets and has no cooldown (its default of 30 s between two
tickets would refuse all but a buyer's first click).

Then every wallet, ticket and stock item is checked:

  * mismatched: wallets whose balance is not the sum of their entries;
  * negative: wallets below zero;
  * double_credits: top-ups credited more than once, and causes (refs) that moved money twice;
  * lost: a purchase told "paid" whose ticket is not paid from saldo or has no ledger entry; a
    ticket paid from saldo without its purchase entry, or an entry without its paid ticket; a
    purchase told "refused" whose ticket was debited, paid or not cancelled; a refusal whose
    saldo covered the price, or that names a balance the buyer's ledger never had (the refusal
    reads the balance inside the payment's transaction, so it is one of the ledger's running
    balances whatever the order the top-ups came in);
  * paid twice: tickets with more than one purchase entry or more than one payment in their
    history; items astray: stock items held by two tickets, paid tickets not holding exactly
    their items, cancelled tickets still holding some;
  * errors: purchases that failed any other way (not opened, refused for another reason).

Last line:
BENCH wallet purchases_per_s=<n> negative=<n> mismatched=<n> double_credits=<n>
(exit status 1 when any figure above is off, or a top-up is not credited).

A run on the 2-core machine this store is developed on, while other sessions' test suites were
using it too (load average ~10), so the rate is a floor, not a figure for a quiet machine:
  1000 purchases of an automatic product: 700 tickets paid from saldo, 300 refused for lack of
  saldo (ticket cancelled), 0 failed otherwise; 50 top-ups posted twice each, 50 credited; in
  32.45 s
  200 wallets, 950 ledger entries checked; lost purchases: 0; tickets paid twice: 0; stock items
  astray: 0; deliveries queued: 700
  BENCH wallet purchases_per_s=31 negative=0 mismatched=0 double_credits=0
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
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from beanie import PydanticObjectId  # noqa: E402
from redis.asyncio import Redis as AsyncRedis  # noqa: E402

import models  # noqa: E402
from bench._scratch import scratch  # noqa: E402
from launcher.embedded import child_env, free_port, start_mongod, start_redis  # noqa: E402
from models.product import Product  # noqa: E402
from models.settings import Settings  # noqa: E402
from models.stock_item import StockItem, StockItemStatus  # noqa: E402
from models.store import Store  # noqa: E402
from models.ticket import Actor, Ticket, TicketOutcome, TicketState  # noqa: E402
from models.topup import TopUp, TopUpState  # noqa: E402
from models.wallet import EntryKind, WalletEntry  # noqa: E402
from workers.queues import ACTOR_QUEUES  # noqa: E402
from workers.sender import Sender  # noqa: E402
from workflows import outbox, products, saldo_payments, stock, tickets, topups, wallet  # noqa: E402
from workflows.actor_names import ActorName  # noqa: E402
from workflows.errors import InsufficientSaldo, StoreError  # noqa: E402
from workflows.stock_cipher import StockCipher  # noqa: E402

GUILD = 78
SECRET = "bench-moota-secret-0123"
SECRET_KEY = "bench-" + "k" * 40
NAMESPACE = "store"
START = 30_000  # each buyer's saldo before the rush
TOPUP = 20_000  # what 50 of them top up meanwhile
PRICE = 10_000  # each purchase
FIRST_BUYER = 10_000


@dataclass
class Outcome:
    """What one purchase told its buyer."""

    ticket_id: PydanticObjectId | None = None
    price: int = 0
    paid: bool = False
    refusal: InsufficientSaldo | None = None  # refused for lack of saldo
    error: str = ""  # failed otherwise


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


def buyer(user_id: int) -> Actor:
    return Actor(kind="buyer", user_id=user_id, name=f"buyer{user_id}")


async def purchase(product: Product, user_id: int) -> Outcome:
    """Buy with saldo, as `bot.buttons.buy_saldo.on_buy_with_saldo` does after its click."""
    actor = buyer(user_id)
    try:
        ticket = await tickets.open_ticket(GUILD, product.id, actor)
    except StoreError as error:
        return Outcome(price=product.price, error=f"not opened: {error!r}")
    try:
        await saldo_payments.pay(ticket, actor)
        return Outcome(ticket.id, product.price, paid=True)
    except InsufficientSaldo as refused:
        # Spent meanwhile by another purchase: the ticket goes, its item back on the shelf.
        await tickets.cancel(ticket, actor, "saldo did not cover it")
        return Outcome(ticket.id, product.price, refusal=refused)
    except saldo_payments.SaldoRefused as refused:
        await tickets.cancel(ticket, actor, "saldo did not cover it")
        return Outcome(ticket.id, product.price, error=f"refused: {refused.key}")


@dataclass
class Findings:
    lost: int = 0
    paid_twice: int = 0
    items_astray: int = 0


async def examine(outcomes: dict[tuple[int, int], Outcome]) -> Findings:
    """Tickets, purchase entries and stock items against what each purchase was told."""
    found = Findings()
    entries = WalletEntry.get_pymongo_collection()
    held: dict[int, set[int]] = defaultdict(set)  # buyer → every running balance of their wallet
    debits: dict[PydanticObjectId, list[dict]] = defaultdict(list)  # ticket → its purchase entries
    async for entry in entries.find({"guild_id": GUILD}):
        held[entry["buyer_id"]].add(entry["balance_after"])
        if entry["kind"] == EntryKind.PURCHASE.value:
            debits[entry["ticket_id"]].append(entry)
    sold = {t.id: t for t in await Ticket.find({"guild_id": GUILD}).to_list()}

    for ticket_id, made in debits.items():
        found.paid_twice += len(made) - 1
        ticket = sold.get(ticket_id)
        if ticket is None or not saldo_payments.paid_from_saldo(ticket):
            found.lost += 1  # money taken for a ticket that is not paid
        elif ticket.verification.wallet_entry_id != made[0]["_id"] or made[0]["amount"] != -ticket.subtotal:
            found.lost += 1
    for ticket in sold.values():
        found.paid_twice += max(sum(1 for h in ticket.history if h.trigger == "verify") - 1, 0)
        if saldo_payments.paid_from_saldo(ticket) and ticket.id not in debits:
            found.lost += 1  # paid without its money taken

    for (user_id, _n), outcome in outcomes.items():
        ticket = sold.get(outcome.ticket_id) if outcome.ticket_id else None
        if outcome.paid:
            if ticket is None or ticket.state is not TicketState.PAID or ticket.id not in debits:
                found.lost += 1
        elif outcome.refusal is not None:
            refusal = outcome.refusal
            wrongly = refusal.balance >= refusal.amount or refusal.balance not in held[user_id]
            if wrongly or refusal.amount != outcome.price:
                found.lost += 1  # refused although the saldo covered it
            elif ticket is None or ticket.outcome is not TicketOutcome.CANCELLED or ticket.id in debits:
                found.lost += 1

    # Stock: an item belongs to one ticket at most (it holds one `ticket_id`), and no two paid
    # tickets carry the same item (a cancelled ticket keeps its copy of an item put back on the
    # shelf, which a later ticket may then take).
    paid = [t for t in sold.values() if t.state is TicketState.PAID]
    copies = Counter(item for t in paid for item in t.sealed_items)
    found.items_astray += sum(n - 1 for n in copies.values() if n > 1)
    holding: Counter[PydanticObjectId] = Counter()
    off_shelf = {"guild_id": GUILD, "status": {"$ne": StockItemStatus.AVAILABLE.value}}
    async for item in StockItem.get_pymongo_collection().find(off_shelf, projection={"ticket_id": 1}):
        holding[item["ticket_id"]] += 1
    for ticket in sold.values():
        should = ticket.quantity if ticket.state is TicketState.PAID else 0
        found.items_astray += abs(holding.pop(ticket.id, 0) - should)
    found.items_astray += sum(holding.values())  # held for no ticket at all
    return found


async def main(args: argparse.Namespace, work: Path) -> int:
    mongo = start_mongod(work / "mongodb")
    redis = start_redis(work / "redis", persistent=False)
    port = free_port()
    env = child_env(
        STORE_MONGODB_URL=mongo.url,
        STORE_MONGODB_DATABASE="bench",
        STORE_REDIS_URL=redis.url,
        STORE_REDIS_NAMESPACE=NAMESPACE,
        STORE_SECRET_KEY=SECRET_KEY,
        STORE_DATA_DIR=str(work / "data"),
    )
    log = work / "server.log"
    server = serve(port, env, log)
    client = await models.connect(mongo.url, "bench")
    # Deliveries are relayed to the store's queue through an asyncio Redis client, as the bot
    # relays them (`bot.app.run`).
    plain = Sender.for_redis(redis.url, NAMESPACE)
    queue = AsyncRedis.from_url(redis.url)
    outbox.configure(Sender(plain.broker, queue).dispatch)
    try:
        store = await products.open_store(GUILD, name="Bench")
        await Store.get_pymongo_collection().update_one(
            {"_id": store.id},
            {
                "$set": {
                    "moota_secret": SECRET,
                    "tickets.max_open_tickets_per_buyer": args.per_buyer,
                    "tickets.cooldown_s": 0,
                }
            },
        )
        cipher = StockCipher(Settings(secret_key=SECRET_KEY, _env_file=None).stock_encryption_key())
        product = await products.create_product(GUILD, name="Voucher 10K", price=PRICE)
        items = [f"voucher{i:05d}@mail.test:pw{i}" for i in range(args.buyers * args.per_buyer)]
        await stock.add_items(product, items, cipher)  # an item for every purchase
        buyers = [FIRST_BUYER + n for n in range(args.buyers)]
        for start in range(0, len(buyers), 100):
            await asyncio.gather(
                *(
                    wallet.credit(GUILD, b, START, kind=EntryKind.TOPUP, ref=f"seed:{b}")
                    for b in buyers[start : start + 100]
                )
            )
        pending = [
            await topups.request(store, buyers[n * len(buyers) // args.topups], TOPUP)
            for n in range(args.topups)
        ]
        await wait_for_port(port, server, log)
        url = f"http://127.0.0.1:{port}/webhooks/moota/{GUILD}"
        outcomes: dict[tuple[int, int], Outcome] = {}

        async def buy(user_id: int, n: int) -> None:
            try:
                outcomes[(user_id, n)] = await purchase(product, user_id)
            except Exception as error:  # counted and shown, not raised: the checks still run
                outcomes[(user_id, n)] = Outcome(error=repr(error))

        async with httpx.AsyncClient(timeout=60) as http:
            await http.post(url, content=b"[]", headers={"Signature": "warm-up"})

            async def notify(topup: TopUp) -> None:
                body, headers = signed(topup)
                for _ in range(2):  # providers repeat a notification
                    response = await http.post(url, content=body, headers=headers)
                    assert response.status_code == 200, response.text

            started = time.perf_counter()
            rush = [buy(b, n) for b in buyers for n in range(args.per_buyer)]
            await asyncio.gather(*rush, *(notify(t) for t in pending))
            elapsed = time.perf_counter() - started

        check = await wallet.check_ledger(GUILD)
        found = await examine(outcomes)
        entries = WalletEntry.get_pymongo_collection()
        double = len(check.double_credits)
        for topup in pending:
            credits = await entries.count_documents({"guild_id": GUILD, "ref": f"topup:{topup.id}"})
            double += max(credits - 1, 0)
        credited = await TopUp.find({"guild_id": GUILD, "state": TopUpState.CREDITED.value}).count()
        queued = await queue.llen(f"{NAMESPACE}:{ACTOR_QUEUES[ActorName.DELIVER_PRODUCT]}")
    finally:
        outbox.configure(None)
        await queue.aclose()
        server.terminate()
        server.wait(20)
        await client.close()
        mongo.stop()
        redis.stop()
    purchases = len(outcomes)
    paid = sum(o.paid for o in outcomes.values())
    refused = sum(o.refusal is not None for o in outcomes.values())
    errors = [o.error for o in outcomes.values() if o.error]
    for error in sorted(set(errors))[:5]:
        print(f"failed purchase: {error} (×{errors.count(error)})")
    print(
        f"{purchases} purchases of an automatic product: {paid} tickets paid from saldo,"
        f" {refused} refused for lack of saldo (ticket cancelled), {len(errors)} failed otherwise;"
        f" {len(pending)} top-ups posted twice each, {credited} credited; in {elapsed:.2f} s"
    )
    print(
        f"{check.wallets} wallets, {check.entries} ledger entries checked;"
        f" lost purchases: {found.lost}; tickets paid twice: {found.paid_twice};"
        f" stock items astray: {found.items_astray}; deliveries queued: {queued}"
    )
    print(
        f"BENCH wallet purchases_per_s={purchases / elapsed:.0f} negative={len(check.negative)}"
        f" mismatched={len(check.mismatched)} double_credits={double}"
    )
    sound = found.lost == 0 and found.paid_twice == 0 and found.items_astray == 0 and not errors
    return 0 if check.ok and sound and double == 0 and credited == len(pending) else 1


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
