"""Concurrent reads and transitions of one process share round trips, and each keeps its own
answer: the race winner is told it won, every loser that it lost, nothing is ever created."""

from __future__ import annotations

import asyncio

from beanie import PydanticObjectId

from models import batch
from models.stock_item import StockItem
from models.ticket import Actor, Ticket
from tests.conftest import GUILD
from tests.helpers import SELLER, automatic_product, buyer
from workflows import stock, tickets


async def _commands_sent() -> dict[str, int]:
    """How many find and update commands the server has received so far."""
    status = await Ticket.get_pymongo_collection().database.client.admin.command("serverStatus")
    commands = status["metrics"]["commands"]
    return {name: commands[name]["total"] for name in ("find", "update")}


async def _open(cipher, count: int) -> list[Ticket]:
    product = await automatic_product(cipher, items=count)
    return list(
        await asyncio.gather(*(tickets.open_ticket(GUILD, product.id, buyer(7000 + n)) for n in range(count)))
    )


async def test_many_sellers_verifying_one_ticket_in_one_batch_move_it_once(store, cipher):
    (ticket,) = await _open(cipher, 1)
    sellers = [Actor(kind="seller", user_id=900 + n, name=f"s{n}") for n in range(8)]
    # Everyone acts on the same loaded copy: all eight updates go in one bulk write.
    results = await asyncio.gather(*(tickets.verify(ticket, s) for s in sellers))
    assert sum(r.applied for r in results) == 1
    assert all("someone else" in r.message for r in results if not r.applied)
    saved = await tickets.get_ticket(ticket.id)
    assert saved.version == 1 and [h.trigger for h in saved.history] == ["open", "verify"]
    assert len(saved.outbox) == 1


async def test_concurrent_transitions_of_different_tickets_all_land(store, cipher):
    opened = await _open(cipher, 20)
    results = await asyncio.gather(*(tickets.verify(t, SELLER) for t in opened))
    assert all(r.applied for r in results)
    saved = await asyncio.gather(*(tickets.get_ticket(t.id) for t in opened))
    assert [t.state.value for t in saved] == ["paid"] * 20
    assert {t.id for t in saved} == {t.id for t in opened}  # each read got its own ticket


async def test_an_update_of_a_missing_document_matches_nothing_and_creates_nothing(store):
    collection = Ticket.get_pymongo_collection()
    ghost = PydanticObjectId()
    matched = await batch.conditional_update(
        collection, ghost, {"state": "open", "version": 0}, [{"$set": {"state": {"$literal": "paid"}}}]
    )
    assert matched is False
    assert await collection.count_documents({"_id": ghost}) == 0
    assert await batch.find_by_id(collection, ghost) is None


async def test_a_failing_update_fails_only_its_own_caller(store, cipher):
    good, bad = await _open(cipher, 2)
    collection = Ticket.get_pymongo_collection()
    ok, error = await asyncio.gather(
        batch.conditional_update(collection, good.id, {"version": 0}, {"$set": {"note": "fine"}}),
        batch.conditional_update(collection, bad.id, {"version": 0}, {"$inc": {"buyer_name": 1}}),
        return_exceptions=True,
    )
    assert ok is True
    assert isinstance(error, Exception) and "buyer_name" in str(error)
    assert (await collection.find_one({"_id": good.id}))["note"] == "fine"


async def test_fifty_concurrent_transitions_take_far_fewer_round_trips(store, cipher):
    opened = await _open(cipher, 50)
    before = await _commands_sent()
    results = await asyncio.gather(*(tickets.verify(t.id, SELLER) for t in opened))
    after = await _commands_sent()
    assert all(r.applied for r in results)
    reads, writes = after["find"] - before["find"], after["update"] - before["update"]
    # 50 reads and 50 conditional updates, sent one by one, would be 100 round trips.
    assert 1 <= reads <= 5 and 1 <= writes <= 5, (reads, writes)


