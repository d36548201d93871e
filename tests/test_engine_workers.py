"""The engine with real `dramatiq` worker processes on real MongoDB and Redis."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from models.stock_item import StockItem
from models.store import Store, utcnow
from models.ticket import Ticket, TicketOutcome, TicketState
from models.ticket_message import TicketMessage
from tests.conftest import GUILD
from tests.helpers import SELLER, automatic_product, buyer, manual_product
from tests.waiting import eventually
from workers.discord import recorded_actions, recorded_requests
from workflows import stock, tickets

TICKET_CHANNEL = 700_001
LOG_CHANNEL = 700_002


async def _state(ticket_id, *states: TicketState):
    ticket = await tickets.get_ticket(ticket_id)
    return ticket if ticket.state in states else None


async def _archived(ticket_id):
    ticket = await tickets.get_ticket(ticket_id)
    return ticket if ticket.state is TicketState.CLOSED and ticket.next_due_at is None else None


async def _outbox_drained(ticket_id):
    ticket = await tickets.get_ticket(ticket_id)
    return ticket if not ticket.outbox else None


async def _delivered_items(ticket_id, count):
    return await StockItem.find({"ticket_id": ticket_id, "status": "delivered"}).count() == count


async def _stock_is(product_id, **expected):
    return await stock.counts(product_id) == expected


async def _store_settings(**changes):
    await Store.get_pymongo_collection().update_one({"guild_id": GUILD}, {"$set": changes})


async def test_a_ticket_lives_from_open_to_closed_through_real_workers(
    store, cipher, settings, relay_to_workers, start_worker, aredis
):
    await _store_settings(**{"tickets.auto_close_s": 0, "log_channel_id": LOG_CHANNEL})
    product = await automatic_product(cipher, items=2)
    start_worker()
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(501, "budi"))
    await tickets.attach_channel(ticket.id, TICKET_CHANNEL)
    await TicketMessage(
        ticket_id=ticket.id,
        guild_id=GUILD,
        channel_id=TICKET_CHANNEL,
        message_id=1,
        author_id=501,
        author_name="budi",
        content="sudah transfer ya kak",
        created_at=utcnow(),
    ).insert()

    await tickets.report_payment(ticket.id, buyer(501, "budi"), "BCA a.n. BUDI")

    async def sellers_asked():
        actions = await recorded_actions(aredis, settings.redis_namespace)
        return [a for a in actions if a["kind"] == "post" and a["target"] == TICKET_CHANNEL]

    asked = await eventually(sellers_asked, "the sellers to be asked to verify")
    assert "BCA a.n. BUDI" in asked[0]["content"]
    assert [c["custom_id"] for c in asked[0]["components"][0]["components"]] == [
        f"verify:{ticket.id}",
        f"reject:{ticket.id}",
    ]

    await tickets.verify(ticket.id, SELLER)
    closed = await eventually(lambda: _archived(ticket.id), "the ticket to be closed and archived")
    # The rating prompt races the zero-delay auto-close; either way it is handled.
    closed = await eventually(lambda: _outbox_drained(ticket.id), "every follow-up to be handled")

    assert [h.trigger for h in closed.history] == [
        "open",
        "report_payment",
        "verify",
        "complete",
        "close",
    ]
    assert closed.outcome is TicketOutcome.COMPLETED
    assert closed.delivery.via == "dm" and closed.delivery.item_count == 1
    assert closed.outbox == []
    actions = await recorded_actions(aredis, settings.redis_namespace)
    dms = [a for a in actions if a["kind"] == "dm" and a["target"] == 501]
    delivered = [a for a in dms if "user0@mail.test:pass0" in a["content"]]
    assert len(delivered) == 1 and "#1" in delivered[0]["content"]
    prompts = [a for a in actions if "Beri nilai" in a.get("content", "")]  # locale id
    # Closed unrated: asked by DM once; a prompt posted in the channel before the close went with it.
    assert [p["target"] for p in prompts if p["target"] == 501] == [501]
    assert {p["target"] for p in prompts} <= {TICKET_CHANNEL, 501}
    log_posts = [a for a in actions if a["target"] == LOG_CHANNEL]
    assert len(log_posts) == 1 and log_posts[0]["files"][0]["filename"] == "ticket-1.html"
    assert any(a["kind"] == "delete_channel" and a["target"] == TICKET_CHANNEL for a in actions)
    page = Path(closed.transcript.path).read_text()  # noqa: ASYNC240 (a test reading one file)
    assert "sudah transfer ya kak" in page and "Toko Digital" in page
    await eventually(
        lambda: _stock_is(product.id, available=1, reserved=0, delivered=1), "the stock to settle"
    )


async def test_two_verifications_at_the_same_moment_deliver_once(
    store, cipher, settings, relay_to_workers, start_worker, aredis
):
    import asyncio

    product = await automatic_product(cipher, items=1)
    start_worker()
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    await asyncio.gather(
        tickets.verify(ticket.id, SELLER), tickets.verify(ticket.id, SELLER), return_exceptions=True
    )
    done = await eventually(lambda: _state(ticket.id, TicketState.COMPLETED), "the delivery")
    await eventually(
        lambda: _rating_prompted(aredis, settings.redis_namespace),
        "the rating prompt after the delivery",
    )
    dms = [a for a in await recorded_actions(aredis, settings.redis_namespace) if a["kind"] == "dm"]
    assert len([a for a in dms if "mail.test" in a["content"]]) == 1
    assert [h.trigger for h in done.history].count("complete") == 1


async def test_a_worker_started_on_its_own_takes_its_tuning_from_the_store_settings(
    store, cipher, settings, relay_to_workers, start_worker
):
    """`./store workers` runs plain `dramatiq`: the store's STORE_* tuning must still hold, and
    a Dramatiq variable left in the environment that says otherwise is named, not obeyed."""
    product = await automatic_product(cipher, items=1)
    worker = start_worker(
        threads=2,
        env={"STORE_WORKER_TIMEOUT_MS": "40", "STORE_QUEUE_PREFETCH": "3", "dramatiq_queue_prefetch": "64"},
    )

    async def tuning():
        return [line for line in worker.log().splitlines() if "worker tuning" in line]

    line = (await eventually(tuning, "the worker to log its tuning"))[0]
    assert "idle timeout 40 ms, prefetch 3 messages per queue, 2 threads" in line
    assert "dramatiq_queue_prefetch=64 is ignored: the store's STORE_QUEUE_PREFETCH gives 3" in worker.log()
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    await tickets.verify(ticket.id, SELLER)
    await eventually(lambda: _state(ticket.id, TicketState.COMPLETED), "the delivery")


async def _rating_prompted(aredis, namespace):
    return [a for a in await recorded_actions(aredis, namespace) if "rate" in str(a.get("components"))]


async def test_the_same_delivery_message_three_times_delivers_once(
    store, cipher, settings, db, sender, start_worker, aredis
):
    product = await automatic_product(cipher, items=3)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(), quantity=2)
    await tickets.verify(ticket.id, SELLER)  # no dispatcher: the test sends the messages itself
    for _ in range(3):
        sender.send("deliver_product", ticket_id=str(ticket.id))
    start_worker(threads=4)
    done = await eventually(lambda: _state(ticket.id, TicketState.COMPLETED), "the delivery")

    async def all_three_handled():
        key = f"{settings.redis_namespace}:delivery"
        return await aredis.llen(key) == 0 and not await aredis.keys(f"{settings.redis_namespace}:__acks__.*")

    await eventually(all_three_handled, "all three messages to be processed")
    dms = [a for a in await recorded_actions(aredis, settings.redis_namespace) if a["kind"] == "dm"]
    deliveries = [a for a in dms if "mail.test" in a["content"]]
    assert len(deliveries) == 1
    assert deliveries[0]["content"].count("mail.test") == 2
    assert [h.trigger for h in (await tickets.get_ticket(ticket.id)).history].count("complete") == 1
    assert done.delivery.item_count == 2
    await eventually(
        lambda: _stock_is(product.id, available=1, reserved=0, delivered=2), "the stock to settle"
    )


async def test_closed_dms_deliver_into_the_ticket_channel(
    store, settings, relay_to_workers, start_worker, aredis
):
    product = await manual_product(units=1)
    await aredis.sadd(f"{settings.redis_namespace}:discord:dm_closed", "501")
    start_worker()
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(501))
    await tickets.attach_channel(ticket.id, TICKET_CHANNEL)
    await tickets.verify(ticket.id, SELLER)
    done = await eventually(lambda: _state(ticket.id, TicketState.COMPLETED), "the delivery")
    assert done.delivery.via == "ticket"
    posts = [
        a for a in await recorded_actions(aredis, settings.redis_namespace) if a["target"] == TICKET_CHANNEL
    ]
    assert "booster will contact you" in posts[0]["content"] and "DM Anda tertutup" in posts[0]["content"]


async def test_a_delivery_that_cannot_be_made_tells_the_seller_once(
    store, cipher, settings, relay_to_workers, start_worker, aredis
):
    ns = settings.redis_namespace
    await _store_settings(log_channel_id=LOG_CHANNEL)
    product = await automatic_product(cipher, items=1)
    await aredis.sadd(f"{ns}:discord:dm_closed", "777")
    start_worker()
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(777))  # its channel never came
    await tickets.verify(ticket.id, SELLER)

    async def failed_attempts(n):
        failures = [json.loads(f) for f in await aredis.lrange(f"{ns}:__failures__", 0, -1)]
        return len([f for f in failures if f["actor"] == "deliver_product"]) >= n

    await eventually(lambda: failed_attempts(1), "the delivery to fail")
    await relay_to_workers.relay("deliver_product", ticket_id=str(ticket.id))  # the watchdog's re-send
    await eventually(lambda: failed_attempts(2), "the second attempt to fail")

    stuck = await tickets.get_ticket(ticket.id)
    assert stuck.state is TicketState.PAID
    assert stuck.delivery_problem == "the buyer does not accept direct messages and the ticket has no channel"
    alerts = [a for a in await recorded_actions(aredis, ns) if a["target"] == LOG_CHANNEL]
    assert len(alerts) == 1
    assert (await recorded_requests(aredis, ns))[f"post:{LOG_CHANNEL}"] == 1  # not sent per attempt
    assert f"#{ticket.number}" in alerts[0]["content"] and "<@777>" in alerts[0]["content"]
    assert "tidak dapat dikirim" in alerts[0]["content"] and "DM-nya tertutup" in alerts[0]["content"]


async def test_worker_killed_mid_delivery_completes_exactly_once_after_restart(
    store, cipher, settings, relay_to_workers, start_worker, aredis
):
    product = await automatic_product(cipher, items=1)
    ns = settings.redis_namespace
    for round_number, point in enumerate(("send_dm:before", "send_dm:after")):
        await aredis.delete(f"{ns}:discord:actions", f"{ns}:discord:held")
        await aredis.hset(f"{ns}:discord:hold", point, "1")
        first = start_worker()
        ticket = await tickets.open_ticket(GUILD, product.id, buyer(600 + round_number))
        await tickets.verify(ticket.id, SELLER)
        assert (
            await aredis.blpop(f"{ns}:discord:held", timeout=20) is not None
        )  # the worker is inside send_dm
        first.kill()
        await aredis.hdel(f"{ns}:discord:hold", point)
        start_worker()
        done = await eventually(
            lambda ticket=ticket: _state(ticket.id, TicketState.COMPLETED),
            f"recovery after a kill at {point}",
        )
        dms = [a for a in await recorded_actions(aredis, ns) if a["kind"] == "dm" and "pass0" in a["content"]]
        assert len(dms) == 1, point
        assert [h.trigger for h in done.history].count("complete") == 1
        await eventually(
            lambda ticket=ticket: _delivered_items(ticket.id, 1), "the delivered key to be settled"
        )
        # Give the key back for the second round.
        await StockItem.get_pymongo_collection().update_many(
            {}, {"$set": {"status": "available", "ticket_id": None}}
        )
        await tickets.close(ticket.id, SELLER)


async def test_a_seller_cancelling_while_the_key_is_on_its_way_does_not_put_it_back_on_sale(
    store, cipher, settings, relay_to_workers, start_worker, aredis
):
    product = await automatic_product(cipher, items=1)
    ns = settings.redis_namespace
    await aredis.hset(f"{ns}:discord:hold", "send_dm:before", "1")
    start_worker()
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(650))
    await tickets.verify(ticket.id, SELLER)
    assert await aredis.blpop(f"{ns}:discord:held", timeout=20) is not None  # the DM is on its way

    cancelled = await tickets.cancel(ticket.id, SELLER, "refunded by mistake")
    await aredis.hdel(f"{ns}:discord:hold", "send_dm:before")

    assert cancelled.applied
    await eventually(lambda: _archived(ticket.id), "the cancelled ticket to be archived")
    await eventually(lambda: _outbox_drained(ticket.id), "the delivery to finish its work")
    dms = [a for a in await recorded_actions(aredis, ns) if a["kind"] == "dm" and "pass0" in a["content"]]
    assert len(dms) == 1  # the buyer has the key…
    assert await stock.counts(product.id) == {
        "available": 0,
        "reserved": 0,
        "delivered": 1,
    }  # …nobody else gets it
    done = await tickets.get_ticket(ticket.id)
    assert done.outcome is TicketOutcome.CANCELLED
    # …and the seller, who refunded, can see on the ticket that the key did reach the buyer.
    assert done.delivery is not None and done.delivery.via == "dm"
    assert done.delivery.note == "sent while the ticket was being cancelled"


async def test_timers_that_fell_due_while_everything_was_down_fire_on_restart(
    store, cipher, settings, db, start_worker
):
    product = await automatic_product(cipher, items=2)
    unpaid = await tickets.open_ticket(GUILD, product.id, buyer(1))
    delivered = await tickets.open_ticket(GUILD, product.id, buyer(2))
    await tickets.verify(delivered.id, SELLER)
    from models.ticket import DeliveryRecord

    await tickets.complete(delivered.id, DeliveryRecord(via="dm", item_count=1, delivered_at=utcnow()))
    # Nothing was running when both timers came due an hour ago.
    past = utcnow() - timedelta(hours=1)
    await Ticket.get_pymongo_collection().update_one(
        {"_id": unpaid.id}, {"$set": {"expires_at": past, "next_due_at": past}}
    )
    await Ticket.get_pymongo_collection().update_one(
        {"_id": delivered.id}, {"$set": {"auto_close_at": past, "next_due_at": past, "outbox": []}}
    )
    start_worker()
    expired = await eventually(lambda: _archived(unpaid.id), "the unpaid ticket to expire")
    closed = await eventually(lambda: _archived(delivered.id), "the completed ticket to auto-close")
    assert expired.outcome is TicketOutcome.EXPIRED and closed.outcome is TicketOutcome.COMPLETED
    await eventually(
        lambda: _stock_is(product.id, available=1, reserved=0, delivered=1), "the stock to settle"
    )


async def test_a_delivery_that_cannot_reach_the_buyer_waits_in_dead_letters_for_an_operator(
    store, cipher, settings, relay_to_workers, start_worker, aredis
):
    from redis import Redis

    from workers import ops
    from workers.sender import Sender

    product = await automatic_product(cipher, items=1)
    ns = settings.redis_namespace
    await aredis.sadd(f"{ns}:discord:dm_closed", "501")  # DMs closed and no ticket channel yet
    start_worker()
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(501))
    await tickets.verify(ticket.id, SELLER)
    sync_redis = Redis.from_url(settings.redis_url)

    async def dead():
        return ops.dead_letters(sync_redis, ns, "delivery")

    letters = await eventually(dead, "the delivery to be dead-lettered")
    assert letters[0].actor == "deliver_product" and letters[0].kwargs["ticket_id"] == str(ticket.id)
    assert "DMsClosed" in letters[0].error and "50007" in letters[0].error
    assert letters[0].retries == 1  # tried once: a refusal is not retried
    assert ops.recent_failures(sync_redis, ns)[0]["dead"] is True
    stats = {s.name: s for s in ops.queue_stats(sync_redis, ns)}
    assert stats["delivery"].dead == 1 and stats["delivery"].ready == 0
    assert ops.workers_alive(sync_redis, ns, settings.heartbeat_timeout_ms) == 1
    assert (await tickets.get_ticket(ticket.id)).state is TicketState.PAID  # nothing lost: still paid

    # The buyer opens their DMs; the operator retries the dead letter.
    await aredis.srem(f"{ns}:discord:dm_closed", "501")
    broker = Sender.for_redis(settings.redis_url, ns).broker
    assert ops.retry_dead_letter(broker, sync_redis, ns, "delivery", letters[0].redis_message_id)
    done = await eventually(lambda: _state(ticket.id, TicketState.COMPLETED), "the retried delivery")
    assert done.delivery.via == "dm"
    assert ops.dead_letters(sync_redis, ns, "delivery") == []
