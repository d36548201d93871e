"""Bank mutations from Moota verify the one ticket asking for exactly that amount; nothing
forged, malformed or repeated can verify anything."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.incoming_payment import IncomingPayment
from models.store import Store
from models.ticket import Ticket, TicketState
from tests.conftest import GUILD
from tests.helpers import automatic_product, buyer
from web.webhooks import webhooks
from workflows import payment_secrets, tickets

SECRET = "moota-secret-0123456789"


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
async def http(store, settings, monkeypatch):
    # Secrets are opened with this test's secret key (they are encrypted at rest).
    monkeypatch.setattr(payment_secrets, "get_settings", lambda: settings)
    await Store.get_pymongo_collection().update_one({"guild_id": GUILD}, {"$set": {"moota_secret": SECRET}})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=webhooks), base_url="http://store"
    ) as client:
        yield client


async def _post(http, body: bytes, signature: str | None):
    headers = {"Signature": signature} if signature is not None else {}
    return await http.post(f"/webhooks/moota/{GUILD}", content=body, headers=headers)


def _mutation(amount: int, mutation_id: str = "m-1", kind: str = "CR") -> bytes:
    return json.dumps(
        [
            {
                "mutation_id": mutation_id,
                "amount": amount,
                "type": kind,
                "bank_type": "bca",
                "description": "TRSF E-BANKING CR BUDI",
            }
        ]
    ).encode()


async def test_a_transfer_of_the_exact_amount_verifies_its_ticket(http, cipher):
    product = await automatic_product(cipher, items=2)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    body = _mutation(ticket.amount_due)
    response = await _post(http, body, sign(body))
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"mutation_id": "m-1", "status": "matched", "ticket_number": ticket.number}
    ]
    paid = await tickets.get_ticket(ticket.id)
    assert paid.state is TicketState.PAID and paid.verification.automatic
    assert [e.actor for e in paid.outbox] == ["deliver_product"]


async def test_the_same_notification_five_times_at_once_verifies_once(http, cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    body = _mutation(ticket.amount_due, "m-77")
    responses = await asyncio.gather(*(_post(http, body, sign(body)) for _ in range(5)))
    assert [r.status_code for r in responses] == [200] * 5
    statuses = sorted(r.json()["results"][0]["status"] for r in responses)
    assert statuses == ["duplicate"] * 4 + ["matched"]
    saved = await tickets.get_ticket(ticket.id)
    assert [h.trigger for h in saved.history].count("verify") == 1
    assert await IncomingPayment.count() == 1


async def test_a_transfer_matching_no_ticket_is_kept_for_the_seller(http, cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    body = _mutation(ticket.amount_due + 1, "m-2")
    response = await _post(http, body, sign(body))
    assert response.json()["results"][0]["status"] == "unmatched"
    assert (await tickets.get_ticket(ticket.id)).state is TicketState.OPEN
    kept = await IncomingPayment.find_one({"external_id": "m-2"})
    assert kept.status == "unmatched" and kept.ticket_id is None and kept.amount == ticket.amount_due + 1


@pytest.mark.parametrize(
    ("body", "signature", "status"),
    [
        (b'[{"mutation_id": "x", "amount": 50001, "type": "CR"}]', "0" * 64, 401),  # forged
        (b'[{"mutation_id": "x", "amount": 50001, "type": "CR"}]', None, 401),  # missing
        (b"{not json", "sign", 400),
        (b'{"mutation_id": "x"}', "sign", 400),  # not an array
        (b'[{"mutation_id": "x", "amount": "lots", "type": "CR"}]', "sign", 400),
        (b"[" + b'{"mutation_id": "x", "amount": 1, "type": "CR"},' * 10_000 + b"{}]", "sign", 413),
    ],
)
async def test_bad_notifications_get_a_4xx_and_change_nothing(http, cipher, body, signature, status, caplog):
    caplog.set_level(logging.WARNING, logger="web.webhooks")
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    response = await _post(http, body, sign(body) if signature == "sign" else signature)
    assert response.status_code == status
    assert (await tickets.get_ticket(ticket.id)).state is TicketState.OPEN
    assert await IncomingPayment.count() == 0
    assert any(f"moota webhook for {GUILD} refused" in r.getMessage() for r in caplog.records)  # logged


async def test_an_unknown_store_is_refused(http):
    body = _mutation(1000)
    response = await http.post("/webhooks/moota/42", content=body, headers={"Signature": sign(body)})
    assert response.status_code == 404


async def test_a_thousand_random_signed_bodies_never_crash_or_verify(http, cipher):
    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    junk = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
        max_leaves=12,
    )
    seen: list[int] = []
    loop = asyncio.get_running_loop()

    @settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(junk.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200)))
    def fuzz(body: bytes) -> None:
        # Hypothesis drives from a thread; each request runs on the test's loop (the database's).
        response = asyncio.run_coroutine_threadsafe(_post(http, body, sign(body)), loop).result(30)
        seen.append(response.status_code)

    await asyncio.to_thread(fuzz)
    assert len(seen) >= 1000 and all(code < 500 for code in seen)
    assert (await Ticket.get(ticket.id)).state is TicketState.OPEN


async def test_a_seller_matches_an_unmatched_transfer_to_its_ticket_once(http, cipher):
    from tests.helpers import SELLER
    from workflows import payments
    from workflows.errors import InvalidInput, NotPermitted

    product = await automatic_product(cipher, items=1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    body = _mutation(ticket.subtotal, "m-forgot-code")  # the buyer forgot the unique code
    await _post(http, body, sign(body))
    [payment] = await payments.unmatched(GUILD)
    with pytest.raises(NotPermitted):
        await payments.match_by_seller(payment.id, str(ticket.id), buyer())
    result = await payments.match_by_seller(payment.id, str(ticket.id), SELLER)
    assert result.applied and result.ticket.state is TicketState.PAID
    assert await payments.unmatched(GUILD) == []
    with pytest.raises(InvalidInput, match="already matched"):
        await payments.match_by_seller(payment.id, str(ticket.id), SELLER)


async def test_a_signature_with_non_ascii_characters_is_refused_not_crashed_on(http, cipher):
    body = _mutation(1000)
    response = await http.post(
        f"/webhooks/moota/{GUILD}", content=body, headers={"Signature": "é".encode("latin-1") * 64}
    )
    assert response.status_code == 401


async def test_a_transfer_seen_on_another_bank_than_the_buyers_choice_is_left_for_the_seller(http, cipher):
    from models.payment_method import PaymentKind, PaymentMethod

    bca = await PaymentMethod(
        guild_id=GUILD,
        kind=PaymentKind.BANK,
        provider="BCA",
        details={"account_number": "1", "account_name": "T"},
    ).insert()
    mandiri = await PaymentMethod(
        guild_id=GUILD,
        kind=PaymentKind.BANK,
        provider="Mandiri",
        details={"account_number": "2", "account_name": "T"},
    ).insert()
    product = await automatic_product(cipher, items=2)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    await tickets.choose_payment_method(ticket.id, buyer(), str(mandiri.id))
    body = _mutation((await tickets.get_ticket(ticket.id)).amount_due, "m-on-bca")  # bank_type bca
    response = await _post(http, body, sign(body))
    assert response.json()["results"][0]["status"] == "unmatched"
    assert (await tickets.get_ticket(ticket.id)).state is TicketState.OPEN

    await tickets.choose_payment_method(ticket.id, buyer(), str(bca.id))
    body = _mutation((await tickets.get_ticket(ticket.id)).amount_due, "m-on-bca-2")
    response = await _post(http, body, sign(body))
    assert response.json()["results"][0]["status"] == "matched"
    assert (await tickets.get_ticket(ticket.id)).state is TicketState.PAID
