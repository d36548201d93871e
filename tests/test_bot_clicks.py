"""Clicked twice, counted once, in Discord: "I have paid" submitted twice asks the sellers once,
and the Verify/Reject prompt loses its buttons once the payment is verified or rejected, by
whoever did it. A real bot process, a real worker process and the Discord sandbox."""

from __future__ import annotations

import pytest

from models.ticket import Actor, Ticket
from tests.bot_driver import answered, answers, click, messages, on_sandbox, open_shop, panel_message, submit
from tests.conftest import GUILD
from tests.waiting import eventually
from workflows import tickets


async def _ticket_with_instructions(sandbox, world):
    panel = await panel_message(sandbox, world)
    click(sandbox, world["buyer"], world["shop"].id, panel.id, "buy_btn")

    async def ticket_open():
        return await Ticket.find_one({"guild_id": GUILD, "channel_id": {"$ne": None}})

    ticket = await eventually(ticket_open, "a ticket with its channel")

    async def instructions():
        return [m for m in await messages(sandbox, ticket.channel_id) if "paid:" in str(m.components)]

    return ticket, (await eventually(instructions, "the purchase instructions"))[0]


def _prompts(sandbox, ticket):
    """The sellers' "please verify" messages of the ticket that still have their buttons."""

    async def probe():
        return [
            m
            for m in await messages(sandbox, ticket.channel_id)
            if m.author.bot and f"verify:{ticket.id}" in str(m.components)
        ]

    return probe


async def _report_twice(sandbox, world, ticket):
    buyer, channel_id = world["buyer"], ticket.channel_id
    first = submit(sandbox, buyer, channel_id, f"report:{ticket.id}", {"reference": "BCA a.n. BUDI"})
    second = submit(sandbox, buyer, channel_id, f"report:{ticket.id}", {"reference": "BCA a.n. BUDI"})
    for report in (first, second):
        await eventually(answered(sandbox, report), "the buyer's report acknowledged")
        assert [m.content for m in answers(sandbox, report)] == [
            "Terima kasih! Penjual akan memverifikasi pembayaran Anda."
        ]
    prompt = (await eventually(_prompts(sandbox, ticket), "sellers asked to verify"))[0]

    async def nothing_pending():
        saved = await Ticket.get(ticket.id)
        return not saved.outbox and saved.verify_prompt_id == prompt.id

    await eventually(nothing_pending, "the report's follow-ups done")
    saved = await Ticket.get(ticket.id)
    assert [h.trigger for h in saved.history].count("report_payment") == 1
    assert len(await _prompts(sandbox, ticket)()) == 1  # one "please verify", not two
    return prompt


async def test_i_have_paid_twice_asks_once_and_a_double_verify_clears_the_buttons(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    await open_shop(sandbox, world, store, settings, cipher)
    start_worker()
    start_bot()
    ticket, _ = await _ticket_with_instructions(sandbox, world)
    prompt = await _report_twice(sandbox, world, ticket)
    assert len(prompt.components[0]["components"]) == 2  # Verify and Reject

    # The seller double-clicks Verify: both clicks get a success, the ticket is verified once.
    seller = world["seller"]
    clicks = [click(sandbox, seller, ticket.channel_id, prompt.id, f"verify:{ticket.id}") for _ in range(2)]
    for each in clicks:
        await eventually(answered(sandbox, each), "the seller's answer")
    said = sorted(m.content for each in clicks for m in answers(sandbox, each))
    assert said == [
        f"Pembayaran tiket #{ticket.number} terverifikasi.",
        f"Tiket #{ticket.number} sudah terverifikasi (oleh seller).",
    ]
    assert [h.trigger for h in (await Ticket.get(ticket.id)).history].count("verify") == 1

    async def prompt_settled():
        edited = on_sandbox(sandbox, lambda: sandbox.server.messages[ticket.channel_id][prompt.id])
        return edited if not edited.components else None

    edited = await eventually(prompt_settled, "the prompt without its buttons")
    assert edited.content == f"✅ Pembayaran tiket #{ticket.number} diverifikasi oleh seller."


@pytest.mark.parametrize("outcome", ["rejected on the dashboard", "matched automatically"])
async def test_a_report_settled_elsewhere_clears_the_prompt_in_discord(
    sandbox, world, store, cipher, settings, start_worker, start_bot, relay_to_workers, outcome
):
    await open_shop(sandbox, world, store, settings, cipher)
    start_worker()
    start_bot()
    ticket, _ = await _ticket_with_instructions(sandbox, world)
    prompt = await _report_twice(sandbox, world, ticket)
    # As the dashboard's Reject or a bank notification does: the domain call, from another
    # process than the bot.
    if outcome == "rejected on the dashboard":
        owner = Actor(kind="seller", user_id=world["seller"].id, name="Sari")
        result = await tickets.reject_payment(ticket.id, owner, "belum ada transfer masuk")
        again = await tickets.reject_payment(ticket.id, owner, "belum ada transfer masuk")
        assert result.applied and not again.applied and tickets.already_done(again.ticket, "reject_payment")
        expected = f"❌ Pembayaran tiket #{ticket.number} ditolak oleh Sari: belum ada transfer masuk"
    else:
        result = await tickets.verify(ticket.id, Actor.system("payment match"), reason="amount received")
        assert result.applied
        expected = f"✅ Pembayaran tiket #{ticket.number} diverifikasi oleh pencocokan pembayaran otomatis."

    async def prompt_settled():
        edited = on_sandbox(sandbox, lambda: sandbox.server.messages[ticket.channel_id][prompt.id])
        return edited if not edited.components else None

    edited = await eventually(prompt_settled, "the prompt without its buttons")
    assert edited.content == expected
