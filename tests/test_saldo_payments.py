"""Paying a ticket from saldo and refunding a ticket to saldo (issue 21, items 3 and 4): the
workflow on the real MongoDB replica set, real worker processes delivering, and the real bot
in the Discord sandbox."""

from __future__ import annotations

import asyncio

import pytest

from models.audit_entry import AuditEntry
from models.store import Store
from models.ticket import Ticket, TicketState
from models.wallet import EntryKind, WalletEntry
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
from tests.helpers import SELLER, automatic_product, buyer
from tests.waiting import eventually
from workers.discord import recorded_actions
from workflows import orders, saldo_payments, stock, tickets, wallet
from workflows.errors import InsufficientSaldo, NotPermitted
from workflows.money import format_amount
from workflows.saldo_payments import SaldoRefused
from workflows.ticket_story import tell

BUDI = buyer(501, "budi")


@pytest.fixture(autouse=True)
async def several_tickets_at_once(store):
    """Budi may hold several tickets and open them back to back (the store's limits are not
    what these tests are about)."""
    await Store.get_pymongo_collection().update_one(
        {"guild_id": GUILD}, {"$set": {"tickets.max_open_tickets_per_buyer": 10, "tickets.cooldown_s": 0}}
    )


async def _top_up(buyer_id: int, amount: int, ref: str = "topup:test") -> None:
    await wallet.credit(GUILD, buyer_id, amount, kind=EntryKind.TOPUP, ref=ref, reason="test top-up")


async def _purchases(buyer_id: int) -> list[WalletEntry]:
    mine = {"guild_id": GUILD, "buyer_id": buyer_id, "kind": EntryKind.PURCHASE}
    return await WalletEntry.find(mine).to_list()


async def _ledger_is_sound() -> None:
    check = await wallet.check_ledger(GUILD)
    assert check.ok, check


# --- paying ---------------------------------------------------------------------------------


async def test_a_buyer_pays_an_open_ticket_from_saldo_once(store, cipher):
    product = await automatic_product(cipher, items=2)
    await _top_up(501, 100_000)
    ticket = await tickets.open_ticket(GUILD, product.id, BUDI)
    assert await saldo_payments.can_pay(ticket)
    assert saldo_payments.pay_button("en", ticket, 100_000)["label"] == "Pay with saldo (Rp 100.000)"
    assert saldo_payments.pay_button("id", ticket, 100_000)["label"] == "Bayar pakai saldo (Rp 100.000)"

    paid = await saldo_payments.pay(ticket.id, BUDI)

    assert paid.applied and paid.ticket.state is TicketState.PAID
    assert await wallet.balance(GUILD, 501) == 100_000 - ticket.subtotal
    [entry] = await _purchases(501)
    assert entry.amount == -ticket.subtotal and entry.ref == f"purchase:{ticket.id}"
    assert entry.ticket_id == ticket.id
    stored = await tickets.get_ticket(ticket.id)
    assert stored.verification.wallet_entry_id == entry.id
    # Saldo pays the price: the kode unik only tells bank transfers apart.
    assert ticket.unique_code > 0 and stored.amount_due == ticket.subtotal == 50_000
    assert [e.actor for e in stored.outbox] == ["deliver_product"]  # delivered as any paid ticket
    # The story and the receipt say how it was paid.
    assert tell(stored, "id")[-1].says == "budi membayar pakai saldo"
    assert tell(stored, "en")[-1].says == "budi paid from saldo"
    receipt = orders.receipt(stored, store, await orders.method_names([stored]))
    assert {"name": "Metode", "value": "Saldo", "inline": True} in receipt["fields"]

    # Pressed again: the same payment, nothing debited twice.
    again = await saldo_payments.pay(ticket.id, BUDI)
    assert not again.applied and again.ticket.state is TicketState.PAID
    assert await wallet.balance(GUILD, 501) == 100_000 - ticket.subtotal
    assert len(await _purchases(501)) == 1
    assert not await saldo_payments.can_pay(stored)
    await _ledger_is_sound()


