"""Timers in MongoDB: how the sweeper claims due work, and how often it sends it again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from models.store import utcnow
from models.ticket import DeliveryRecord
from tests.conftest import GUILD
from tests.helpers import SELLER, automatic_product, buyer
from workflows import tickets, timers


async def _paid_ticket(cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    return (await tickets.verify(ticket.id, SELLER)).ticket


async def test_a_delivery_that_keeps_failing_is_sent_again_less_and_less_often(store, cipher):
    paid = await tickets.get_ticket((await _paid_ticket(cipher)).id)
    now = paid.next_due_at  # the delivery watchdog comes due: the delivery never happened
    gaps = []
    for _ in range(10):
        [work] = await timers.claim_due(now)
        assert (work.ticket_id, work.action) == (paid.id, "deliver_product")
        assert await timers.claim_due(now) == []  # claimed: not sent twice meanwhile
        again = (await tickets.get_ticket(paid.id)).next_due_at
        gaps.append((again - now).total_seconds())
        now = again

    # 30 s, 1 min, 2 min, … then at most an hour: not a dead letter every 30 s forever.
    assert gaps == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


async def test_a_transition_starts_the_waiting_over(store, cipher):
    paid = await _paid_ticket(cipher)
    now = paid.next_due_at
    for _ in range(3):  # three deliveries failed
        await timers.claim_due(now)
        now = (await tickets.get_ticket(paid.id)).next_due_at

    record = DeliveryRecord(via="manual", item_count=1, delivered_at=utcnow())
    await tickets.complete(paid.id, record, by=SELLER)  # the seller delivered it after all
    completed = await tickets.get_ticket(paid.id)
    [work] = await timers.claim_due(completed.next_due_at)

    assert work.action == "auto_close"
    claimed = await tickets.get_ticket(paid.id)
    assert claimed.next_due_at - completed.next_due_at == timedelta(seconds=30)
    assert claimed.due_attempts == 1


async def test_two_sweepers_at_once_send_each_due_ticket_once(store, cipher):
    product = await automatic_product(cipher, items=20)
    opened = [await tickets.open_ticket(GUILD, product.id, buyer(n)) for n in range(20)]
    now = max(t.next_due_at for t in opened)  # every unpaid ticket has expired

    first, second = await asyncio.gather(timers.claim_due(now), timers.claim_due(now))

    sent = [w.ticket_id for w in first + second]
    assert sorted(sent) == sorted(t.id for t in opened)
    assert {w.action for w in first + second} == {"expire_unpaid"}
