"""Saldo top-ups (issue 21, item 2) through the real webhook routes: a top-up asks for its own
unique amount (and a dynamic QRIS for it); a bank mutation, a gateway callback or a seller's
verification credits it exactly once, however often and however concurrently they arrive;
money that paid nothing is put on a buyer's saldo by a seller in one call, or by the store
itself when the seller chose so."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import timedelta

import httpx
import pytest

from models.incoming_payment import IncomingPayment
from models.store import Store
from models.ticket import TicketState
from models.topup import TopUp, TopUpState
from models.wallet import EntryKind, WalletEntry
from tests.conftest import GUILD
from tests.helpers import SELLER, automatic_product, buyer
from tests.test_qris import static_payload
from web.webhooks import webhooks
from workflows import (
    payment_methods,
    payment_secrets,
    payments,
    qris,
    store_settings,
    tickets,
    topups,
    wallet,
)
from workflows.errors import StoreError

MOOTA = "moota-secret-0123456789"
TRIPAY = "tripay-private-key"
BUDI = 501


@pytest.fixture
async def http(store, settings, monkeypatch):
    monkeypatch.setattr(payment_secrets, "get_settings", lambda: settings)
    await Store.get_pymongo_collection().update_one(
        {"guild_id": GUILD}, {"$set": {"moota_secret": MOOTA, "gateways": {"tripay_private_key": TRIPAY}}}
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=webhooks), base_url="http://store"
    ) as client:
        yield client


def _mutation(amount: int, mutation_id: str, description: str = "TRSF E-BANKING CR BUDI") -> bytes:
    return json.dumps(
        [
            {
                "mutation_id": mutation_id,
                "amount": amount,
                "type": "CR",
                "bank_type": "bca",
                "description": description,
            }
        ]
    ).encode()


async def _moota(http, body: bytes):
    signature = hmac.new(MOOTA.encode(), body, hashlib.sha256).hexdigest()
    return await http.post(f"/webhooks/moota/{GUILD}", content=body, headers={"Signature": signature})


async def _tripay(http, order: str, amount: int, reference: str):
    body = json.dumps(
        {"reference": reference, "merchant_ref": order, "status": "PAID", "total_amount": amount}
    ).encode()
    signature = hmac.new(TRIPAY.encode(), body, hashlib.sha256).hexdigest()
    return await http.post(
        f"/webhooks/tripay/{GUILD}", content=body, headers={"X-Callback-Signature": signature}
    )


async def _store() -> Store:
    found = await Store.find_one({"guild_id": GUILD})
    assert found is not None
    return found


async def test_a_bank_transfer_of_the_top_ups_amount_credits_it_once_even_five_times_at_once(http, cipher):
    product = await automatic_product(cipher, items=1, price=50_000)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(777, "siti"))
    await payment_methods.add_method(GUILD, "qris", "QRIS", {"payload": static_payload()})
    topup = await topups.request(await _store(), BUDI, 50_000, buyer_name="budi")

    # Its own amount: never the one the open ticket of the same price asks for.
    assert 50_001 <= topup.amount_due <= 50_999 and topup.amount_due != ticket.amount_due
    assert qris.amount_of(topup.qris_payload) == topup.amount_due

    body = _mutation(topup.amount_due, "m-topup")
    answers = await asyncio.gather(*(_moota(http, body) for _ in range(5)))
    statuses = sorted(a.json()["results"][0]["status"] for a in answers)
    assert statuses == ["duplicate"] * 4 + ["topup"]
    assert await wallet.balance(GUILD, BUDI) == topup.amount_due
    credited = await TopUp.get(topup.id)
    assert credited.state is TopUpState.CREDITED and credited.incoming_payment_id is not None
    [entry] = await wallet.entries(GUILD, BUDI)
    assert (entry.kind, entry.ref, entry.amount) == (EntryKind.TOPUP, f"topup:{topup.id}", topup.amount_due)
    # The ticket was not paid by the top-up's money, and the money is not listed as unmatched.
    assert (await tickets.get_ticket(ticket.id)).state is TicketState.OPEN
    assert await payments.unmatched(GUILD) == []
    assert (await wallet.check_ledger(GUILD)).ok
    # Waiting for its DM, claimed once by whoever tells the buyer.
    assert [t.id for t in await topups.to_notify()] == [topup.id]
    assert await asyncio.gather(topups.mark_notified(topup.id), topups.mark_notified(topup.id)) in (
        [True, False],
        [False, True],
    )
    assert await topups.to_notify() == []


async def test_many_top_ups_of_the_same_amount_each_ask_for_a_different_amount(store):
    made = await asyncio.gather(*(topups.request(store, 1000 + n, 20_000) for n in range(40)))
    assert len({t.amount_due for t in made}) == 40
    # A ticket opened now avoids them too.
    assert sorted(await topups.amounts_in_use(GUILD, 20_000, 20_999)) == sorted(t.amount_due for t in made)


async def test_a_top_up_amount_out_of_range_is_refused_in_the_buyers_words(store):
    with pytest.raises(wallet.WalletRefused) as refused:
        await topups.request(store, BUDI, 500)
    assert refused.value.in_locale("id") == "Top up harus dari Rp 1.000 sampai Rp 100.000.000."
    assert await TopUp.find_all().count() == 0


async def test_a_gateway_callback_credits_a_top_up_once_and_a_second_payment_also_becomes_saldo(http, store):
    topup = await topups.request(store, BUDI, 100_000)
    answers = await asyncio.gather(*(_tripay(http, str(topup.id), topup.amount_due, "T-1") for _ in range(5)))
    assert sorted(a.json()["result"] for a in answers) == ["duplicate"] * 4 + ["topup"]
    assert await wallet.balance(GUILD, BUDI) == topup.amount_due
    # The buyer pays the same request again with another gateway payment: saldo, not lost money.
    again = await _tripay(http, str(topup.id), topup.amount_due, "T-2")
    assert again.json()["result"] == "credited"
    assert await wallet.balance(GUILD, BUDI) == 2 * topup.amount_due
    # A wrong amount for the top-up is refused (4xx), changes nothing.
    wrong = await _tripay(http, str(topup.id), topup.amount_due + 1, "T-3")
    assert wrong.status_code == 400
    assert await wallet.balance(GUILD, BUDI) == 2 * topup.amount_due
    assert (await wallet.check_ledger(GUILD)).ok


async def test_a_seller_verifies_a_top_up_by_hand_and_the_late_bank_notification_credits_nothing(http, store):
    topup = await topups.request(store, BUDI, 30_000)
    done = await topups.verify_by_seller(GUILD, topup.id, SELLER)
    again = await topups.verify_by_seller(GUILD, topup.id, SELLER)
    assert done.now and not again.now
    assert await wallet.balance(GUILD, BUDI) == topup.amount_due
    late = await _moota(http, _mutation(topup.amount_due, "m-late"))
    assert late.json()["results"][0]["status"] == "unmatched"
    assert await wallet.balance(GUILD, BUDI) == topup.amount_due
    [waiting] = await payments.unmatched(GUILD)  # the seller decides what the late money is
    assert waiting.amount == topup.amount_due
    with pytest.raises(wallet.WalletRefused):
        await topups.verify_by_seller(GUILD, topup.id, buyer())  # a buyer cannot verify


async def test_an_unmatched_transfer_is_credited_to_a_buyer_by_the_seller_once(http, store):
    response = await _moota(http, _mutation(12_345, "m-stray"))
    assert response.json()["results"][0]["status"] == "unmatched"
    [stray] = await payments.unmatched(GUILD)
    with pytest.raises(wallet.WalletRefused) as whose:
        await topups.credit_payment(GUILD, stray.id, by=SELLER)
    assert "pilih pembeli" in whose.value.in_locale("id")
    results = await asyncio.gather(
        *(topups.credit_payment(GUILD, stray.id, by=SELLER, buyer_id=BUDI) for _ in range(5)),
        return_exceptions=True,
    )
    assert await wallet.balance(GUILD, BUDI) == 12_345
    assert sum(1 for r in results if isinstance(r, topups.PaymentCredit) and r.now) == 1
    assert await payments.unmatched(GUILD) == []  # it left the seller's to-do list
    [entry] = await wallet.entries(GUILD, BUDI)
    assert (entry.kind, entry.by) == (EntryKind.CREDIT, SELLER.user_id)
    assert (await wallet.check_ledger(GUILD)).ok


async def test_gateway_money_for_a_closed_ticket_goes_to_saldo_when_the_seller_chose_so(http, store, cipher):
    product = await automatic_product(cipher, items=2, name="Canva Pro")
    first = await tickets.open_ticket(GUILD, product.id, buyer(BUDI))
    await tickets.expire(first, now=first.expires_at + timedelta(seconds=1))
    kept = await _tripay(http, str(first.id), first.amount_due, "T-late-1")
    assert kept.json()["result"] == "kept"  # setting off: the seller decides
    [waiting] = await payments.unmatched(GUILD)
    credit = await topups.credit_payment(GUILD, waiting.id, by=SELLER)  # the buyer is known
    assert (credit.buyer_id, credit.amount) == (BUDI, first.amount_due)

    await store_settings.update_store(GUILD, auto_credit_overpayments=True, by=SELLER)
    second = await tickets.open_ticket(GUILD, product.id, buyer(502, "ani"))
    await tickets.expire(second, now=second.expires_at + timedelta(seconds=1))
    auto = await _tripay(http, str(second.id), second.amount_due, "T-late-2")
    assert auto.json()["result"] == "credited"
    assert await wallet.balance(GUILD, 502) == second.amount_due
    assert await wallet.balance(GUILD, BUDI) == first.amount_due
    assert await payments.unmatched(GUILD) == []


async def test_an_over_payment_matched_by_the_seller_leaves_the_rest_on_saldo_automatically(
    http, store, cipher
):
    await store_settings.update_store(GUILD, auto_credit_overpayments=True, by=SELLER)
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(BUDI))
    await _moota(http, _mutation(60_000, "m-round"))  # the buyer rounded up, without the code
    [money] = await payments.unmatched(GUILD)
    await payments.match_by_seller(money.id, ticket, SELLER)
    assert (await tickets.get_ticket(ticket.id)).state is not TicketState.OPEN
    assert await wallet.balance(GUILD, BUDI) == 60_000 - ticket.amount_due
    [entry] = await WalletEntry.find({"guild_id": GUILD}).to_list()
    assert (entry.kind, entry.ref, entry.by) == (EntryKind.CREDIT, f"payment:{money.id}", None)


async def test_a_top_up_whose_credit_died_half_way_is_credited_when_the_bank_repeats(http, store):
    """The first delivery recorded the payment and died before crediting: the provider's retry
    finishes the credit, once."""
    topup = await topups.request(store, BUDI, 40_000)
    await IncomingPayment(
        guild_id=GUILD,
        amount=topup.amount_due,
        source="moota",
        external_id="m-crash",
        status="matched",
        topup_id=topup.id,
    ).insert()
    assert await wallet.balance(GUILD, BUDI) == 0
    for _ in range(2):
        retry = await _moota(http, _mutation(topup.amount_due, "m-crash"))
        assert retry.json()["results"][0]["status"] == "duplicate"
    assert await wallet.balance(GUILD, BUDI) == topup.amount_due
    assert (await TopUp.get(topup.id)).state is TopUpState.CREDITED


async def test_money_credited_to_saldo_can_no_longer_pay_a_ticket(http, store, cipher):
    """The same rupiah is never both saldo and a ticket's payment."""
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(777, "siti"))
    money = await IncomingPayment(guild_id=GUILD, amount=ticket.amount_due, source="manual").insert()
    await topups.credit_payment(GUILD, money.id, by=SELLER, buyer_id=BUDI)
    # The buyer of the ticket says "I have paid": the credited money does not pay it...
    assert await payments.verify_automatically(ticket) is False
    # ...nor can a seller match it to the ticket.
    with pytest.raises(StoreError):
        await payments.match_by_seller(money.id, ticket, SELLER)
    assert (await tickets.get_ticket(ticket.id)).state is TicketState.OPEN
    assert await wallet.balance(GUILD, BUDI) == ticket.amount_due