async def test_saldo_that_does_not_cover_the_ticket_pays_nothing(store, cipher):
    product = await automatic_product(cipher, items=1)
    await _top_up(501, 30_000)
    ticket = await tickets.open_ticket(GUILD, product.id, BUDI)
    assert not await saldo_payments.can_pay(ticket)

    with pytest.raises(InsufficientSaldo) as refused:
        await saldo_payments.pay(ticket.id, BUDI)

    assert "Rp 30.000" in refused.value.in_locale("id")
    assert (await tickets.get_ticket(ticket.id)).state is TicketState.OPEN
    assert await wallet.balance(GUILD, 501) == 30_000 and await _purchases(501) == []
    await _ledger_is_sound()


async def test_two_tickets_racing_for_one_balance_only_one_is_paid(store, cipher):
    product = await automatic_product(cipher, items=4)
    await _top_up(501, 60_000)  # covers one ticket of Rp 50.000 and its unique code, not two
    first = await tickets.open_ticket(GUILD, product.id, BUDI)
    second = await tickets.open_ticket(GUILD, product.id, BUDI)

    outcomes = await asyncio.gather(
        saldo_payments.pay(first.id, BUDI), saldo_payments.pay(second.id, BUDI), return_exceptions=True
    )

    paid = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(paid) == 1 and paid[0].applied, outcomes
    assert len(refused) == 1 and isinstance(refused[0], InsufficientSaldo), outcomes
    states = sorted([(await tickets.get_ticket(t.id)).state.value for t in (first, second)])
    assert states == ["open", "paid"]
    assert await wallet.balance(GUILD, 501) == 60_000 - paid[0].ticket.amount_due >= 0
    assert len(await _purchases(501)) == 1
    await _ledger_is_sound()


async def test_one_ticket_paid_twice_at_the_same_moment_is_debited_once(store, cipher):
    product = await automatic_product(cipher, items=1)
    await _top_up(501, 200_000)
    ticket = await tickets.open_ticket(GUILD, product.id, BUDI)

    outcomes = await asyncio.gather(*(saldo_payments.pay(ticket.id, BUDI) for _ in range(5)))

    assert sum(o.applied for o in outcomes) == 1
    assert all(o.ticket.state is TicketState.PAID for o in outcomes)
    assert await wallet.balance(GUILD, 501) == 200_000 - ticket.subtotal
    assert len(await _purchases(501)) == 1
    await _ledger_is_sound()


async def test_only_the_buyer_pays_and_only_a_ticket_still_waiting_for_payment(store, cipher):
    product = await automatic_product(cipher, items=3)
    await _top_up(501, 200_000)
    await _top_up(502, 200_000, ref="topup:eve")
    ticket = await tickets.open_ticket(GUILD, product.id, BUDI)

    with pytest.raises(SaldoRefused) as other:
        await saldo_payments.pay(ticket.id, buyer(502, "eve"))
    assert other.value.in_locale("id") == "Hanya pembeli tiket ini yang bisa membayarnya pakai saldo."
    with pytest.raises(SaldoRefused):
        await saldo_payments.pay(ticket.id, SELLER)

    # A transfer reported and being checked: paying from saldo too would pay twice.
    await tickets.report_payment(ticket.id, BUDI, "BCA a.n. BUDI")
    with pytest.raises(SaldoRefused) as reported:
        await saldo_payments.pay(ticket.id, BUDI)
    assert reported.value.key == "reported"

    cancelled = await tickets.open_ticket(GUILD, product.id, BUDI)
    await tickets.cancel(cancelled.id, BUDI)
    with pytest.raises(SaldoRefused) as closed:
        await saldo_payments.pay(cancelled.id, BUDI)
    assert closed.value.in_locale("en") == f"Ticket #{cancelled.number} is no longer waiting for payment."
    assert await wallet.balance(GUILD, 501) == 200_000 and await wallet.balance(GUILD, 502) == 200_000
    await _ledger_is_sound()


# --- refunds --------------------------------------------------------------------------------


