"""Smaller promises of the bot: payment instructions, closed DMs, transcript edits, big catalogues."""

from __future__ import annotations

from models.product import Product
from models.store import Store
from models.ticket import Ticket
from models.ticket_message import TicketMessage
from tests.bot_driver import (
    answered,
    answers,
    click,
    messages,
    on_sandbox,
    open_shop,
    panel_message,
    settled,
)
from tests.conftest import GUILD
from tests.helpers import SELLER
from tests.waiting import eventually
from workflows import panel, qris, tickets


async def _buy(sandbox, world):
    first = await panel_message(sandbox, world)
    click(sandbox, world["buyer"], world["shop"].id, first.id, "buy_btn")

    async def opened():
        return await Ticket.find_one({"channel_id": {"$ne": None}})

    return await eventually(opened, "the ticket")


async def test_the_payment_button_shows_every_method_with_full_instructions(
    sandbox, world, store, cipher, settings, start_bot
):
    await open_shop(sandbox, world, store, settings, cipher)
    start_bot()
    shown = await panel_message(sandbox, world)
    asked = click(sandbox, world["buyer"], world["shop"].id, shown.id, "payment_btn")
    await eventually(answered(sandbox, asked), "the payment methods")
    reply = answers(sandbox, asked)[0]
    assert reply.flags & 64  # only the buyer sees it
    assert (
        "BCA" in reply.embeds[0]["description"]
        and "1234567890 a.n. Toko Digital" in reply.embeds[0]["description"]
    )


async def test_a_buyer_with_closed_dms_gets_the_key_in_the_ticket(
    sandbox, world, store, cipher, settings, relay_to_workers, start_worker, start_bot
):
    await open_shop(sandbox, world, store, settings, cipher)
    on_sandbox(sandbox, lambda: setattr(sandbox.server.users[world["buyer"].id], "dms_open", False))
    start_worker()
    start_bot()
    ticket = await _buy(sandbox, world)
    await tickets.verify(ticket.id, SELLER)

    async def delivered_in_ticket():
        return [m for m in await messages(sandbox, ticket.channel_id) if "pass0" in m.content]

    delivery = (await eventually(delivered_in_ticket, "the key in the ticket channel"))[0]
    assert "DM Anda tertutup" in delivery.content

    async def recorded():  # the worker records the delivery once Discord has taken the message
        return (await Ticket.get(ticket.id)).delivery

    assert (await eventually(recorded, "the delivery record")).via == "ticket"


