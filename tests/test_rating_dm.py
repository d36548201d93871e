"""Issue 17 (6, 8): the buyer can still rate when auto-close comes first, by DM with star
buttons that work there; and every Discord text of an Indonesian store is Indonesian (the
panel's buttons, the Verify/Reject prompt). Real bot, real workers, the Discord sandbox."""

from __future__ import annotations

from datetime import UTC, timedelta

from models.payment_method import PaymentKind, PaymentMethod
from models.rating import Rating
from models.store import Store, utcnow
from models.ticket import Actor, Ticket, TicketState
from models.ticket_message import TicketMessage
from tests.bot_driver import (
    answered,
    answers,
    click,
    messages,
    on_sandbox,
    open_shop,
    panel_message,
    responded,
    submit,
)
from tests.waiting import eventually
from workflows import tickets


def _dms(sandbox, user, needle):
    s = sandbox.server
    return on_sandbox(
        sandbox,
        lambda: [
            m
            for c in s.channels.values()
            if c.type == 1 and c.recipient_id == user.id
            for m in s.messages[c.id].values()
            if needle in str(m.components) or needle in m.content
        ],
    )


async def test_auto_close_first_the_buyer_rates_by_dm_once(
    sandbox, world, store, cipher, settings, start_worker, start_bot, relay_to_workers
):
    await open_shop(sandbox, world, store, settings, cipher)
    # The ticket closes a second after the key is delivered, before the buyer gets to rate in
    # the ticket: its channel, and the prompt in it, goes.
    await Store.get_pymongo_collection().update_one(
        {"guild_id": store.guild_id}, {"$set": {"tickets.auto_close_s": 1}}
    )
    start_worker()
    start_bot()
    buyer, seller = world["buyer"], world["seller"]
    panel = await panel_message(sandbox, world)
    click(sandbox, buyer, world["shop"].id, panel.id, "buy_btn")

    async def ticket_open():
        return await Ticket.find_one({"guild_id": store.guild_id, "channel_id": {"$ne": None}})

    ticket = await eventually(ticket_open, "a ticket with its channel")
    await tickets.verify(ticket.id, Actor(kind="seller", user_id=seller.id, name="seller"))

    async def prompt_in_ticket():
        current = await messages(sandbox, ticket.channel_id)
        return [m for m in current if f"rate:{ticket.id}:4" in str(m.components)]

    await eventually(prompt_in_ticket, "the rating prompt in the ticket channel")

    async def closed():
        current = await Ticket.get(ticket.id)
        return current if current.state is TicketState.CLOSED and current.transcript else None

    await eventually(closed, "the ticket auto-closed and archived")

    async def prompt_by_dm():
        return _dms(sandbox, buyer, f"rate:{ticket.id}:4")

    [prompt] = await eventually(prompt_by_dm, "the rating prompt in the buyer's DMs")
    assert f"#{ticket.number}" in prompt.content and "bintang" in prompt.content  # the store's language
    rate = click(sandbox, buyer, prompt.channel_id, prompt.id, f"rate:{ticket.id}:4")
    await eventually(responded(rate), "the rating modal, in the DM")
    assert rate.response_type == 9
    done = submit(sandbox, buyer, prompt.channel_id, f"rating:{ticket.id}:4", {"comment": "oke"})

    async def rated():
        return await Rating.find_one({"ticket_id": ticket.id})

    assert ((await eventually(rated, "the rating")).stars, (await rated()).comment) == (4, "oke")
    await eventually(answered(sandbox, done), "the thanks")
    assert "Terima kasih" in answers(sandbox, done)[0].content
    # Asked once: the completion's prompt, racing the close, did not DM a second time.
    assert len(_dms(sandbox, buyer, f"rate:{ticket.id}:1")) == 1


async def test_an_indonesian_store_speaks_indonesian_on_discord(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    await open_shop(sandbox, world, store, settings, cipher)
    await PaymentMethod(
        guild_id=store.guild_id,
        kind=PaymentKind.EWALLET,
        provider="DANA",
        details={"number": "081234567890", "account_name": "Toko Dana"},
        order=1,
    ).insert()
    start_worker()
    start_bot()
    buyer = world["buyer"]
    panel = await panel_message(sandbox, world)
    labels = [b["label"] for b in panel.components[0]["components"]]
    assert labels[:2] == ["Beli", "Pembayaran"] and "Stok: 1" in panel.embeds[0]["fields"][0]["value"]

    # The e-wallet is shown with its holder, as the bank account is (issue 17, 3).
    listing = click(sandbox, buyer, world["shop"].id, panel.id, "payment_btn")
    await eventually(answered(sandbox, listing), "the payment methods")
    described = answers(sandbox, listing)[0].embeds[0]["description"]
    assert "**DANA** 081234567890 a.n. Toko Dana" in described and "None" not in described

    click(sandbox, buyer, world["shop"].id, panel.id, "buy_btn")

    async def ticket_open():
        return await Ticket.find_one({"guild_id": store.guild_id, "channel_id": {"$ne": None}})

    ticket = await eventually(ticket_open, "a ticket with its channel")

    async def instructions():
        return [m for m in await messages(sandbox, ticket.channel_id) if "paid:" in str(m.components)]

    opening = (await eventually(instructions, "the purchase instructions"))[0]

    async def recorded():
        return await TicketMessage.find_one({"message_id": opening.id})

    # The transcript's time of a message is when it was sent (its id says so, as Discord's do).
    sent_at = (await eventually(recorded, "the instructions in the transcript log")).created_at
    assert abs(sent_at.replace(tzinfo=UTC) - utcnow()) < timedelta(minutes=1)
    methods = click(sandbox, buyer, ticket.channel_id, opening.id, f"methods:{ticket.id}")
    await eventually(answered(sandbox, methods), "the payment method menu")
    menu = answers(sandbox, methods)[0].components[0]["components"][0]
    assert [o["description"] for o in menu["options"]] == ["Transfer bank", "E-wallet"]
    assert menu["placeholder"] == "Metode pembayaran"
    paid = click(sandbox, buyer, ticket.channel_id, opening.id, f"paid:{ticket.id}")
    await eventually(responded(paid), "the payment modal")
    submit(sandbox, buyer, ticket.channel_id, f"report:{ticket.id}", {"reference": "BCA a.n. BUDI"})

    async def verify_request():
        return [
            m
            for m in await messages(sandbox, ticket.channel_id)
            if f"verify:{ticket.id}" in str(m.components)
        ]

    request = (await eventually(verify_request, "sellers asked to verify"))[0]
    assert [b["label"] for b in request.components[0]["components"]] == ["Verifikasi", "Tolak"]
