"""Redis (the queues' broker) goes away for a while: a seller's Verify and a bank's payment
notification still succeed, and the delivery leaves within seconds of Redis coming back.

Each test runs its own redis-server (the session's one is shared by every test), stops it,
and starts it again on the same port, with a real worker process throughout.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

import models
from launcher.embedded import EmbeddedService, start_redis
from models.settings import Settings
from models.store import Store
from models.ticket import Ticket, TicketState
from tests.conftest import GUILD, WorkerProcess, isolated_settings
from tests.helpers import SELLER, automatic_product, buyer
from tests.waiting import eventually
from workers.sender import Sender
from workflows import outbox, payment_secrets, products, tickets
from workflows.stock_cipher import StockCipher

MOOTA_SECRET = "moota-secret-0123456789"
# Comfortably above what the way back costs (Dramatiq's consumer reconnects after 3 s, the
# sweeper passes every 0.1 s here), far below the 60 s an unrelayed entry used to wait.
BACK_WITHIN_S = 12.0


class OwnRedis:
    """A redis-server this test stops and starts again on the same port and data."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.service: EmbeddedService = start_redis(data_dir)

    def stop(self) -> None:
        self.service.stop()

    def start_again(self) -> None:
        self.service = start_redis(self.data_dir, port=self.service.port)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    redis = OwnRedis(tmp_path / "redis")
    yield redis
    redis.stop()


@pytest.fixture
def outage_settings(mongod: EmbeddedService, own_redis: OwnRedis, tmp_path: Path) -> Settings:
    return isolated_settings(mongod, own_redis.service, tmp_path / "data", "outage")


@pytest.fixture
async def seller_process(outage_settings: Settings) -> AsyncIterator[None]:
    """This test process plays the bot / dashboard: it makes transitions and relays them."""
    client = await models.connect(outage_settings.mongodb_url or "", outage_settings.mongodb_database)
    await products.open_store(GUILD, name="Toko Digital")
    sender = Sender.for_redis(outage_settings.redis_url or "", outage_settings.redis_namespace)
    outbox.configure(sender.dispatch)
    yield
    outbox.configure(None)
    await client.drop_database(outage_settings.mongodb_database)
    await client.close()


@pytest.fixture
def worker(outage_settings: Settings, tmp_path: Path) -> Iterator[WorkerProcess]:
    process = WorkerProcess(outage_settings, tmp_path / "worker.log")
    yield process
    process.stop()


async def _delivered(ticket_id):
    ticket = await tickets.get_ticket(ticket_id)
    return ticket if ticket.state is TicketState.COMPLETED and ticket.delivery else None


async def test_seller_verifies_while_redis_is_down_and_the_key_leaves_when_it_is_back(
    outage_settings, own_redis, seller_process, worker
):
    product = await automatic_product(StockCipher(outage_settings.stock_encryption_key()), items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())

    own_redis.stop()
    result = await tickets.verify(ticket.id, SELLER)

    assert result.applied, result.message  # the seller sees "verified", not "internal error"
    paid = await tickets.get_ticket(ticket.id)
    assert paid.state is TicketState.PAID
    assert [e.actor for e in paid.outbox] == ["deliver_product"]  # safe on the ticket

    own_redis.start_again()
    back = time.monotonic()
    done = await eventually(lambda: _delivered(ticket.id), "the delivery after Redis is back", BACK_WITHIN_S)
    assert done.delivery.via == "dm" and done.delivery.item_count == 1
    assert time.monotonic() - back < BACK_WITHIN_S


def _moota_body(amount: int) -> bytes:
    mutation = {
        "mutation_id": "m-outage",
        "amount": amount,
        "type": "CR",
        "bank_type": "bca",
        "description": "TRSF E-BANKING CR BUDI",
    }
    return json.dumps([mutation]).encode()


async def test_a_bank_notification_while_redis_is_down_answers_200_and_delivers_when_it_is_back(
    outage_settings, own_redis, seller_process, worker, monkeypatch
):
    from web.webhooks import webhooks

    monkeypatch.setattr(payment_secrets, "get_settings", lambda: outage_settings)
    await Store.get_pymongo_collection().update_one(
        {"guild_id": GUILD}, {"$set": {"moota_secret": MOOTA_SECRET}}
    )
    product = await automatic_product(StockCipher(outage_settings.stock_encryption_key()), items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    body = _moota_body(ticket.amount_due)
    signature = hmac.new(MOOTA_SECRET.encode(), body, hashlib.sha256).hexdigest()

    own_redis.stop()
    transport = httpx.ASGITransport(app=webhooks)
    async with httpx.AsyncClient(transport=transport, base_url="http://store") as http:
        response = await http.post(f"/webhooks/moota/{GUILD}", content=body, headers={"Signature": signature})

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"mutation_id": "m-outage", "status": "matched", "ticket_number": ticket.number}
    ]
    assert (await tickets.get_ticket(ticket.id)).state is TicketState.PAID

    own_redis.start_again()
    done = await eventually(lambda: _delivered(ticket.id), "the delivery after Redis is back", BACK_WITHIN_S)
    assert done.verification.automatic and done.delivery.item_count == 1


async def test_buyers_pressing_buy_while_redis_is_down_get_their_channels_when_it_is_back(
    sandbox, world, outage_settings, own_redis, seller_process, tmp_path
):
    """A flash sale with the queues' Redis down for a while: every buyer's click is answered
    at once ("being opened"), nothing is lost, and the ticket channels are made within seconds
    of Redis coming back."""
    from tests.bot_driver import answers, click, open_shop, panel_message, settled
    from tests.conftest import bot_process, worker_env
    from workflows.i18n import text

    cipher = StockCipher(outage_settings.stock_encryption_key())
    await open_shop(sandbox, world, await products.get_store(GUILD), outage_settings, cipher, items=3)
    worker = WorkerProcess(outage_settings, tmp_path / "worker.log")
    log = (tmp_path / "bot.log").open("wb")
    bot = bot_process(worker_env(outage_settings), log)
    try:
        panel = await panel_message(sandbox, world)
        own_redis.stop()
        crowd = [world["buyer"], world["stranger"]]
        clicks = [click(sandbox, person, world["shop"].id, panel.id, "buy_btn") for person in crowd]

        being_opened = [text("id", "opening.in_progress")]

        async def told_being_opened():
            return all([m.content for m in answers(sandbox, c)] == being_opened for c in clicks)

        await eventually(told_being_opened, "every buyer told the ticket is being opened")
        assert all(c.response_type == 5 and not c.late for c in clicks)

        own_redis.start_again()

        async def all_settled():
            return all([await settled(sandbox, c)() for c in clicks])

        await eventually(all_settled, "every buyer's channel after Redis is back", BACK_WITHIN_S + 10)
        finals = [answers(sandbox, c)[-1].content for c in clicks]
        assert all(f.startswith("Tiket Anda sudah dibuka") for f in finals), finals
        opened = await Ticket.find({"state": TicketState.OPEN.value}).to_list()
        assert len(opened) == 2 and all(t.channel_id for t in opened)
    finally:
        bot.terminate()
        bot.wait(20)
        log.close()
        worker.stop()
