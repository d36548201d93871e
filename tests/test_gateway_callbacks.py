"""Payment gateways' callbacks: a settled payment of exactly the amount verifies its ticket
once; forged, wrong or malformed callbacks change nothing."""

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

TRIPAY_KEY, MIDTRANS_KEY, XENDIT_TOKEN = "tripay-private-key", "SB-Mid-server-key", "xendit-callback-token"


@pytest.fixture
async def http(store, settings, monkeypatch):
    # Secrets are opened with this test's secret key (they are encrypted at rest).
    monkeypatch.setattr(payment_secrets, "get_settings", lambda: settings)
    credentials = {
        "tripay_private_key": TRIPAY_KEY,
        "midtrans_server_key": MIDTRANS_KEY,
        "xendit_callback_token": XENDIT_TOKEN,
    }
    await Store.get_pymongo_collection().update_one({"guild_id": GUILD}, {"$set": {"gateways": credentials}})
    transport = httpx.ASGITransport(app=webhooks)
    async with httpx.AsyncClient(transport=transport, base_url="http://store") as client:
        yield client


@pytest.fixture
async def ticket(store, cipher):
    product = await automatic_product(cipher, items=1)
    return await tickets.open_ticket(GUILD, product.id, buyer())


def tripay_body(ticket, status="PAID", amount=None, reference="T-1"):
    return json.dumps(
        {
            "reference": reference,
            "merchant_ref": str(ticket.id),
            "status": status,
            "total_amount": amount if amount is not None else ticket.amount_due,
        }
    ).encode()


async def post_tripay(http, body, key=TRIPAY_KEY):
    signature = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    return await http.post(
        f"/webhooks/tripay/{GUILD}", content=body, headers={"X-Callback-Signature": signature}
    )


def midtrans_body(ticket, status="settlement", key=MIDTRANS_KEY, fraud=None, gross=None):
    gross = gross or f"{ticket.amount_due}.00"
    data = {
        "order_id": str(ticket.id),
        "status_code": "200",
        "gross_amount": gross,
        "transaction_status": status,
        "transaction_id": "mt-1",
        "currency": "IDR",
        "signature_key": hashlib.sha512(f"{ticket.id}200{gross}{key}".encode()).hexdigest(),
    }
    if fraud:
        data["fraud_status"] = fraud
    return json.dumps(data).encode()


async def _state(ticket):
    return (await tickets.get_ticket(ticket.id)).state


async def test_a_settled_tripay_payment_verifies_its_ticket_once_even_five_times_at_once(http, ticket):
    body = tripay_body(ticket)
    responses = await asyncio.gather(*(post_tripay(http, body) for _ in range(5)))
    assert sorted(r.json()["result"] for r in responses) == ["duplicate"] * 4 + ["verified"]
    saved = await tickets.get_ticket(ticket.id)
    assert saved.state is TicketState.PAID and [h.trigger for h in saved.history].count("verify") == 1
    assert await IncomingPayment.count() == 1


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda t: (tripay_body(t), "wrong-key"), 401),
        (lambda t: (tripay_body(t, amount=t.amount_due - 1), TRIPAY_KEY), 400),
        (
            lambda t: (
                json.dumps(
                    {"reference": "x", "merchant_ref": "nope", "status": "PAID", "total_amount": 1}
                ).encode(),
                TRIPAY_KEY,
            ),
            400,
        ),
        (lambda t: (b"not json", TRIPAY_KEY), 400),
    ],
)
async def test_bad_tripay_callbacks_change_nothing(http, ticket, make, code, caplog):
    caplog.set_level(logging.WARNING, logger="web.webhooks")
    body, key = make(ticket)
    response = await post_tripay(http, body, key)
    assert response.status_code == code
    assert await _state(ticket) is TicketState.OPEN and await IncomingPayment.count() == 0
    assert any("tripay callback" in r.getMessage() and "refused" in r.getMessage() for r in caplog.records)


async def test_an_unpaid_tripay_status_does_not_verify(http, ticket):
    response = await post_tripay(http, tripay_body(ticket, status="UNPAID"))
    assert response.json()["result"] == "not_settled" and await _state(ticket) is TicketState.OPEN


async def test_midtrans_settlement_verifies_and_a_forged_signature_does_not(http, ticket):
    forged = await http.post(f"/webhooks/midtrans/{GUILD}", content=midtrans_body(ticket, key="guess"))
    assert forged.status_code == 401 and await _state(ticket) is TicketState.OPEN
    pending = await http.post(f"/webhooks/midtrans/{GUILD}", content=midtrans_body(ticket, status="pending"))
    assert pending.json()["result"] == "not_settled"
    flagged = await http.post(
        f"/webhooks/midtrans/{GUILD}", content=midtrans_body(ticket, status="capture", fraud="challenge")
    )
    assert flagged.json()["result"] == "not_settled" and await _state(ticket) is TicketState.OPEN
    settled = await http.post(f"/webhooks/midtrans/{GUILD}", content=midtrans_body(ticket))
    assert settled.json()["result"] == "verified" and await _state(ticket) is TicketState.PAID


