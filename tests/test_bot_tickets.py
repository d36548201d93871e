"""Tickets under pressure: restarts, bursts of buyers, sold out, closing."""

from __future__ import annotations

from models.ticket import Ticket, TicketState
from tests.bot_driver import (
    answered,
    answers,
    click,
    messages,
    on_sandbox,
    open_shop,
    panel_message,
    responded,
    settled,
)
from tests.waiting import eventually


async def _instructions(sandbox, channel_id):
    async def probe():
        return [m for m in await messages(sandbox, channel_id) if "paid:" in str(m.components)]

    return (await eventually(probe, "the purchase instructions"))[0]


async def test_buttons_posted_before_a_bot_restart_still_work_after_it(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    await open_shop(sandbox, world, store, settings, cipher)
    start_worker()  # it makes the ticket channels
    bot = start_bot()
    panel = await panel_message(sandbox, world)
    click(sandbox, world["buyer"], world["shop"].id, panel.id, "buy_btn")

    async def opened():
        return await Ticket.find_one({"channel_id": {"$ne": None}})

    ticket = await eventually(opened, "the ticket")
    opening = await _instructions(sandbox, ticket.channel_id)

    bot.terminate()
    bot.wait(20)
    start_bot()
    await eventually(lambda: _sessions(sandbox, 1), "the new bot's gateway session")

    paid = click(sandbox, world["buyer"], ticket.channel_id, opening.id, f"paid:{ticket.id}")
    await eventually(responded(paid), "an answer from the restarted bot")
    assert paid.response_type == 9 and not paid.late  # the payment modal opened, in time


async def _sessions(sandbox, count):
    return on_sandbox(sandbox, lambda: len(sandbox.server.sessions)) == count


async def test_fifty_buyers_clicking_buy_at_once_are_all_answered_in_time(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    await open_shop(sandbox, world, store, settings, cipher, items=10)
    start_worker()  # it makes the ticket channels
    start_bot()
    panel = await panel_message(sandbox, world)
    s = sandbox.server

    def crowd():
        buyers = [s.add_user(f"buyer{n}") for n in range(50)]
        for user in buyers:
            s.add_member(world["guild"], user)
        return buyers

    buyers = on_sandbox(sandbox, crowd)
    clicks = [click(sandbox, user, world["shop"].id, panel.id, "buy_btn") for user in buyers]

    async def all_answered():
        return all([await settled(sandbox, c)() for c in clicks])

    await eventually(all_answered, "a final answer for every buyer", within=90)
    assert all(c.response_type is not None and not c.late for c in clicks)  # every click acknowledged < 3 s
    texts = [answers(sandbox, c)[0].content for c in clicks]
    opened = [t for t in texts if t.startswith("Tiket Anda sudah dibuka")]
    sold_out = [t for t in texts if "sedang habis" in t]
    assert len(opened) == 10 and len(sold_out) == 40, texts
    assert await Ticket.find({"state": TicketState.OPEN.value}).count() == 10
    # py-cord met the sandbox's rate limits and waited; no buyer saw an error.
    assert not [t for t in texts if "gagal" in t.lower()]


async def test_a_buyer_closes_a_completed_ticket_after_confirming(
    sandbox, world, store, cipher, settings, relay_to_workers, start_worker, start_bot
):
    from tests.helpers import SELLER
    from workflows import tickets

    await open_shop(sandbox, world, store, settings, cipher)
    start_worker()
    start_bot()
    panel = await panel_message(sandbox, world)
    click(sandbox, world["buyer"], world["shop"].id, panel.id, "buy_btn")

    async def opened():
        return await Ticket.find_one({"channel_id": {"$ne": None}})

    ticket = await eventually(opened, "the ticket")
    await tickets.verify(ticket.id, SELLER)

    async def prompt():
        return [
            m for m in await messages(sandbox, ticket.channel_id) if f"close:{ticket.id}" in str(m.components)
        ]

    rating_prompt = (await eventually(prompt, "the rating prompt with a Close button"))[0]
    asked = click(sandbox, world["buyer"], ticket.channel_id, rating_prompt.id, f"close:{ticket.id}")
    await eventually(answered(sandbox, asked), "the confirmation question")
    question = answers(sandbox, asked)[0]
    assert f"close_confirm:{ticket.id}" in str(question.components)
    assert (await Ticket.get(ticket.id)).state is TicketState.COMPLETED  # nothing happens without confirming
    click(sandbox, world["buyer"], ticket.channel_id, question.id, f"close_confirm:{ticket.id}")

    async def closed():
        found = await Ticket.get(ticket.id)
        return found.state is TicketState.CLOSED and found.transcript is not None

    await eventually(closed, "the ticket closed and archived")
    assert ticket.channel_id not in on_sandbox(sandbox, lambda: set(sandbox.server.channels))
