"""A purchase through a real bot process, real worker processes and the Discord sandbox."""

from __future__ import annotations

from pathlib import Path

from discord_sandbox.state import Attachment
from models.rating import Rating
from models.store import Store, utcnow
from models.ticket import Ticket, TicketState
from models.ticket_message import TicketMessage
from tests.bot_driver import (
    answered,
    answers,
    click,
    messages,
    on_sandbox,
    open_shop,
    panel_message,
    png,
    responded,
    settled,
    submit,
)
from tests.waiting import eventually


async def test_a_buyer_buys_pays_is_verified_receives_the_key_by_dm_and_rates(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    category, _ = await open_shop(sandbox, world, store, settings, cipher)
    testimonials = on_sandbox(sandbox, lambda: sandbox.server.add_channel(world["guild"], "testimoni"))
    await Store.get_pymongo_collection().update_one(
        {"guild_id": store.guild_id}, {"$set": {"testimonial_channel_id": testimonials.id}}
    )
    guild_id = world["guild"].id
    start_worker()
    start_bot()
    shop, buyer, seller = world["shop"].id, world["buyer"], world["seller"]

    panel = await panel_message(sandbox, world)
    fields = panel.embeds[0]["fields"]
    assert (
        fields[0]["name"] == "Netflix 1 Bulan"
        and "Rp 50.000" in fields[0]["value"]
        and "Stok: 1" in fields[0]["value"]
    )

    clicked = click(sandbox, buyer, shop, panel.id, "buy_btn")

    async def ticket_open():
        return await Ticket.find_one({"guild_id": guild_id, "channel_id": {"$ne": None}})

    ticket = await eventually(ticket_open, "a ticket with its channel")
    # Acknowledged in time with a "thinking…" answer of its own, which is edited to the link.
    assert clicked.response_type == 5 and not clicked.late
    channel = on_sandbox(sandbox, lambda: sandbox.server.channels[ticket.channel_id])
    assert channel.name == "ticket-budi-netflix-1-bulan" and channel.parent_id == category.id

    async def instructions():
        return [m for m in await messages(sandbox, channel.id) if "paid:" in str(m.components)]

    opening = (await eventually(instructions, "the purchase instructions"))[0]
    assert "Rp 50." in opening.content and f"#{ticket.number}" in opening.content
    await eventually(settled(sandbox, clicked), "the answer with the channel link")
    assert [m.content for m in answers(sandbox, clicked)] == [f"Tiket Anda sudah dibuka: <#{channel.id}>"]

    # A stranger cannot post in the ticket; the buyer can.
    denied = on_sandbox(sandbox, lambda: sandbox.server._can(world["stranger"], channel, 1 << 10))
    assert denied is False

    # The buyer picks the bank transfer: it is recorded, and its instructions shown with the amount.
    methods = click(sandbox, buyer, channel.id, opening.id, f"methods:{ticket.id}")
    await eventually(answered(sandbox, methods), "the payment method menu")
    menu = answers(sandbox, methods)[0]
    option = menu.components[0]["components"][0]["options"][0]
    assert option["label"] == "BCA"
    chosen = click(sandbox, buyer, channel.id, menu.id, f"method:{ticket.id}", values=[option["value"]])
    await eventually(answered(sandbox, chosen), "the chosen method's instructions")
    how = answers(sandbox, chosen)[0].embeds[0]["description"]
    assert "1234567890 a.n. Toko Digital" in how and "Rp 50." in how
    assert str((await Ticket.get(ticket.id)).payment_method_id) == option["value"]

    # The buyer posts a screenshot of the transfer in the ticket, then reports the payment.
    proof = png()
    on_sandbox(
        sandbox,
        lambda: sandbox.server.user_sends(
            buyer, channel, "bukti transfer", [Attachment(7_000_001, "bukti.png", "image/png", proof)]
        ),
    )

    async def proof_copied():
        return await TicketMessage.find_one(
            {"ticket_id": ticket.id, "attachments": {"$elemMatch": {"stored_path": {"$ne": None}}}}
        )

    copied = await eventually(proof_copied, "the proof copied into the store's storage")
    assert (settings.data_dir / copied.attachments[0].stored_path).read_bytes() == proof

    paid = click(sandbox, buyer, channel.id, opening.id, f"paid:{ticket.id}")
    await eventually(responded(paid), "the payment modal")
    assert paid.response_type == 9
    submit(sandbox, buyer, channel.id, f"report:{ticket.id}", {"reference": "BCA a.n. BUDI"})

    async def verify_request():
        return [m for m in await messages(sandbox, channel.id) if f"verify:{ticket.id}" in str(m.components)]

    request = (await eventually(verify_request, "sellers asked to verify"))[0]
    refused = click(sandbox, buyer, channel.id, request.id, f"verify:{ticket.id}")
    await eventually(answered(sandbox, refused), "the buyer's refusal")
    assert "penjual" in answers(sandbox, refused)[0].content.lower()
    assert (await Ticket.get(ticket.id)).state is TicketState.OPEN

    click(sandbox, seller, channel.id, request.id, f"verify:{ticket.id}")

    async def delivered():
        s = sandbox.server
        return on_sandbox(
            sandbox,
            lambda: [
                m
                for c in s.channels.values()
                if c.type == 1 and c.recipient_id == buyer.id
                for m in s.messages[c.id].values()
                if "pass0" in m.content
            ],
        )

    dm = (await eventually(delivered, "the key in the buyer's DMs"))[0]
    assert "user0@mail.test:pass0" in dm.content

    async def rating_prompt():
        return [m for m in await messages(sandbox, channel.id) if f"rate:{ticket.id}:5" in str(m.components)]

    prompt = (await eventually(rating_prompt, "the rating prompt"))[0]
    rate = click(sandbox, buyer, channel.id, prompt.id, f"rate:{ticket.id}:5")
    await eventually(responded(rate), "the rating modal")
    assert rate.response_type == 9
    submit(sandbox, buyer, channel.id, f"rating:{ticket.id}:5", {"comment": "mantap, cepat"})

    async def rated():
        return await Rating.find_one({"ticket_id": ticket.id})

    rating = await eventually(rated, "the rating")
    assert (rating.stars, rating.comment) == (5, "mantap, cepat")

    async def testimonial():
        return [m for m in await messages(sandbox, testimonials.id) if "mantap, cepat" in m.content]

    assert "⭐⭐⭐⭐⭐" in (await eventually(testimonial, "the testimonial"))[0].content

    async def rated_on_panel():
        current = await messages(sandbox, world["shop"].id)
        return [m for m in current if m.embeds and "★ 5.0" in m.embeds[0]["fields"][0]["value"]]

    await eventually(rated_on_panel, "the seller's rating on the panel")
    assert (await Ticket.get(ticket.id)).payment_report.proof_ref == copied.attachments[0].stored_path

    # Time passes: the auto-close timer comes due, the transcript is archived, the channel goes.
    await Ticket.get_pymongo_collection().update_one(
        {"_id": ticket.id}, {"$set": {"auto_close_at": utcnow(), "next_due_at": utcnow()}}
    )

    async def archived():
        found = await Ticket.get(ticket.id)
        return found if found.transcript and found.next_due_at is None else None

    closed = await eventually(archived, "the archived transcript")
    assert ticket.channel_id not in on_sandbox(sandbox, lambda: set(sandbox.server.channels))
    page = Path(closed.transcript.path).read_text()  # noqa: ASYNC240
    # The proof is linked to the dashboard (which serves it to sellers), not inlined in the page.
    link = f"/files/tickets/{ticket.id}/attachments/{copied.message_id}/0"
    assert "bukti transfer" in page and link in page and "base64" not in page