async def test_xendit_needs_the_callback_token(http, ticket):
    body = json.dumps(
        {
            "id": "x-1",
            "external_id": str(ticket.id),
            "status": "PAID",
            "paid_amount": ticket.amount_due,
            "currency": "IDR",
        }
    ).encode()
    refused = await http.post(f"/webhooks/xendit/{GUILD}", content=body, headers={"x-callback-token": "nope"})
    assert refused.status_code == 401 and await _state(ticket) is TicketState.OPEN
    wrong_currency = body.replace(b'"IDR"', b'"USD"')
    bad = await http.post(
        f"/webhooks/xendit/{GUILD}", content=wrong_currency, headers={"x-callback-token": XENDIT_TOKEN}
    )
    assert bad.status_code == 400
    ok = await http.post(
        f"/webhooks/xendit/{GUILD}", content=body, headers={"x-callback-token": XENDIT_TOKEN}
    )
    assert ok.json()["result"] == "verified" and await _state(ticket) is TicketState.PAID


@pytest.mark.parametrize("gateway", ["tripay", "midtrans", "xendit"])
async def test_a_thousand_random_callbacks_per_gateway_never_crash_or_verify(http, ticket, gateway):
    junk = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=14), inner, max_size=6),
        max_leaves=12,
    )
    order_like = st.fixed_dictionaries(
        {
            "merchant_ref": st.just(str(ticket.id)),
            "external_id": st.just(str(ticket.id)),
            "order_id": st.just(str(ticket.id)),
            "status": st.sampled_from(["PAID", "SETTLED", "x"]),
            "transaction_status": st.sampled_from(["settlement", "capture"]),
        },
        optional={
            "total_amount": junk,
            "paid_amount": junk,
            "gross_amount": junk,
            "reference": junk,
            "id": junk,
            "currency": junk,
            "signature_key": junk,
            "status_code": junk,
            "transaction_id": junk,
        },
    )
    bodies = st.one_of(
        junk.map(lambda v: json.dumps(v).encode()),
        order_like.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=200),
    )
    loop, seen = asyncio.get_running_loop(), []
    headers = {
        "tripay": lambda b: {
            "X-Callback-Signature": hmac.new(TRIPAY_KEY.encode(), b, hashlib.sha256).hexdigest()
        },
        "midtrans": lambda b: {},
        "xendit": lambda b: {"x-callback-token": XENDIT_TOKEN},
    }[gateway]

    @settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
    @given(bodies)
    def fuzz(body: bytes) -> None:
        post = http.post(f"/webhooks/{gateway}/{GUILD}", content=body, headers=headers(body))
        seen.append(asyncio.run_coroutine_threadsafe(post, loop).result(30).status_code)

    await asyncio.to_thread(fuzz)
    assert len(seen) >= 1000 and all(code < 500 for code in seen)
    assert (await Ticket.get(ticket.id)).state is TicketState.OPEN


@pytest.mark.parametrize("amount", [10**400, "1e400", "NaN", -5, 12.5, [1], {"v": 1}])
async def test_absurd_amounts_are_refused_not_crashed_on(http, ticket, amount):
    body = json.dumps(
        {"reference": "T-9", "merchant_ref": str(ticket.id), "status": "PAID", "total_amount": amount}
    ).encode()
    response = await post_tripay(http, body)
    assert response.status_code == 400 and "total_amount" in response.json()["error"]
    assert await _state(ticket) is TicketState.OPEN


async def test_signatures_with_non_ascii_characters_are_refused_not_crashed_on(http, ticket):
    body = json.loads(midtrans_body(ticket))
    body["signature_key"] = "¡" + body["signature_key"][1:]
    midtrans = await http.post(f"/webhooks/midtrans/{GUILD}", content=json.dumps(body).encode())
    xendit = await http.post(
        f"/webhooks/xendit/{GUILD}",
        content=json.dumps({"external_id": str(ticket.id), "status": "PAID", "amount": 1}).encode(),
        headers={"x-callback-token": "tökén".encode("latin-1")},
    )
    tripay = await http.post(
        f"/webhooks/tripay/{GUILD}", content=b"{}", headers={"X-Callback-Signature": "sïg".encode("latin-1")}
    )
    assert (midtrans.status_code, xendit.status_code, tripay.status_code) == (401, 401, 401)
    assert await _state(ticket) is TicketState.OPEN