async def test_concurrent_claims_each_bind_the_oldest_payment_of_their_own_amount(store, cipher):
    from datetime import timedelta

    from models.incoming_payment import IncomingPayment
    from models.store import utcnow
    from workflows import payments

    opened = await _open(cipher, 3)
    now = utcnow()
    first = opened[0]
    older = IncomingPayment(guild_id=GUILD, amount=first.amount_due, received_at=now - timedelta(minutes=5))
    newer = IncomingPayment(guild_id=GUILD, amount=first.amount_due, received_at=now)
    others = [IncomingPayment(guild_id=GUILD, amount=t.amount_due) for t in opened[1:]]
    for payment in [newer, older, *others]:
        await payment.insert()
    # The first ticket's message arrives twice: the second claim takes the remaining payment.
    claims = await asyncio.gather(*(payments.claim_incoming_payment(t) for t in [first, first, *opened[1:]]))
    assert claims[0] == older.id and claims[1] == newer.id
    assert claims[2:] == [p.id for p in others]
    bound = {p.id: p.ticket_id async for p in IncomingPayment.find_all()}
    assert bound == {
        older.id: first.id,
        newer.id: first.id,
        **{p.id: t.id for p, t in zip(others, opened[1:], strict=True)},
    }
    # Nothing of that amount is free any more: a check run again finds the money it claimed.
    assert await payments.claim_incoming_payment(first) in {older.id, newer.id}


async def test_concurrent_transcript_reads_each_get_their_own_messages_in_order(store):
    from datetime import timedelta

    from models.store import utcnow
    from models.ticket_message import TicketMessage

    first, second = PydanticObjectId(), PydanticObjectId()
    start = utcnow()
    for n, ticket_id in enumerate([first, second, first, second, first]):
        await TicketMessage(
            ticket_id=ticket_id,
            guild_id=GUILD,
            channel_id=5,
            message_id=100 + n,
            author_id=1,
            author_name="b",
            content=f"m{n}",
            created_at=start - timedelta(seconds=n),  # written newest first
        ).insert()
    collection = TicketMessage.get_pymongo_collection()
    a, b, none = await asyncio.gather(
        *(
            batch.find_all(collection, {"ticket_id": t}, "created_at")
            for t in [first, second, PydanticObjectId()]
        )
    )
    assert [m["content"] for m in a] == ["m4", "m2", "m0"]
    assert [m["content"] for m in b] == ["m3", "m1"]
    assert none == []


async def test_concurrent_hand_overs_take_their_own_keys_in_one_write(store, cipher):
    opened = await _open(cipher, 30)
    product_id = opened[0].product.product_id
    before = await _commands_sent()

    await asyncio.gather(*(stock.hand_over(t) for t in opened))

    assert (await _commands_sent())["update"] - before["update"] <= 3  # one by one: 30
    assert await stock.counts(product_id) == {"available": 0, "reserved": 0, "delivered": 30}
    delivered = StockItem.find({"product_id": product_id, "status": "delivered"})
    assert {item.ticket_id async for item in delivered} == {t.id for t in opened}


async def test_buyers_clicking_together_share_one_stock_read_never_one_taken_before_they_clicked(db):
    """A rush of Buy clicks reads the shop's stock once per batch; a click that comes while a
    read is in flight waits for the next read, so "sold out" is never said from a count taken
    before the click (a unit released meanwhile is seen)."""
    collection = StockItem.get_pymongo_collection()
    reads: list[int] = []
    first_read_started, release_first = asyncio.Event(), asyncio.Event()

    async def read(guild_id: int) -> int:
        reads.append(guild_id)
        if len(reads) == 1:
            first_read_started.set()
            await release_first.wait()
        return len(reads)  # which read answered

    early = [asyncio.create_task(batch.shared_read("stock", collection, GUILD, read)) for _ in range(5)]
    await first_read_started.wait()
    late = [asyncio.create_task(batch.shared_read("stock", collection, GUILD, read)) for _ in range(5)]
    release_first.set()
    assert await asyncio.gather(*early) == [1] * 5  # five clicks, one read
    assert await asyncio.gather(*late) == [2] * 5  # came during it: the next read, not the old one
    assert reads == [GUILD, GUILD]


async def test_a_rush_of_panel_clicks_is_recorded_click_by_click(db):
    from datetime import UTC, datetime

    from models.event import Event, EventKind
    from workflows import analytics

    at = datetime(2026, 12, 3, tzinfo=UTC)
    await asyncio.gather(*(analytics.record_panel_click(GUILD, 700 + n, at) for n in range(40)))
    clicks = await Event.find({"guild_id": GUILD, "kind": EventKind.PANEL_CLICK.value}).to_list()
    assert sorted(e.user_id for e in clicks) == list(range(700, 740))
