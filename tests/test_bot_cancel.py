"""A buyer's Cancel in the ticket asks first (issue 17, item 7): nothing is cancelled until
they say Yes, No leaves the ticket as it was, and Yes clicked twice cancels once."""

from __future__ import annotations

from models.stock_item import StockItem, StockItemStatus
from models.ticket import Ticket, TicketOutcome, TicketState
from tests.bot_driver import answered, answers, click, messages, on_sandbox, open_shop, panel_message
from tests.waiting import eventually


async def _available(product) -> int:
    return await StockItem.find(
        {"product_id": product.id, "status": StockItemStatus.AVAILABLE.value}
    ).count()


async def test_a_buyers_cancel_asks_first_and_yes_twice_cancels_once(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    _, product = await open_shop(sandbox, world, store, settings, cipher)
    worker = start_worker()  # it makes the ticket channels
    start_bot()
    buyer = world["buyer"]
    panel = await panel_message(sandbox, world)
    click(sandbox, buyer, world["shop"].id, panel.id, "buy_btn")

    async def opened():
        return await Ticket.find_one({"channel_id": {"$ne": None}})

    ticket = await eventually(opened, "the ticket")

    async def instructions():
        found = await messages(sandbox, ticket.channel_id)
        return [m for m in found if f"cancel:{ticket.id}" in str(m.components)]

    opening = (await eventually(instructions, "the instructions with a Cancel button"))[0]
    assert await _available(product) == 0  # the one key is reserved for this ticket

    async def ready():
        return (await Ticket.get(ticket.id)).opening.done_at is not None

    await eventually(ready, "the ticket's opening done")
    # No worker until the answers are read: once cancelled, the archive deletes the ticket's
    # channel, and the ephemeral answers in it with it.
    worker.stop()

    asked = click(sandbox, buyer, ticket.channel_id, opening.id, f"cancel:{ticket.id}")
    await eventually(answered(sandbox, asked), "the confirmation question")
    question = answers(sandbox, asked)[0]
    assert "Batalkan pesanan ini?" in question.content and f"#{ticket.number}" in question.content
    labels = [c["label"] for row in question.components for c in row["components"]]
    assert labels == ["Ya, batalkan", "Tidak, lanjutkan"]
    # The first click only asks: the ticket is open, its key still reserved.
    assert (await Ticket.get(ticket.id)).state is TicketState.OPEN
    assert await _available(product) == 0

    # A Yes forged by a client (a ticket id the store never made) is answered, and changes nothing.
    forged = click(sandbox, buyer, ticket.channel_id, question.id, "cancel_confirm:../../tickets")
    await eventually(answered(sandbox, forged), "the answer to a forged Yes")
    assert "bukan buatan toko" in answers(sandbox, forged)[0].content
    assert (await Ticket.get(ticket.id)).state is TicketState.OPEN

    kept = click(sandbox, buyer, ticket.channel_id, question.id, f"cancel_keep:{ticket.id}")
    await eventually(answered(sandbox, kept), "the answer to No")
    assert "tetap berjalan" in answers(sandbox, kept)[0].content
    assert (await Ticket.get(ticket.id)).state is TicketState.OPEN

    yes = [click(sandbox, buyer, ticket.channel_id, question.id, f"cancel_confirm:{ticket.id}") for _ in "12"]

    async def both_answered():
        return all([await answered(sandbox, c)() for c in yes])

    await eventually(both_answered, "an answer to each Yes")
    said = [answers(sandbox, c)[-1].content for c in yes]
    assert said == [f"Tiket #{ticket.number} dibatalkan."] * 2, said
    cancelled = await Ticket.get(ticket.id)
    assert cancelled.state is TicketState.CLOSED and cancelled.outcome is TicketOutcome.CANCELLED
    assert [h.trigger for h in cancelled.history].count("cancel") == 1  # cancelled once

    assert await _available(product) == 1  # the key is back on sale

    start_worker()
    await eventually(
        lambda: _gone(sandbox, ticket.channel_id), "the cancelled ticket's channel archived and removed"
    )


async def _gone(sandbox, channel_id):
    return channel_id not in on_sandbox(sandbox, lambda: set(sandbox.server.channels))
