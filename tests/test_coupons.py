"""Coupons in the ticket (issue 20, item 1), through a real bot process, a real worker and the
Discord sandbox: the buyer presses "Pakai kupon", types the code, and is told the new amount;
a limit of 10 uses holds under 50 buyers at once; a cancelled ticket gives its use back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.coupon import Coupon
from models.store import Store, utcnow
from models.ticket import Ticket, TicketState
from tests.bot_driver import answered, answers, click, messages, on_sandbox, open_shop, panel_message, submit
from tests.conftest import GUILD
from tests.helpers import automatic_product, buyer
from tests.waiting import eventually
from workflows import coupons, ticket_story, tickets


def _apply(sandbox, user, channel_id, ticket, code):
    """`user` submits the coupon modal of `ticket` with `code`."""
    return submit(sandbox, user, channel_id, f"coupon_code:{ticket.id}", {"code": code})


async def _said(sandbox, interaction) -> str:
    await eventually(answered(sandbox, interaction), "the bot's answer to the coupon")
    return answers(sandbox, interaction)[-1].content


def _members(sandbox, world, count):
    s = sandbox.server

    def add():
        people = [s.add_user(f"pembeli{i}") for i in range(count)]
        for person in people:
            s.add_member(world["guild"], person)
        return people

    return on_sandbox(sandbox, add)


async def test_the_buyer_uses_a_coupon_from_the_ticket_and_pays_the_new_amount(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    await open_shop(sandbox, world, store, settings, cipher)  # Rp 50.000
    await coupons.create_coupon(GUILD, code="HEMAT10", value="10%", max_uses=5)
    await coupons.create_coupon(GUILD, code="LAGI5K", value="Rp 5.000")
    start_worker()
    start_bot()
    panel = await panel_message(sandbox, world)
    click(sandbox, world["buyer"], world["shop"].id, panel.id, "buy_btn")

    async def opened():
        return await Ticket.find_one({"guild_id": GUILD, "channel_id": {"$ne": None}})

    ticket = await eventually(opened, "the ticket with its channel")

    async def instructions():
        return [
            m
            for m in await messages(sandbox, ticket.channel_id)
            if f"coupon:{ticket.id}" in str(m.components)
        ]

    opening = (await eventually(instructions, "the instructions with a coupon button"))[0]
    labels = [c["label"] for row in opening.components for c in row["components"]]

    async def ready():
        return (await Ticket.get(ticket.id)).opening.done_at is not None

    await eventually(ready, "the ticket's opening done")
    assert "Pakai kupon" in labels

    # Somebody else pressing the buyer's coupon button is told it is not theirs; no modal.
    other = click(sandbox, world["stranger"], ticket.channel_id, opening.id, f"coupon:{ticket.id}")
    assert "Hanya pembeli tiket ini" in await _said(sandbox, other)

    pressed = click(sandbox, world["buyer"], ticket.channel_id, opening.id, f"coupon:{ticket.id}")

    async def modal_shown():
        return pressed.response_type == 9  # MODAL (interactions/receiving-and-responding.mdx)

    await eventually(modal_shown, "the coupon modal")

    said = await _said(sandbox, _apply(sandbox, world["buyer"], ticket.channel_id, ticket, " hemat10 "))
    saved = await Ticket.get(ticket.id)
    assert "Kupon HEMAT10 dipakai" in said and "harga menjadi Rp 45.000" in said, said
    assert "potongan Rp 5.000" in said
    assert 45_001 <= saved.amount_due <= 45_999 and saved.amount_due == 45_000 + saved.unique_code
    assert f"**Rp {saved.amount_due // 1000}.{saved.amount_due % 1000:03d}**" in said
    assert saved.coupon.code == "HEMAT10" and saved.state is TicketState.OPEN
    assert ticket_story.tell_entry(saved.history[-1], saved, "id") == "budi memakai kupon HEMAT10"

    async def instructions_updated():
        shown = on_sandbox(sandbox, lambda: sandbox.server.messages[ticket.channel_id][opening.id])
        return shown if f"**Rp 45.{saved.unique_code:03d}**" in shown.content else None

    shown = await eventually(instructions_updated, "the instructions showing the new amount")
    assert [c["label"] for row in shown.components for c in row["components"]] == labels  # buttons kept

    # One coupon per ticket: a second code is refused and the amount stays as it is.
    said = await _said(sandbox, _apply(sandbox, world["buyer"], ticket.channel_id, ticket, "LAGI5K"))
    assert said == "Tiket ini sudah memakai kupon HEMAT10; satu kupon per tiket."
    assert (await Ticket.get(ticket.id)).amount_due == saved.amount_due
    assert (await Coupon.find_one({"code": "HEMAT10"})).uses == 1
    assert (await Coupon.find_one({"code": "LAGI5K"})).uses == 0


async def test_fifty_buyers_at_once_on_a_coupon_of_ten_uses_get_exactly_ten(
    sandbox, world, store, cipher, settings, start_bot
):
    _, product = await open_shop(sandbox, world, store, settings, cipher, items=50)
    coupon = await coupons.create_coupon(GUILD, code="FLASH", value="Rp 10.000", max_uses=10)
    people = _members(sandbox, world, 50)
    opened = [
        await tickets.open_ticket(GUILD, product.id, buyer(person.id, person.username)) for person in people
    ]
    start_bot()
    panel = await panel_message(sandbox, world)  # the bot is up
    channel = world["shop"].id
    pressed = [
        _apply(sandbox, person, channel, ticket, "FLASH")
        for person, ticket in zip(people, opened, strict=True)
    ]
    said = [await _said(sandbox, each) for each in pressed]

    used = [s for s in said if s.startswith("Kupon FLASH dipakai")]
    refused = [s for s in said if s == "Maaf, kupon FLASH sudah habis dipakai."]
    assert len(used) == 10 and len(refused) == 40, said
    assert all("harga menjadi Rp 40.000" in s for s in used)
    assert (await Coupon.get(coupon.id)).uses == 10
    with_coupon = await Ticket.find({"guild_id": GUILD, "coupon": {"$ne": None}}).to_list()
    assert len(with_coupon) == 10
    assert all(40_001 <= t.amount_due <= 40_999 for t in with_coupon)
    assert len({t.amount_due for t in with_coupon}) == 10  # still one amount per open ticket
    assert await Ticket.find({"guild_id": GUILD, "amount_due": {"$gte": 50_000}}).count() == 40

    # A buyer with the coupon cancels: its use goes back, and one of the 40 can now have it.
    holder = with_coupon[0]
    owner = next(p for p in people if p.id == holder.buyer_id)
    cancelled = click(sandbox, owner, channel, panel.id, f"cancel_confirm:{holder.id}")  # "Ya, batalkan"
    assert await _said(sandbox, cancelled) == f"Tiket #{holder.number} dibatalkan."
    assert (await Coupon.get(coupon.id)).uses == 9
    # Given back once: a repeat (a retried follow-up) gives nothing more.
    assert not await coupons.release(coupon.id, holder.id, holder.buyer_id)
    assert (await Coupon.get(coupon.id)).uses == 9
    late = next(t for t in opened if t.coupon is None and t.id not in {w.id for w in with_coupon})
    person = next(p for p in people if p.id == late.buyer_id)
    assert (await _said(sandbox, _apply(sandbox, person, channel, late, "flash"))).startswith(
        "Kupon FLASH dipakai"
    )
    assert (await Coupon.get(coupon.id)).uses == 10


async def test_a_buyer_may_use_a_coupon_only_as_often_as_its_limit_per_buyer(
    sandbox, world, store, cipher, settings, start_bot
):
    _, product = await open_shop(sandbox, world, store, settings, cipher, items=3)
    await Store.get_pymongo_collection().update_one(
        {"guild_id": GUILD}, {"$set": {"tickets.max_open_tickets_per_buyer": 3, "tickets.cooldown_s": 0}}
    )
    await coupons.create_coupon(GUILD, code="SEKALI", value="5%", max_uses_per_buyer=1)
    budi = world["buyer"]
    first, second = [await tickets.open_ticket(GUILD, product.id, buyer(budi.id, "budi")) for _ in "12"]
    start_bot()
    await panel_message(sandbox, world)  # the bot is up
    channel = world["shop"].id
    said = await _said(sandbox, _apply(sandbox, budi, channel, first, "SEKALI"))
    assert "harga menjadi Rp 47.500" in said, said
    said = await _said(sandbox, _apply(sandbox, budi, channel, second, "SEKALI"))
    assert said == "Maaf, Anda sudah memakai kupon SEKALI sebanyak batas per pembeli (1 kali)."
    assert (await Ticket.get(second.id)).coupon is None
    # Another buyer is not held back by Budi's use.
    eve = world["stranger"]
    theirs = await tickets.open_ticket(GUILD, product.id, buyer(eve.id, "eve"))
    assert "harga menjadi Rp 47.500" in await _said(sandbox, _apply(sandbox, eve, channel, theirs, "SEKALI"))


async def test_a_coupon_out_of_its_window_under_its_minimum_or_for_another_product_is_refused_naming_why(
    sandbox, world, store, cipher, settings, start_bot
):
    _, netflix = await open_shop(sandbox, world, store, settings, cipher)  # Rp 50.000
    other = await automatic_product(cipher, items=1, price=20_000, name="Spotify 1 Bulan")
    now = utcnow()
    await coupons.create_coupon(GUILD, code="BESOK", value="10%", starts_at=now + timedelta(days=1))
    await coupons.create_coupon(
        GUILD, code="KEMARIN", value="10%", starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=1)
    )
    await coupons.create_coupon(GUILD, code="BELANJA100", value="Rp 20.000", min_amount=100_000)
    await coupons.create_coupon(GUILD, code="MUSIK", value="50%", product_ids=[other.id])
    stopped = await coupons.create_coupon(GUILD, code="LAMA", value="10%")
    await coupons.deactivate(GUILD, stopped.id)
    budi = world["buyer"]
    ticket = await tickets.open_ticket(GUILD, netflix.id, buyer(budi.id, "budi"))
    start_bot()
    await panel_message(sandbox, world)  # the bot is up
    channel = world["shop"].id

    async def say(code):
        return await _said(sandbox, _apply(sandbox, budi, channel, ticket, code))

    assert (await say("BESOK")).startswith("Maaf, kupon BESOK belum berlaku: mulai ")
    assert (await say("KEMARIN")).startswith("Maaf, kupon KEMARIN sudah berakhir: berlaku sampai ")
    assert await say("BELANJA100") == (
        "Maaf, kupon BELANJA100 perlu pesanan minimal Rp 100.000; pesanan ini Rp 50.000."
    )
    assert await say("MUSIK") == "Maaf, kupon MUSIK tidak berlaku untuk Netflix 1 Bulan."
    assert await say("LAMA") == "Maaf, kupon LAMA sudah tidak berlaku."
    assert await say("TIDAKADA") == "Tidak ada kupon “TIDAKADA” di toko ini. Periksa ejaannya lalu coba lagi."
    saved = await Ticket.get(ticket.id)
    assert saved.coupon is None and saved.amount_due == 50_000 + saved.unique_code
    assert await Coupon.find({"uses": {"$gt": 0}}).count() == 0

    # A paid ticket takes no coupon any more.
    await tickets.report_payment(ticket.id, buyer(budi.id, "budi"), "BCA a.n. BUDI")
    assert await say("MUSIK") == "Kupon hanya bisa dipakai sebelum membayar."


async def test_an_expired_ticket_gives_its_coupon_use_back(store, cipher):
    product = await automatic_product(cipher, items=1)
    coupon = await coupons.create_coupon(GUILD, code="SATU", value="10%", max_uses=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    applied = await tickets.apply_coupon(ticket.id, buyer(), "SATU")
    assert applied.amount_due == 45_000 + applied.unique_code
    assert (await Coupon.get(coupon.id)).uses == 1
    result = await tickets.expire(ticket.id, now=utcnow() + timedelta(days=1))
    assert result.applied
    assert (await Coupon.get(coupon.id)).uses == 0
    assert (await Coupon.get(coupon.id)).held_by == []


def test_a_percent_is_rounded_down_and_the_price_never_drops_below_one_rupiah():
    ten = Coupon(guild_id=GUILD, code="X10", kind="percent", value=10)
    assert coupons.discount(ten, 45_999) == 4_599
    everything = Coupon(guild_id=GUILD, code="GRATIS", kind="percent", value=100)
    assert coupons.price_after(50_000, coupons.discount(everything, 50_000)) == 1
    big = Coupon(guild_id=GUILD, code="BESAR", kind="fixed", value=80_000)
    assert coupons.price_after(50_000, coupons.discount(big, 50_000)) == 1
    assert coupons.parse_value("10%") == ("percent", 10)
    assert coupons.parse_value("Rp 5.000") == ("fixed", 5_000)


async def test_a_use_left_held_by_a_crash_is_given_back_by_the_sweeper(store, cipher):
    from workers.sweeper import repair_once

    product = await automatic_product(cipher, items=2)
    coupon = await coupons.create_coupon(GUILD, code="DUA", value="10%", max_uses=2)
    cancelled = await tickets.open_ticket(GUILD, product.id, buyer(501, "budi"))
    kept = await tickets.open_ticket(GUILD, product.id, buyer(502, "sari"))
    await tickets.apply_coupon(cancelled.id, buyer(501, "budi"), "DUA")
    await tickets.apply_coupon(kept.id, buyer(502, "sari"), "DUA")
    # The process closing Budi's ticket died after the transition, before giving the use back;
    # Sari's ticket was paid and delivered, so hers stays used.
    await Ticket.get_pymongo_collection().update_one(
        {"_id": cancelled.id}, {"$set": {"state": "closed", "outcome": "cancelled"}}
    )
    await Ticket.get_pymongo_collection().update_one(
        {"_id": kept.id}, {"$set": {"state": "closed", "outcome": "completed"}}
    )
    assert (await Coupon.get(coupon.id)).uses == 2
    await repair_once()
    repaired = await Coupon.get(coupon.id)
    assert repaired.uses == 1 and repaired.held_by == [kept.id]
    assert repaired.by_buyer == {"501": 0, "502": 1}


async def test_a_coupon_applied_while_the_payment_is_being_reported_gives_its_use_back(store, cipher):
    product = await automatic_product(cipher, items=1)
    coupon = await coupons.create_coupon(GUILD, code="BALAPAN", value="10%", max_uses=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    as_read = await tickets.get_ticket(ticket.id)  # the coupon's handler read the ticket here…
    await tickets.report_payment(ticket.id, buyer(), "BCA a.n. BUDI")  # …and the buyer paid meanwhile
    with pytest.raises(coupons.CouponRefused) as refused:
        await tickets.apply_coupon(as_read, buyer(), "BALAPAN")
    assert refused.value.in_locale("id") == "Tiket baru saja berubah; silakan coba kupon lagi."
    saved = await tickets.get_ticket(ticket.id)
    assert saved.coupon is None and saved.amount_due == 50_000 + saved.unique_code  # the amount paid
    assert (await Coupon.get(coupon.id)).uses == 0  # the use went back: another buyer may have it
