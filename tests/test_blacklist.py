"""The blacklist (issue 20, item 5), through a real bot process, a real worker and the Discord
sandbox: a blacklisted member pressing Buy is refused politely and gets no ticket; a payment
report from a blacklisted payer is not verified automatically and the sellers are warned."""

from __future__ import annotations

from models.blacklist import BlacklistKind
from models.incoming_payment import IncomingPayment
from models.stock_item import StockItem, StockItemStatus
from models.ticket import Ticket, TicketState
from tests.bot_driver import answered, answers, click, messages, on_sandbox, open_shop, panel_message, submit
from tests.conftest import GUILD
from tests.waiting import eventually
from workflows import bank_mutations, blacklist
from workflows.bank_mutations import Mutation


async def _available(product) -> int:
    return await StockItem.find({"product_id": product.id, "status": StockItemStatus.AVAILABLE.value}).count()


def _channels(sandbox) -> set[int]:
    return on_sandbox(sandbox, lambda: set(sandbox.server.channels))


async def test_a_blacklisted_buyer_pressing_buy_is_refused_politely_and_gets_no_ticket(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    _, product = await open_shop(sandbox, world, store, settings, cipher)
    budi = world["buyer"]
    await blacklist.add(GUILD, BlacklistKind.USER, str(budi.id), label="budi", reason="chargeback bulan lalu")
    start_worker()
    start_bot()
    panel = await panel_message(sandbox, world)
    before = _channels(sandbox)

    pressed = click(sandbox, budi, world["shop"].id, panel.id, "buy_btn")
    await eventually(answered(sandbox, pressed), "the answer to Buy")
    said = [m.content for m in answers(sandbox, pressed)]
    assert said == [
        "Maaf, Anda tidak dapat membeli di toko ini. Jika menurut Anda ini keliru, silakan hubungi penjual."
    ]
    assert "chargeback" not in said[0]  # the sellers' reason stays with the sellers
    assert await Ticket.find({"guild_id": GUILD}).count() == 0
    assert await _available(product) == 1  # nothing reserved
    assert _channels(sandbox) == before  # no ticket channel

    # Taken off the list, the same buyer can buy again.
    entry = (await blacklist.entries(GUILD))[0]
    await blacklist.remove(GUILD, entry.id)
    again = click(sandbox, budi, world["shop"].id, panel.id, "buy_btn")

    async def opened():
        return await Ticket.find_one({"guild_id": GUILD, "buyer_id": budi.id, "channel_id": {"$ne": None}})

    await eventually(opened, "a ticket for the buyer taken off the blacklist")
    await eventually(answered(sandbox, again), "the answer to the second Buy")


async def test_a_report_from_a_blacklisted_payer_is_flagged_to_sellers_and_not_verified_automatically(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    await open_shop(sandbox, world, store, settings, cipher)
    await blacklist.add(GUILD, BlacklistKind.PAYER_NAME, "Joko  Susilo", reason="bukti transfer palsu")
    start_worker()
    start_bot()
    panel = await panel_message(sandbox, world)
    budi = world["buyer"]
    click(sandbox, budi, world["shop"].id, panel.id, "buy_btn")

    async def opened():
        return await Ticket.find_one({"guild_id": GUILD, "channel_id": {"$ne": None}})

    ticket = await eventually(opened, "the ticket with its channel")
    # The money of exactly its amount has arrived: an unflagged report would be verified at once.
    await IncomingPayment(guild_id=GUILD, amount=ticket.amount_due, source="moota").insert()
    reported = submit(
        sandbox, budi, ticket.channel_id, f"report:{ticket.id}", {"reference": "BCA a.n. JOKO SUSILO"}
    )
    await eventually(answered(sandbox, reported), "the buyer's report acknowledged")

    async def prompt():
        found = await messages(sandbox, ticket.channel_id)
        return [m for m in found if m.author.bot and f"verify:{ticket.id}" in str(m.components)]

    asked = (await eventually(prompt, "the sellers asked to verify"))[0]
    assert "⚠️ Daftar hitam: laporan ini cocok dengan nama pengirim “Joko  Susilo”" in asked.content
    assert "(alasan: bukti transfer palsu)" in asked.content
    saved = await Ticket.get(ticket.id)
    assert saved.state is TicketState.OPEN and saved.verification is None
    assert await IncomingPayment.find({"ticket_id": None}).count() == 1  # the money not taken


async def test_payer_names_and_account_numbers_match_as_written_in_a_report(store):
    await blacklist.add(GUILD, BlacklistKind.ACCOUNT, "123-456-7890", reason="penipu")
    ticket = Ticket.model_validate(
        {
            "guild_id": GUILD,
            "number": 1,
            "buyer_id": 5,
            "product": {"product_id": "0" * 24, "name": "x", "unit_price": 1, "delivery_mode": "automatic"},
            "quantity": 1,
            "currency": "IDR",
            "subtotal": 1,
            "unique_code": 1,
            "amount_due": 2,
            "payment_report": {
                "reference": "dari rek 1234567890",
                "reported_at": "2026-12-03T00:00:00Z",
                "reported_by": 5,
            },
        }
    )
    assert (await blacklist.flag_report(ticket)).value == "1234567890"
    other = ticket.model_copy(
        update={"payment_report": ticket.payment_report.model_copy(update={"reference": "12345"})}
    )
    assert await blacklist.flag_report(other) is None


async def test_a_transfer_from_a_blacklisted_account_is_not_matched_and_the_buyers_report_is_flagged(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    await open_shop(sandbox, world, store, settings, cipher)
    await blacklist.add(GUILD, BlacklistKind.ACCOUNT, "0987-654-321", reason="kartu curian")
    start_worker()
    start_bot()
    panel = await panel_message(sandbox, world)
    budi = world["buyer"]
    click(sandbox, budi, world["shop"].id, panel.id, "buy_btn")

    async def opened():
        return await Ticket.find_one({"guild_id": GUILD, "channel_id": {"$ne": None}})

    ticket = await eventually(opened, "the ticket with its channel")
    # Moota reports the transfer of exactly the ticket's amount, from the blacklisted account.
    transfer = Mutation("m-1", ticket.amount_due, "BCA", "TRSF E-BANKING CR 0987654321 BUDI")
    outcome = await bank_mutations.record(GUILD, transfer)
    assert outcome.status == "unmatched"  # not served automatically
    assert (await Ticket.get(ticket.id)).state is TicketState.OPEN

    # The buyer says they paid, without naming the account: the sellers are still warned.
    reported = submit(
        sandbox, budi, ticket.channel_id, f"report:{ticket.id}", {"reference": "sudah transfer"}
    )
    await eventually(answered(sandbox, reported), "the buyer's report acknowledged")

    async def prompt():
        found = await messages(sandbox, ticket.channel_id)
        return [m for m in found if m.author.bot and f"verify:{ticket.id}" in str(m.components)]

    asked = (await eventually(prompt, "the sellers asked to verify"))[0]
    assert "⚠️ Daftar hitam: laporan ini cocok dengan nomor rekening “0987-654-321”" in asked.content
    assert (await Ticket.get(ticket.id)).verification is None