async def test_a_seller_refunds_part_then_the_rest_and_never_more_than_was_paid(store, cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, BUDI)
    await tickets.verify(ticket.id, SELLER)  # paid by bank transfer

    first = await saldo_payments.refund(ticket.id, 20_000, by=SELLER, reason="akun tidak bisa login")
    assert first.amount == 20_000 and await wallet.balance(GUILD, 501) == 20_000
    rest = ticket.amount_due - 20_000
    with pytest.raises(SaldoRefused) as too_much:
        await saldo_payments.refund(ticket.id, rest + 1, by=SELLER)
    assert too_much.value.key == "too_much" and format_amount(rest) in too_much.value.in_locale("id")
    await saldo_payments.refund(ticket.id, rest, by=SELLER)

    assert await wallet.balance(GUILD, 501) == ticket.amount_due
    refunded = await tickets.get_ticket(ticket.id)
    assert refunded.refunded == ticket.amount_due and saldo_payments.refundable(refunded) == 0
    assert [r.amount for r in refunded.refunds] == [20_000, rest]
    refunds = {"guild_id": GUILD, "kind": EntryKind.REFUND}
    entries = await WalletEntry.find(refunds).sort("created_at").to_list()
    assert [e.ref for e in entries] == [f"refund:{ticket.id}:1", f"refund:{ticket.id}:2"]
    assert entries[0].reason == "akun tidak bisa login" and entries[0].by == SELLER.user_id
    story = [c.says for c in tell(refunded, "id")]
    assert "seller mengembalikan Rp 20.000 ke saldo pembeli" in story
    with pytest.raises(SaldoRefused):
        await saldo_payments.refund(ticket.id, 1, by=SELLER)
    logged = await AuditEntry.find({"guild_id": GUILD, "action": "ticket.refunded"}).to_list()
    assert len(logged) == 2 and logged[0].by.user_id == SELLER.user_id
    await _ledger_is_sound()


async def test_two_sellers_refunding_at_once_never_refund_more_than_was_paid(store, cipher):
    product = await automatic_product(cipher, items=1)
    await _top_up(501, 100_000)
    ticket = await tickets.open_ticket(GUILD, product.id, BUDI)
    await saldo_payments.pay(ticket.id, BUDI)
    after_paying = await wallet.balance(GUILD, 501)
    part = ticket.amount_due * 6 // 10

    outcomes = await asyncio.gather(
        *(saldo_payments.refund(ticket.id, part, by=SELLER, reason=f"r{n}") for n in range(4)),
        return_exceptions=True,
    )

    done = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(done) == 1 and all(isinstance(o, SaldoRefused) for o in outcomes if o not in done), outcomes
    assert await wallet.balance(GUILD, 501) == after_paying + part
    assert (await tickets.get_ticket(ticket.id)).refunded == part
    await _ledger_is_sound()


async def test_only_sellers_refund_and_only_paid_tickets(store, cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, BUDI)
    with pytest.raises(SaldoRefused) as unpaid:
        await saldo_payments.refund(ticket.id, 1_000, by=SELLER)
    said = unpaid.value.in_locale("id")
    assert said == f"Tiket #{ticket.number} belum dibayar, jadi tidak ada yang bisa dikembalikan."
    await tickets.verify(ticket.id, SELLER)
    with pytest.raises(NotPermitted):
        await saldo_payments.refund(ticket.id, 1_000, by=BUDI)
    with pytest.raises(SaldoRefused):
        await saldo_payments.refund(ticket.id, 0, by=SELLER)
    assert await wallet.balance(GUILD, 501) == 0


async def test_the_buyer_is_told_by_dm_of_each_refund_once(
    store, cipher, settings, relay_to_workers, start_worker, aredis
):
    product = await automatic_product(cipher, items=1)
    start_worker()
    ticket = await tickets.open_ticket(GUILD, product.id, BUDI)
    await tickets.verify(ticket.id, SELLER)
    await saldo_payments.refund(ticket.id, 20_000, by=SELLER, reason="akun tidak bisa login")
    await saldo_payments.refund(ticket.id, 5_000, by=SELLER)

    async def told():
        found = [
            a["content"]
            for a in await recorded_actions(aredis, settings.redis_namespace)
            if a["kind"] == "dm" and a["target"] == 501 and "dikembalikan" in a["content"]
        ]
        return found if len(found) == 2 else None

    said = await eventually(told, "both refunds told to the buyer")
    assert sorted(said) == [
        "Toko Digital: Rp 20.000 dari pesanan #1 (Netflix 1 Bulan) dikembalikan ke saldo Anda. "
        "Alasan: akun tidak bisa login",
        "Toko Digital: Rp 5.000 dari pesanan #1 (Netflix 1 Bulan) dikembalikan ke saldo Anda. Alasan: —",
    ]
    await eventually(lambda: _settled(ticket.id), "the follow-ups done")
    assert await told() == said  # once each


# --- a worker killed between the debit and the delivery -------------------------------------


