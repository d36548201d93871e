"""The ticket's life, transition by transition, in the domain (no workers)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from models.incoming_payment import IncomingPayment
from models.product import Product
from models.store import utcnow
from models.ticket import Actor, DeliveryRecord, Ticket, TicketOutcome, TicketState
from tests.conftest import GUILD
from tests.helpers import SELLER, automatic_product, buyer, manual_product
from workflows import delivery, outbox, payments, stock, tickets
from workflows.errors import NotPermitted, SoldOut, TransitionNotAllowed, UnknownTrigger


async def test_two_sellers_verifying_at_once_move_the_ticket_once(store, cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    other_seller = Actor(kind="seller", user_id=901, name="admin")
    results = await asyncio.gather(
        tickets.verify(ticket.id, SELLER),
        tickets.verify(ticket.id, other_seller),
        return_exceptions=True,
    )
    applied = [r for r in results if isinstance(r, tickets.TransitionResult) and r.applied]
    others = [r for r in results if r not in applied]
    assert len(applied) == 1 and len(others) == 1
    # The slower seller is told, whether they lost at the write or arrived just after it.
    assert (isinstance(others[0], tickets.TransitionResult) and "someone else" in others[0].message) or (
        isinstance(others[0], TransitionNotAllowed)
    )
    saved = await tickets.get_ticket(ticket.id)
    assert saved.version == 1
    assert [h.trigger for h in saved.history] == ["open", "verify"]
    assert [e.actor for e in saved.outbox] == ["deliver_product"]  # exactly one delivery asked for


async def test_losing_the_race_at_the_write_is_a_reported_no_op(store, cipher, monkeypatch):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    stale = await tickets.get_ticket(ticket.id)  # what a second seller loaded a moment ago
    await tickets.verify(ticket.id, SELLER)
    real_get = tickets.get_ticket
    calls = iter([stale])
    monkeypatch.setattr(tickets, "get_ticket", lambda tid: _first_or_real(calls, real_get, tid))
    result = await tickets.verify(ticket.id, Actor(kind="seller", user_id=901, name="admin"))
    assert not result.applied
    assert (
        result.message
        == f"ticket #{ticket.number} was changed by someone else first (it is now paid); nothing was done"
    )
    saved = await real_get(ticket.id)
    assert saved.version == 1 and len(saved.history) == 2 and len(saved.outbox) == 1


async def _first_or_real(calls, real_get, ticket_id):
    try:
        return next(calls)
    except StopIteration:
        return await real_get(ticket_id)


async def test_verifying_a_paid_ticket_again_is_refused_clearly(store, cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    await tickets.verify(ticket.id, SELLER)
    with pytest.raises(TransitionNotAllowed, match="cannot verify a ticket that is paid"):
        await tickets.verify(ticket.id, SELLER)


async def test_buyer_cannot_verify_their_own_payment(store, cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    with pytest.raises(NotPermitted):
        await tickets.verify(ticket.id, buyer())
    with pytest.raises(NotPermitted):
        await tickets.report_payment(ticket.id, buyer(user_id=12345), "BCA 123")
    assert (await tickets.get_ticket(ticket.id)).version == 0


async def test_unknown_trigger_is_refused_and_nothing_written(store, cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    with pytest.raises(UnknownTrigger, match="'refund_twice'"):
        await tickets.fire(ticket.id, "refund_twice", SELLER)
    with pytest.raises(NotPermitted):
        await tickets.fire(ticket.id, "complete", SELLER)
    saved = await tickets.get_ticket(ticket.id)
    assert saved.version == 0 and saved.state is TicketState.OPEN


async def test_buyer_cancelling_gives_the_key_back(store, cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    result = await tickets.cancel(ticket.id, buyer(), "changed my mind")
    assert result.applied and result.ticket.state is TicketState.CLOSED
    assert result.ticket.outcome is TicketOutcome.CANCELLED
    assert await stock.counts(product.id) == {"available": 1, "reserved": 0, "delivered": 0}
    # The next buyer can have it, and the first buyer's slot is free again.
    again = await tickets.open_ticket(GUILD, product.id, buyer(user_id=502))
    assert again.state is TicketState.OPEN


async def test_expiry_gives_manual_units_back(store):
    product = await manual_product(units=2)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(), quantity=2)
    assert await stock.available(product) == 0
    with pytest.raises(TransitionNotAllowed, match="does not expire until"):
        await tickets.expire(ticket.id)
    result = await tickets.expire(ticket.id, now=ticket.expires_at + timedelta(seconds=1))
    assert result.ticket.outcome is TicketOutcome.EXPIRED
    assert await stock.available(product) == 2
    assert (await Product.get(product.id)).reservations == []
    # Expiring twice is refused without touching the stock again.
    with pytest.raises(TransitionNotAllowed):
        await tickets.expire(ticket.id, now=ticket.expires_at + timedelta(seconds=2))
    assert await stock.available(product) == 2


async def test_report_payment_needs_a_reference(store, cipher):
    from workflows.errors import InvalidInput

    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    with pytest.raises(InvalidInput, match="reference"):
        await tickets.report_payment(ticket.id, buyer(), "   ")
    result = await tickets.report_payment(ticket.id, buyer(), "BCA transfer from BUDI S")
    assert result.ticket.payment_report.reference == "BCA transfer from BUDI S"
    assert result.ticket.state is TicketState.OPEN
    rejected = await tickets.reject_payment(ticket.id, SELLER, "no transfer of that amount")
    assert rejected.ticket.payment_report is None
    assert [h.trigger for h in rejected.ticket.history] == [
        "open",
        "report_payment",
        "reject_payment",
    ]
    assert rejected.ticket.history[-1].reason == "no transfer of that amount"
    # The buyer is told, and the sellers' "please verify" prompt is edited to say it was rejected.
    assert [e.actor for e in rejected.ticket.outbox] == [
        "verify_payment",
        "notify_ticket",
        "settle_payment_prompt",
    ]


async def test_follow_ups_of_a_process_that_died_are_relayed_by_the_sweeper(store, cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    # No dispatcher: as if the process died right after writing the transition.
    await tickets.verify(ticket.id, SELLER)
    assert [e.actor for e in (await tickets.get_ticket(ticket.id)).outbox] == ["deliver_product"]
    sent: list[tuple[str, str]] = []

    async def dispatch(ticket_id, entry):
        sent.append((str(ticket_id), entry.actor))

    outbox.configure(dispatch)
    assert await outbox.relay_stale() == 0  # younger than STALE_AFTER: its own process may still relay it
    await Ticket.get_pymongo_collection().update_one(
        {"_id": ticket.id},
        {"$set": {"outbox.0.created_at": ticket.created_at - timedelta(minutes=1)}},
    )
    assert await outbox.relay_stale() == 1
    assert sent == [(str(ticket.id), "deliver_product")]
    assert await outbox.relay_stale() == 0  # marked: not sent again while it waits in the queue
    # The delivery consumes its entry in the same write as its own transition.
    paid = await tickets.get_ticket(ticket.id)
    record = DeliveryRecord(via="dm", item_count=1, delivered_at=utcnow())
    done = await tickets.complete(paid, record, consumed=paid.outbox[0].id)
    assert [e.actor for e in done.ticket.outbox] == ["prompt_rating"]
    assert [e.actor for e in (await tickets.get_ticket(ticket.id)).outbox] == ["prompt_rating"]


async def test_the_funnel_counts_clicks_tickets_payments_and_sales(store, cipher):
    from workflows import analytics

    product = await automatic_product(cipher, items=3)
    start = utcnow()
    for user in (1, 2, 3, 4):
        await analytics.record_panel_click(GUILD, user, utcnow())
    sold = await tickets.open_ticket(GUILD, product.id, buyer(1))
    paid = await tickets.open_ticket(GUILD, product.id, buyer(2))
    dropped = await tickets.open_ticket(GUILD, product.id, buyer(3))
    await tickets.verify(sold.id, SELLER)
    await tickets.complete(sold.id, DeliveryRecord(via="dm", item_count=1, delivered_at=utcnow()))
    await tickets.verify(paid.id, SELLER)
    await tickets.cancel(dropped.id, buyer(3))
    result = await analytics.funnel(GUILD, start, utcnow() + timedelta(seconds=1))
    assert (result.panel_clicks, result.opened, result.paid, result.completed) == (4, 3, 2, 1)
    assert (result.cancelled, result.expired) == (1, 0)
    assert result.revenue == sold.amount_due
    assert result.conversion == pytest.approx(1 / 3)


async def test_delivered_keys_are_settled_never_put_back_on_the_shelf(store, cipher):
    product = await automatic_product(cipher, items=2)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(1))
    assert cipher.open(ticket.sealed_items[0]) == "user0@mail.test:pass0"  # delivery needs no re-read
    await tickets.verify(ticket.id, SELLER)
    await tickets.complete(ticket.id, DeliveryRecord(via="dm", item_count=1, delivered_at=utcnow()))
    await tickets.close(ticket.id, SELLER)
    # The crash-repair pass sees a reserved key of a closed ticket, but it was delivered.
    assert await stock.release_orphans(grace=timedelta(0)) == 0
    assert await stock.settle_deliveries() == 1
    assert await stock.counts(product.id) == {"available": 1, "reserved": 0, "delivered": 1}
    assert await stock.settle_deliveries() == 0


async def test_a_follow_up_handled_while_another_transition_runs_stays_handled(store, cipher):
    # The auto-close and the rating prompt of one ticket run at the same moment: the close read
    # the ticket before the prompt consumed its entry, and must not bring that entry back.
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    paid = (await tickets.verify(ticket.id, SELLER)).ticket
    [delivery] = [e for e in paid.outbox if e.actor == "deliver_product"]
    record = DeliveryRecord(via="dm", item_count=1, delivered_at=utcnow())
    await tickets.complete(ticket.id, record, consumed=delivery.id)
    read_by_auto_close = await tickets.get_ticket(ticket.id)
    [prompt] = [e for e in read_by_auto_close.outbox if e.actor == "prompt_rating"]

    await outbox.consume(ticket.id, prompt.id)  # the rating prompt was sent meanwhile
    result = await tickets.close(read_by_auto_close, Actor.system("auto-close timer"))

    assert result.applied
    stored = await tickets.get_ticket(ticket.id)
    # The consumed prompt stays consumed; the close asks for the rating again, by DM.
    assert [e.actor for e in stored.outbox] == ["archive_transcript", "prompt_rating"]
    assert [h.trigger for h in stored.history][-2:] == ["complete", "close"]


async def test_a_key_handed_to_delivery_is_never_sold_again_when_the_seller_cancels(store, cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(1))
    paid = (await tickets.verify(ticket.id, SELLER)).ticket

    await stock.hand_over(paid)  # the delivery is on its way to the buyer…
    cancelled = await tickets.cancel(ticket.id, SELLER, "refunded")  # …when the seller cancels

    assert cancelled.applied and cancelled.ticket.outcome is TicketOutcome.CANCELLED
    assert await stock.counts(product.id) == {"available": 0, "reserved": 0, "delivered": 1}
    with pytest.raises(SoldOut):
        await tickets.open_ticket(GUILD, product.id, buyer(2))
    await stock.hand_over(paid)  # a retried delivery changes nothing
    assert await stock.counts(product.id) == {"available": 0, "reserved": 0, "delivered": 1}


async def test_a_delivery_that_finds_its_ticket_cancelled_sends_nothing_and_the_key_goes_back_on_sale(
    store, cipher
):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(1))
    read_by_delivery = (await tickets.verify(ticket.id, SELLER)).ticket

    await tickets.cancel(ticket.id, SELLER, "refunded")  # before the delivery hands the key over

    assert not await delivery.hand_over(read_by_delivery)  # so it is not sent
    assert await stock.counts(product.id) == {"available": 1, "reserved": 0, "delivered": 0}
    resold = await tickets.open_ticket(GUILD, product.id, buyer(2))
    assert resold.sealed_items == read_by_delivery.sealed_items


async def test_a_second_delivery_attempt_after_the_first_completed_sends_nothing(store, cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(1))
    paid = (await tickets.verify(ticket.id, SELLER)).ticket
    assert await delivery.hand_over(paid)
    record = DeliveryRecord(via="dm", message_id=1, item_count=1, delivered_at=utcnow())
    await tickets.complete(paid, record, handed_over=True)

    assert not await delivery.hand_over(paid)  # a duplicate message holding the old read
    assert await stock.counts(product.id) == {"available": 0, "reserved": 0, "delivered": 1}


async def test_a_manual_unit_handed_over_stays_sold_when_the_seller_cancels(store):
    product = await manual_product(units=2)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(1))
    await tickets.verify(ticket.id, SELLER)

    delivered = await tickets.deliver_manually(ticket.id, SELLER, "done in game")
    other = await tickets.open_ticket(GUILD, product.id, buyer(2))
    await tickets.cancel(other.id, buyer(2))

    assert delivered.applied and delivered.ticket.state is TicketState.COMPLETED
    assert delivered.ticket.settle_pending is None  # nothing left for the sweeper
    stored = await Product.get(product.id)
    assert stored.stock == 1 and stored.reservations == []  # one sold, the cancelled one back


async def test_a_delivery_problem_shows_until_the_ticket_is_delivered(store, cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(1))
    await tickets.note_delivery_problem(ticket.id, "too early")  # not paid yet: nothing to deliver
    assert (await tickets.get_ticket(ticket.id)).delivery_problem is None

    await tickets.verify(ticket.id, SELLER)
    problem = "the buyer does not accept direct messages"
    assert await tickets.note_delivery_problem(ticket.id, problem)  # news: the seller is alerted
    assert not await tickets.note_delivery_problem(ticket.id, problem)  # the next attempt: not again
    assert (await tickets.get_ticket(ticket.id)).delivery_problem == problem

    delivered = await tickets.deliver_manually(ticket.id, SELLER, "sent the code by e-mail")
    assert delivered.applied and delivered.ticket.delivery_problem is None
    assert (await tickets.get_ticket(ticket.id)).delivery_problem is None


async def _reported(cipher, buyer_id: int = 1) -> Ticket:
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(buyer_id))
    return (await tickets.report_payment(ticket, buyer(buyer_id), "BCA transfer")).ticket


async def test_a_payment_check_that_died_after_claiming_the_money_verifies_when_run_again(store, cipher):
    ticket = await _reported(cipher)
    money = IncomingPayment(guild_id=GUILD, amount=ticket.amount_due, ticket_id=ticket.id)
    await money.insert()  # the first check bound the money, then its worker was killed

    assert await payments.verify_automatically(ticket)

    paid = await tickets.get_ticket(ticket.id)
    assert paid.state is TicketState.PAID and paid.verification.incoming_payment_id == money.id


async def test_copies_of_a_payment_check_at_once_verify_once_and_keep_the_money_bound(store, cipher):
    ticket = await _reported(cipher)
    money = IncomingPayment(guild_id=GUILD, amount=ticket.amount_due)
    await money.insert()

    found = await asyncio.gather(*(payments.verify_automatically(ticket) for _ in range(3)))

    assert found == [True, True, True]  # none of them asks the sellers to check by hand
    paid = await tickets.get_ticket(ticket.id)
    assert [h.trigger for h in paid.history].count("verify") == 1
    assert paid.verification.incoming_payment_id == money.id
    assert (await IncomingPayment.get(money.id)).ticket_id == ticket.id  # not given back by a loser


async def test_a_delivery_problem_is_forgotten_when_the_seller_cancels(store, cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(1))
    await tickets.verify(ticket.id, SELLER)
    await tickets.note_delivery_problem(ticket.id, "the buyer does not accept direct messages")

    cancelled = await tickets.cancel(ticket.id, SELLER, "refunded: could not deliver")

    assert cancelled.ticket.delivery_problem is None  # no "not delivered" flag on a closed ticket
    assert (await tickets.get_ticket(ticket.id)).delivery_problem is None
