"""The buyer's orders (issue 20, item 3), through a real bot process, a real worker and the
Discord sandbox: every delivery carries a receipt; `/orders` shows the caller their own orders
only, ten a page; "Kirim ulang" sends a delivered order again to its buyer's DMs, never to
anyone else, at most three times an hour."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from beanie import PydanticObjectId

from models.coupon import AppliedCoupon
from models.payment_method import PaymentMethod
from models.product import DeliveryMode
from models.store import Store
from models.ticket import (
    DeliveryRecord,
    ProductSnapshot,
    Ticket,
    TicketOutcome,
    TicketState,
    TranscriptRecord,
)
from tests.bot_driver import answered, answers, click, on_sandbox, open_shop, panel_message
from tests.conftest import GUILD
from tests.helpers import SELLER, buyer
from tests.waiting import eventually
from workflows import delivery, orders, ticket_story, tickets
from workflows.discord_contract import components
from workflows.message_limits import EMBED_TOTAL_MAX, embed_size
from workflows.money import format_amount

KEY = re.compile(r"user\d+@mail\.test:pass\d+")


def _dms(sandbox, user):
    """What the bot sent `user` by DM, oldest first."""
    s = sandbox.server
    return on_sandbox(
        sandbox,
        lambda: sorted(
            (
                m
                for c in s.channels.values()
                if c.type == 1 and c.recipient_id == user.id
                for m in s.messages.get(c.id, {}).values()
                if m.author.bot
            ),
            key=lambda m: m.id,
        ),
    )


def _delivery(sandbox, user, ticket):
    """The (first) message of the ticket's delivery in `user`'s DMs."""
    return next(m for m in _dms(sandbox, user) if m.nonce == delivery.delivery_nonce(ticket))


def _resent(sandbox, user):
    return [m for m in _dms(sandbox, user) if m.content.startswith("🔁 Dikirim ulang")]


def _run_orders(sandbox, world, user):
    s = sandbox.server
    return on_sandbox(sandbox, lambda: s.run_command(user, world["shop"], "orders"))


async def _answer(sandbox, interaction):
    await eventually(answered(sandbox, interaction), "the bot's answer")
    return answers(sandbox, interaction)[-1]


def _current(sandbox, channel_id, message):
    return on_sandbox(sandbox, lambda: sandbox.server.messages[channel_id][message.id])


def _labels(message):
    return [c["label"] for row in message.components for c in row["components"]]


def _fields(embed):
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


async def _bought_and_delivered(product, person, method):
    """`person` buys one unit, pays with `method`, a seller verifies; the worker delivers."""
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(person.id, person.username))
    await tickets.choose_payment_method(ticket.id, buyer(person.id, person.username), method.id)
    await tickets.verify(ticket.id, SELLER)

    async def delivered():
        return (await Ticket.get(ticket.id)).delivery

    await eventually(delivered, f"the delivery of #{ticket.number}", within=30)
    return await Ticket.get(ticket.id)


async def test_orders_lists_only_the_callers_orders_with_receipts_and_every_delivery_carries_a_receipt(
    sandbox, world, store, cipher, settings, relay_to_workers, start_worker, start_bot
):
    _, product = await open_shop(sandbox, world, store, settings, cipher, items=12)  # Rp 50.000
    await Store.get_pymongo_collection().update_one(
        {"guild_id": GUILD}, {"$set": {"tickets.max_open_tickets_per_buyer": 20, "tickets.cooldown_s": 0}}
    )
    bca = await PaymentMethod.find_one({"guild_id": GUILD})
    budi, eve = world["buyer"], world["stranger"]
    start_worker()
    start_bot()
    await panel_message(sandbox, world)  # the bot is up

    first = await _bought_and_delivered(product, budi, bca)  # #1, budi's, delivered
    paid = format_amount(first.amount_due)
    assert re.fullmatch(r"Rp 50\.\d{3}", paid)

    # The delivery DM carries the receipt.
    delivered = _delivery(sandbox, budi, first)
    assert KEY.search(delivered.content)
    receipt = delivered.embeds[0]
    assert receipt["title"] == f"Struk pesanan #{first.number}"
    assert _fields(receipt) | {"Waktu": "-"} == {
        "Produk": "Netflix 1 Bulan × 1",
        "Jumlah dibayar": paid,
        "Metode": "BCA",
        "Waktu": "-",
    }
    assert _fields(receipt)["Waktu"].endswith("WIB")
    assert receipt["footer"]["text"] == "Terima kasih telah berbelanja di Toko Digital"

    theirs = await tickets.open_ticket(GUILD, product.id, buyer(eve.id, "eve"))  # #2, eve's
    later = [await tickets.open_ticket(GUILD, product.id, buyer(budi.id, "budi")) for _ in range(10)]

    # Budi's /orders: his eleven orders, ten a page, newest first, never eve's.
    shown = await _answer(sandbox, _run_orders(sandbox, world, budi))
    assert shown.flags & 64  # ephemeral: only budi sees it
    listing = shown.embeds[0]
    assert listing["title"] == "Pesanan Anda di Toko Digital"
    assert listing["footer"]["text"] == "Halaman 1 dari 2 · 11 pesanan"
    titles = list(_fields(listing))
    assert titles == [f"#{t.number} · Netflix 1 Bulan × 1" for t in reversed(later)]
    assert f"#{theirs.number} · Netflix 1 Bulan × 1" not in titles
    assert all("menunggu pembayaran" in v for v in _fields(listing).values())
    assert _labels(shown) == ["›"]  # nothing delivered on this page: nothing to send again

    # The next page: budi's first order with its receipt and "Kirim ulang".
    click(sandbox, budi, world["shop"].id, shown.id, "orders_page:1")

    async def turned():
        now = _current(sandbox, world["shop"].id, shown)
        return now if now.embeds and "Halaman 2 dari 2" in now.embeds[0]["footer"]["text"] else None

    page_two = await eventually(turned, "the second page")
    assert _fields(page_two.embeds[0]) == {
        f"#{first.number} · Netflix 1 Bulan × 1": f"{paid} · BCA\n"
        f"{ticket_story.local_time(first.paid_at, 'id')} · terkirim"
    }
    assert _labels(page_two) == [f"Kirim ulang #{first.number}", "‹"]

    # Eve sees her one order, unpaid, and nothing of budi's.
    hers = await _answer(sandbox, _run_orders(sandbox, world, eve))
    assert hers.flags & 64
    assert list(_fields(hers.embeds[0])) == [f"#{theirs.number} · Netflix 1 Bulan × 1"]
    assert hers.embeds[0]["footer"]["text"] == "Halaman 1 dari 1 · 1 pesanan"
    assert _labels(hers) == []

    # The seller has bought nothing here.
    none = await _answer(sandbox, _run_orders(sandbox, world, world["seller"]))
    assert none.content == "Anda belum punya pesanan di Toko Digital." and not none.embeds


async def test_a_resend_reaches_only_its_buyer_and_is_limited_to_three_an_hour(
    sandbox, world, store, cipher, settings, relay_to_workers, start_worker, start_bot
):
    _, product = await open_shop(sandbox, world, store, settings, cipher, items=2)
    bca = await PaymentMethod.find_one({"guild_id": GUILD})
    budi, eve = world["buyer"], world["stranger"]
    start_worker()
    start_bot()
    await panel_message(sandbox, world)
    first = await _bought_and_delivered(product, budi, bca)
    key = KEY.search(_delivery(sandbox, budi, first).content)[0]
    shop = world["shop"].id

    shown = await _answer(sandbox, _run_orders(sandbox, world, budi))
    assert _labels(shown) == [f"Kirim ulang #{first.number}"]
    said = await _answer(sandbox, click(sandbox, budi, shop, shown.id, f"resend:{first.id}"))
    assert said.content == f"Pesanan #{first.number} sedang dikirim ulang ke DM Anda." and said.flags & 64

    def resent(count):
        async def probe():
            found = _resent(sandbox, budi)
            return found if len(found) >= count else None

        return probe

    again = (await eventually(resent(1), "the order in budi's DMs again", within=30))[0]
    assert again.content.startswith(f"🔁 Dikirim ulang atas permintaan Anda (pesanan #{first.number}):")
    assert key in again.content
    assert again.embeds[0]["title"] == f"Struk pesanan #{first.number}"
    assert _fields(again.embeds[0])["Metode"] == "BCA"
    logged = await Ticket.get(first.id)
    told = ticket_story.tell_entry(logged.history[-1], logged, "id")
    assert told == "budi meminta pesanan dikirim ulang lewat DM"

    # Eve presses "Kirim ulang" of budi's order (a copied or forged custom id): politely
    # refused, nothing queued, nothing sent to her or to budi.
    hers = await _answer(sandbox, _run_orders(sandbox, world, eve))
    refused = await _answer(sandbox, click(sandbox, eve, shop, hers.id, f"resend:{first.id}"))
    assert refused.flags & 64
    assert refused.content == "Hanya pembeli pesanan ini yang bisa memintanya dikirim ulang."
    untouched = await Ticket.get(first.id)
    assert [h.trigger for h in untouched.history].count("resend") == 1
    assert _dms(sandbox, eve) == []
    # An order not delivered yet has nothing to send again.
    unpaid = await tickets.open_ticket(GUILD, product.id, buyer(eve.id, "eve"))
    early = await _answer(sandbox, click(sandbox, eve, shop, hers.id, f"resend:{unpaid.id}"))
    assert early.content == f"Pesanan #{unpaid.number} belum dikirim, jadi belum ada yang bisa dikirim ulang."

    # Budi's second and third re-sends go; the fourth within the hour is refused politely.
    for _ in range(2):
        said = await _answer(sandbox, click(sandbox, budi, shop, shown.id, f"resend:{first.id}"))
        assert said.content == f"Pesanan #{first.number} sedang dikirim ulang ke DM Anda."
    await eventually(resent(3), "three re-sends in budi's DMs", within=30)
    said = await _answer(sandbox, click(sandbox, budi, shop, shown.id, f"resend:{first.id}"))
    assert said.content.startswith(
        "Anda sudah meminta kirim ulang 3 kali dalam satu jam terakhir; silakan coba lagi dalam "
    ), said.content
    assert re.search(r"dalam (59|60) menit\.$", said.content)
    final = await Ticket.get(first.id)
    assert [h.trigger for h in final.history].count("resend") == 3
    assert len(_resent(sandbox, budi)) == 3 and _dms(sandbox, eve) == []
    assert len({m.nonce for m in _resent(sandbox, budi)}) == 3  # each re-send its own message

    # Once the ticket is closed, its receipt links the buyer's copy of the transcript in their DMs.
    await tickets.close(first.id, SELLER)

    async def archived():
        found = await Ticket.get(first.id)
        return found if found.transcript and found.transcript.buyer_copy_id else None

    closed = await eventually(archived, "the transcript archived, a copy in budi's DMs", within=30)
    copy = next(m for m in _dms(sandbox, budi) if m.attachments)
    assert copy.id == closed.transcript.buyer_copy_id
    shown = await _answer(sandbox, _run_orders(sandbox, world, budi))
    lines = _fields(shown.embeds[0])[f"#{first.number} · Netflix 1 Bulan × 1"].split("\n")
    assert lines[1].endswith(" · selesai")
    assert lines[-1] == (
        f"[Transkrip](https://discord.com/channels/@me/{copy.channel_id}/{copy.id}): salinan Anda, di DM Anda"
    )


def _closed_order(number: int, method: PydanticObjectId) -> Ticket:
    """A delivered, closed order with everything a receipt can show, at the longest."""
    now = datetime(2026, 12, 3, 5, 5, tzinfo=UTC)
    return Ticket.model_construct(
        id=PydanticObjectId(),
        guild_id=GUILD,
        number=number,
        buyer_id=7,
        product=ProductSnapshot(
            product_id=PydanticObjectId(), name="N" * 100, unit_price=1, delivery_mode=DeliveryMode.AUTOMATIC
        ),
        quantity=99,
        currency="IDR",
        amount_due=1_234_567_890,
        payment_method_id=method,
        coupon=AppliedCoupon(coupon_id=PydanticObjectId(), code="C" * 32, discount=1, applied_at=now),
        state=TicketState.CLOSED,
        outcome=TicketOutcome.COMPLETED,
        delivery=DeliveryRecord(via="dm", item_count=99, delivered_at=now),
        transcript=TranscriptRecord(path="x", size=1, archived_at=now, buyer_copy_id=2**63 - 1),
        paid_at=now,
        created_at=now,
    )


def test_a_page_of_the_longest_receipts_fits_one_discord_message_and_speaks_english():
    method = PydanticObjectId()
    page = [_closed_order(n, method) for n in range(99_999, 99_989, -1)]
    shown = orders.OrdersPage(page, {method: "M" * 50}, page=1, pages=3, total=30)
    store = Store.model_construct(guild_id=GUILD, name="S" * 100, locale="en")
    content, embeds, rows = orders.message(store, shown, dm_channel_id=2**63 - 1)

    # resources/message.mdx "Embed Limits" and components/reference.mdx: 25 fields, 6,000
    # characters in all, 5 rows of at most 5 buttons.
    assert content == "" and len(embeds) == 1 and len(embeds[0]["fields"]) == orders.PAGE_SIZE
    assert embed_size(embeds[0]) <= EMBED_TOTAL_MAX
    assert len(rows) == 3 and all(len(r["components"]) <= components.BUTTONS_PER_ROW for r in rows)
    assert [b["label"] for b in rows[2]["components"]] == ["‹", "›"]
    assert rows[0]["components"][0]["label"] == "Send #99999 again"
    value = embeds[0]["fields"][0]["value"]
    assert value.startswith("Rp 1.234.567.890 · " + "M" * 50 + "\n3 Dec 2026, 12:05 WIB · completed")
    assert f"[Transcript](https://discord.com/channels/@me/{2**63 - 1}/{2**63 - 1}): your copy" in value
    assert embeds[0]["footer"]["text"] == "Page 2 of 3 · 30 orders"

    receipt = orders.receipt(page[0], store, {method: "BCA"})
    assert receipt["title"] == "Receipt for order #99999"
    assert [f["name"] for f in receipt["fields"]] == ["Product", "Amount paid", "Method", "Time"]