async def test_edits_and_deletions_in_a_ticket_are_kept_in_its_log(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    await open_shop(sandbox, world, store, settings, cipher)
    start_worker()  # it makes the ticket channels
    start_bot()
    ticket = await _buy(sandbox, world)
    s = sandbox.server
    channel = on_sandbox(sandbox, lambda: s.channels[ticket.channel_id])
    said = on_sandbox(sandbox, lambda: s.user_sends(world["buyer"], channel, "sudah transfer 50rb", []))

    async def logged():
        return await TicketMessage.find_one({"message_id": said.id})

    await eventually(logged, "the message in the log")

    async def edit():
        message = s.messages[channel.id][said.id]
        s._apply_edit(message, {"content": "sudah transfer 50.137"}, [])
        await s.dispatch("MESSAGE_UPDATE", s._message_json(message))

    on_sandbox(sandbox, edit)

    async def edited():
        found = await TicketMessage.find_one({"message_id": said.id})
        return found if found.edits else None

    entry = await eventually(edited, "the edit in the log")
    assert entry.content == "sudah transfer 50.137" and entry.edits[0].content == "sudah transfer 50rb"
    on_sandbox(sandbox, lambda: s.user_deletes(channel, said.id))

    async def deleted():
        found = await TicketMessage.find_one({"message_id": said.id})
        return found.deleted_at

    await eventually(deleted, "the deletion in the log")


async def test_a_catalogue_of_thirty_products_stays_within_discords_limits(store):
    products = [Product(guild_id=GUILD, name=f"Item {n}", price=1000 + n) for n in range(30)]
    lines = [panel.ProductLine(p, stock=n % 3) for n, p in enumerate(products)]
    first = panel.render(store, lines)
    second = panel.render(store, lines, page=1)
    assert len(first["embeds"][0]["fields"]) == 25 and len(second["embeds"][0]["fields"]) == 5
    assert first["embeds"][0]["footer"]["text"] == "Halaman 1/2"
    assert [b["custom_id"] for b in first["components"][0]["components"]] == [
        "buy_btn",
        "payment_btn",
        "panel_page:1",
    ]
    menus = panel.product_choice(store, lines)
    assert [len(m["components"][0]["options"]) for m in menus] == [20]  # only what is in stock
    assert all(len(o["label"]) <= 100 for m in menus for o in m["components"][0]["options"])
    assert (await Store.find_one({"guild_id": GUILD})).locale == "id"


async def test_a_full_ticket_category_overflows_into_a_new_one(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    category, _ = await open_shop(sandbox, world, store, settings, cipher)
    s = sandbox.server

    def fill():
        for n in range(50):
            s.add_channel(world["guild"], f"old-ticket-{n}", parent_id=category.id)

    on_sandbox(sandbox, fill)
    start_worker()  # it makes the ticket channels
    start_bot()
    ticket = await _buy(sandbox, world)
    channel = on_sandbox(sandbox, lambda: s.channels[ticket.channel_id])
    second = on_sandbox(sandbox, lambda: s.channels[channel.parent_id])
    assert channel.parent_id != category.id and second.type == 4 and second.name == "tickets-2"
    assert (await Store.find_one({"guild_id": GUILD})).tickets.category_ids == [category.id, second.id]


async def test_two_buyers_racing_for_the_last_key_one_gets_it(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    from models.payment_method import PaymentKind, PaymentMethod

    await open_shop(sandbox, world, store, settings, cipher, items=1)
    await PaymentMethod(
        guild_id=GUILD,
        kind=PaymentKind.QRIS,
        provider="QRIS Toko",
        details={"image_url": "http://127.0.0.1:9/qris.png"},
    ).insert()
    start_worker()  # it makes the ticket channels
    start_bot()
    shown = await panel_message(sandbox, world)
    rival = on_sandbox(sandbox, lambda: sandbox.server.add_user("rival"))
    on_sandbox(sandbox, lambda: sandbox.server.add_member(world["guild"], rival))
    clicks = [click(sandbox, user, world["shop"].id, shown.id, "buy_btn") for user in (world["buyer"], rival)]
    for c in clicks:
        await eventually(settled(sandbox, c), "a final answer")
    texts = sorted(answers(sandbox, c)[0].content for c in clicks)
    assert texts[0].startswith("Maaf") and texts[1].startswith("Tiket Anda sudah dibuka")
    assert await Ticket.count() == 1

    methods = click(sandbox, world["buyer"], world["shop"].id, shown.id, "payment_btn")
    await eventually(answered(sandbox, methods), "the payment methods")
    embeds = answers(sandbox, methods)[0].embeds
    assert embeds[1]["image"]["url"] == "http://127.0.0.1:9/qris.png"  # the QRIS code itself


async def test_a_buyer_choosing_qris_gets_a_code_for_the_exact_amount(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    from models.payment_method import PaymentKind, PaymentMethod
    from tests.test_qris import static_payload

    await open_shop(sandbox, world, store, settings, cipher)
    method = await PaymentMethod(
        guild_id=GUILD,
        kind=PaymentKind.QRIS,
        provider="QRIS Toko",
        details={"payload": static_payload()},
        order=-1,
    ).insert()
    start_worker()  # it makes the ticket channels
    start_bot()
    ticket = await _buy(sandbox, world)

    async def instructions():
        return [m for m in await messages(sandbox, ticket.channel_id) if "methods:" in str(m.components)]

    opening = (await eventually(instructions, "the purchase instructions"))[0]
    chosen = click(
        sandbox, world["buyer"], ticket.channel_id, opening.id, f"method:{ticket.id}", values=[str(method.id)]
    )
    await eventually(answered(sandbox, chosen), "the QRIS for this ticket")
    reply = answers(sandbox, chosen)[0]
    assert reply.attachments[0].filename == f"qris-{ticket.number}.png"
    assert reply.attachments[0].data.startswith(b"\x89PNG")
    assert reply.embeds[0]["image"]["url"] == f"attachment://qris-{ticket.number}.png"

    # The panel's Payment button shows the seller's own (static) code, drawn from its payload.
    shown = await panel_message(sandbox, world)
    listed = click(sandbox, world["buyer"], world["shop"].id, shown.id, "payment_btn")
    await eventually(answered(sandbox, listed), "the payment methods")
    reply = answers(sandbox, listed)[0]
    code = next(a for a in reply.attachments if a.filename == f"qris-{method.id}.png")
    assert code.data.startswith(b"\x89PNG") and qris.payload_from_image(code.data) == static_payload()
    assert any(e.get("image", {}).get("url") == f"attachment://qris-{method.id}.png" for e in reply.embeds)