async def test_a_worker_killed_between_the_debit_and_the_delivery_delivers_once_and_debits_once(
    store, cipher, settings, relay_to_workers, start_worker, aredis
):
    product = await automatic_product(cipher, items=2)
    ns = settings.redis_namespace
    await _top_up(501, 200_000)
    worker = start_worker()
    # Killed before the DM leaves, then after it left but before the ticket says so.
    for round_number, point in enumerate(("send_dm:before", "send_dm:after")):
        await aredis.hset(f"{ns}:discord:hold", point, "1")
        ticket = await tickets.open_ticket(GUILD, product.id, BUDI)
        await saldo_payments.pay(ticket.id, BUDI)
        assert await aredis.blpop(f"{ns}:discord:held", timeout=20) is not None  # in the delivery
        worker.kill()
        await aredis.hdel(f"{ns}:discord:hold", point)
        worker = start_worker()

        async def completed(ticket=ticket):
            found = await tickets.get_ticket(ticket.id)
            return found if found.state is TicketState.COMPLETED else None

        done = await eventually(completed, f"the delivery after a kill at {point}", within=90)
        # Its follow-ups (the rating prompt by DM) done, so none of them meets the next hold.
        await eventually(lambda ticket=ticket: _settled(ticket.id), "the ticket's follow-ups done", within=90)
        key = f"pass{round_number}"
        dms = [a for a in await recorded_actions(aredis, ns) if a["kind"] == "dm" and key in a["content"]]
        assert len(dms) == 1, point  # the item, once
        assert [h.trigger for h in done.history].count("complete") == 1
        assert done.refunded == 0  # and the money stays paid: never both
    spent = sum(-e.amount for e in await _purchases(501))
    assert len(await _purchases(501)) == 2
    assert await wallet.balance(GUILD, 501) == 200_000 - spent
    await _ledger_is_sound()


async def _settled(ticket_id):
    return not (await tickets.get_ticket(ticket_id)).outbox


async def _closed_and_settled(ticket_id):
    found = await tickets.get_ticket(ticket_id)
    return found if found.state is TicketState.CLOSED and not found.outbox else None


async def test_a_saldo_ticket_cancelled_before_its_delivery_gives_the_money_back(
    store, cipher, settings, relay_to_workers, start_worker, aredis
):
    product = await automatic_product(cipher, items=1)
    ns = settings.redis_namespace
    await _top_up(501, 100_000)
    ticket = await tickets.open_ticket(GUILD, product.id, BUDI)
    await saldo_payments.pay(ticket.id, BUDI)  # no worker yet: the delivery waits in its queue
    await tickets.cancel(ticket.id, SELLER, "stok bermasalah")
    start_worker()

    async def refunded():
        return await wallet.balance(GUILD, 501) == 100_000

    await eventually(refunded, "the money back in the buyer's saldo", within=40)
    done = await eventually(lambda: _closed_and_settled(ticket.id), "the cancel's follow-ups done", within=40)
    assert done.refunded == ticket.subtotal and done.delivery is None
    assert [r.reason for r in done.refunds] == ["cancelled before delivery"]
    actions = await recorded_actions(aredis, ns)
    assert not [a for a in actions if a["kind"] == "dm" and "pass0" in a["content"]]  # no key…
    told = [a for a in actions if a["kind"] == "dm" and "saldo" in a["content"]]
    assert len(told) == 1 and a_refund_notice(told[0]["content"], ticket)  # …the money, and told so
    assert await stock.counts(product.id) == {"available": 1, "reserved": 0, "delivered": 0}
    await _ledger_is_sound()


def a_refund_notice(content: str, ticket: Ticket) -> bool:
    amount = format_amount(ticket.subtotal)
    said = f"Toko Digital: tiket #{ticket.number} dibatalkan dan {amount} sudah dikembalikan ke saldo Anda."
    return content == said


async def test_a_worker_killed_mid_delivery_and_the_ticket_then_cancelled_ends_with_the_key_not_the_money(
    store, cipher, settings, relay_to_workers, start_worker, aredis
):
    product = await automatic_product(cipher, items=2)
    ns = settings.redis_namespace
    await _top_up(501, 200_000)
    worker = start_worker()
    for round_number, point in enumerate(("send_dm:before", "send_dm:after")):
        await aredis.hset(f"{ns}:discord:hold", point, "1")
        ticket = await tickets.open_ticket(GUILD, product.id, BUDI)
        await saldo_payments.pay(ticket.id, BUDI)
        assert await aredis.blpop(f"{ns}:discord:held", timeout=20) is not None  # the key is leaving
        worker.kill()
        await aredis.hdel(f"{ns}:discord:hold", point)
        await tickets.cancel(ticket.id, SELLER, "dibatalkan")
        worker = start_worker()

        async def delivered_after_all(ticket=ticket):
            found = await _closed_and_settled(ticket.id)  # the transcript's DM too: not at the next hold
            return found if found and found.delivery is not None else None

        done = await eventually(delivered_after_all, f"the key after a kill at {point}", within=90)
        key = f"pass{round_number}"
        dms = [a for a in await recorded_actions(aredis, ns) if a["kind"] == "dm" and key in a["content"]]
        assert len(dms) == 1, point  # the key, once…
        assert done.refunded == 0 and done.refunds == []  # …and not the money too
    spent = sum(-e.amount for e in await _purchases(501))
    assert await wallet.balance(GUILD, 501) == 200_000 - spent

    # Once more, but the seller gave all the money back before cancelling: no key after that.
    await aredis.hset(f"{ns}:discord:hold", "send_dm:before", "1")
    product = await automatic_product(cipher, items=1, name="Spotify 1 Bulan")
    ticket = await tickets.open_ticket(GUILD, product.id, BUDI)
    await saldo_payments.pay(ticket.id, BUDI)
    assert await aredis.blpop(f"{ns}:discord:held", timeout=20) is not None
    worker.kill()
    await aredis.hdel(f"{ns}:discord:hold", "send_dm:before")
    await saldo_payments.refund(ticket.id, ticket.subtotal, by=SELLER, reason="uang kembali")
    await tickets.cancel(ticket.id, SELLER, "dibatalkan")
    start_worker()
    closed = await eventually(lambda: _closed_and_settled(ticket.id), "the follow-ups done", within=90)
    assert closed.delivery is None and closed.refunded == ticket.subtotal
    sent = [a for a in await recorded_actions(aredis, ns) if a["nonce"] == f"d{ticket.id}"]
    assert sent == []  # no delivery DM (the refund's own DM says the money is back)
    assert await wallet.balance(GUILD, 501) == 200_000 - spent
    await _ledger_is_sound()


async def test_a_panel_purchase_the_buyer_cannot_receive_is_refunded_when_the_seller_cancels(
    store, cipher, settings, relay_to_workers, start_worker, aredis
):
    product = await automatic_product(cipher, items=1)
    ns = settings.redis_namespace
    await _top_up(501, 100_000)
    await aredis.sadd(f"{ns}:discord:dm_closed", "501")
    start_worker()
    ticket = await tickets.open_ticket(GUILD, product.id, BUDI)  # from the panel: no channel
    await saldo_payments.pay(ticket.id, BUDI)

    async def stuck():
        found = await tickets.get_ticket(ticket.id)
        return found if found.delivery_problem else None

    await eventually(stuck, "the seller told the key cannot be delivered", within=40)
    await tickets.cancel(ticket.id, SELLER, "DM pembeli tertutup")

    async def refunded():
        return await wallet.balance(GUILD, 501) == 100_000

    await eventually(refunded, "the money back in the buyer's saldo", within=40)
    done = await tickets.get_ticket(ticket.id)
    assert done.delivery is None and done.refunded == ticket.subtotal
    assert not [a for a in await recorded_actions(aredis, ns) if a["kind"] == "dm"]  # nothing reached him
    await _ledger_is_sound()


# --- the Discord side: "Bayar pakai saldo" in the ticket ------------------------------------


async def _dms_with(sandbox, user, secret):
    s = sandbox.server
    return on_sandbox(
        sandbox,
        lambda: [
            m
            for c in s.channels.values()
            if c.type == 1 and c.recipient_id == user.id
            for m in s.messages[c.id].values()
            if secret in m.content
        ],
    )


async def test_a_buyer_with_saldo_buys_from_the_panel_at_once_and_in_a_ticket_with_one_click(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    _, product = await open_shop(sandbox, world, store, settings, cipher, items=2)
    budi, shop = world["buyer"], world["shop"].id
    await _top_up(budi.id, 100_000)
    start_worker()
    start_bot()
    panel = await panel_message(sandbox, world)

    # Buy: Budi's saldo covers the key, so he is asked how to pay.
    buying = click(sandbox, budi, shop, panel.id, "buy_btn")
    await eventually(settled(sandbox, buying), "the question how to pay")
    [choice] = answers(sandbox, buying)
    assert choice.content == (
        "Saldo Anda (Rp 100.000) cukup untuk Netflix 1 Bulan (Rp 50.000). Bayar langsung pakai saldo "
        "dan terima di DM, atau buka tiket untuk bayar dengan cara lain?"
    )
    buttons = [c for row in choice.components for c in row["components"]]
    assert [(b["custom_id"], b["label"]) for b in buttons] == [
        (f"buy_saldo:{product.id}", "Bayar pakai saldo (Rp 50.000)"),
        (f"buy_ticket:{product.id}", "Buka tiket"),
    ]

    # From saldo: paid at once, no ticket channel, the key in his DMs.
    instant = click(sandbox, budi, shop, choice.id, f"buy_saldo:{product.id}")

    async def bought():
        [said] = answers(sandbox, buying)
        return said if said.content.startswith("Dibayar") else None

    said = await eventually(bought, "the answer that it is paid")
    assert said.content == (
        "Dibayar dari saldo Anda: pesanan #1 Netflix 1 Bulan, Rp 50.000. Produknya sedang dikirim ke DM "
        "Anda. Sisa saldo Anda Rp 50.000."
    )
    assert said.components == [] and instant.response_type == 7 and not instant.late
    await eventually(lambda: _dms_with(sandbox, budi, "user0@mail.test:pass0"), "the key in Budi's DMs")
    first = await Ticket.find_one({"guild_id": GUILD, "number": 1})
    assert first.channel_id is None and first.verification.wallet_entry_id is not None

    # A ticket instead: its first message offers to pay from saldo (Rp 50.000 left covers it).
    again = click(sandbox, budi, shop, panel.id, "buy_btn")
    await eventually(settled(sandbox, again), "the question how to pay, again")
    [choice] = answers(sandbox, again)
    click(sandbox, budi, shop, choice.id, f"buy_ticket:{product.id}")

    async def opened():
        found = await Ticket.find_one({"guild_id": GUILD, "number": 2})
        return found if found and found.opening and found.opening.instructions_message_id else None

    ticket = await eventually(opened, "the ticket's instructions", within=60)
    [instructions] = [m for m in await messages(sandbox, ticket.channel_id) if "paid:" in str(m.components)]
    buttons = instructions.components[0]["components"]
    assert buttons[0]["custom_id"] == f"pay_saldo:{ticket.id}"
    assert buttons[0]["label"] == "Bayar pakai saldo (Rp 50.000)"

    # Someone else pressing it (a seller in the ticket) pays nothing: only the buyer's saldo pays.
    other = click(sandbox, world["seller"], ticket.channel_id, instructions.id, f"pay_saldo:{ticket.id}")
    await eventually(answered(sandbox, other), "the refusal")
    assert answers(sandbox, other)[0].content == "Hanya pembeli tiket ini yang bisa membayarnya pakai saldo."

    # The method menu offers it too (for a buyer who topped up after the ticket opened).
    methods = click(sandbox, budi, ticket.channel_id, instructions.id, f"methods:{ticket.id}")
    await eventually(answered(sandbox, methods), "the payment method menu")
    offered = [c["custom_id"] for row in answers(sandbox, methods)[0].components for c in row["components"]]
    assert f"pay_saldo:{ticket.id}" in offered

    paying = click(sandbox, budi, ticket.channel_id, instructions.id, f"pay_saldo:{ticket.id}")
    await eventually(answered(sandbox, paying), "the buyer's answer")
    assert answers(sandbox, paying)[0].content == (
        f"Dibayar dari saldo Anda: tiket #{ticket.number}, Rp 50.000. Sisa saldo Anda Rp 0. "
        "Pesanan Anda sedang dikirim."
    )
    assert paying.response_type is not None and not paying.late  # acknowledged within 3 s
    await eventually(lambda: _dms_with(sandbox, budi, "user1@mail.test:pass1"), "the second key")

    async def completed():
        found = await tickets.get_ticket(ticket.id)
        return found if found.state is TicketState.COMPLETED else None

    await eventually(completed, "the ticket completed")
    assert await wallet.balance(GUILD, budi.id) == 0
    await _ledger_is_sound()
