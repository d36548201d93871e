"""Found by trying bad input (issue 15): every one of these was accepted, crashed or leaked
before; each test goes through the route or the bot where a person would see it."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import httpx
import pytest

from models.incoming_payment import IncomingPayment
from models.store import Store
from models.ticket import Ticket, TicketState
from tests.conftest import GUILD
from tests.helpers import automatic_product, buyer
from web.webhooks import webhooks
from workflows import gateway_callbacks, payment_secrets, store_settings, tickets

MOOTA, TRIPAY, MIDTRANS, XENDIT = (
    "moota-secret-0123456789",
    "tripay-private-key-0123",
    "SB-Mid-server-key-0123",
    "xendit-callback-token-01",
)
PROVIDERS = ["moota", "tripay", "midtrans", "xendit"]


@pytest.fixture
async def http(store, settings, monkeypatch):
    monkeypatch.setattr(payment_secrets, "get_settings", lambda: settings)
    await store_settings.set_payment_secrets(
        GUILD,
        moota_secret=MOOTA,
        tripay_private_key=TRIPAY,
        midtrans_server_key=MIDTRANS,
        xendit_callback_token=XENDIT,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=webhooks), base_url="http://store"
    ) as client:
        yield client


@pytest.fixture
async def ticket(store, cipher):
    product = await automatic_product(cipher, items=2)
    return await tickets.open_ticket(GUILD, product.id, buyer())


def signed(provider: str, body: bytes) -> dict[str, str]:
    """The headers that make `body` genuine for `provider` (Midtrans signs inside the body)."""
    if provider == "moota":
        return {"Signature": hmac.new(MOOTA.encode(), body, hashlib.sha256).hexdigest()}
    if provider == "tripay":
        return {"X-Callback-Signature": hmac.new(TRIPAY.encode(), body, hashlib.sha256).hexdigest()}
    if provider == "xendit":
        return {"x-callback-token": XENDIT}
    return {}


def moota_body(amount: int, mutation_id: str = "m-1") -> bytes:
    return json.dumps(
        [{"mutation_id": mutation_id, "amount": amount, "type": "CR", "bank_type": "bca"}]
    ).encode()


def tripay_body(ticket, reference: str = "T-1") -> bytes:
    return json.dumps(
        {
            "reference": reference,
            "merchant_ref": str(ticket.id),
            "status": "PAID",
            "total_amount": ticket.amount_due,
        }
    ).encode()


def midtrans_body(ticket, transaction_id: str = "mt-1") -> bytes:
    gross = f"{ticket.amount_due}.00"
    return json.dumps(
        {
            "order_id": str(ticket.id),
            "status_code": "200",
            "gross_amount": gross,
            "transaction_status": "settlement",
            "transaction_id": transaction_id,
            "currency": "IDR",
            "signature_key": hashlib.sha512(f"{ticket.id}200{gross}{MIDTRANS}".encode()).hexdigest(),
        }
    ).encode()


def xendit_body(ticket, invoice: str = "x-1") -> bytes:
    return json.dumps(
        {
            "id": invoice,
            "external_id": str(ticket.id),
            "status": "PAID",
            "paid_amount": ticket.amount_due,
            "currency": "IDR",
        }
    ).encode()


def genuine(provider: str, ticket) -> bytes:
    return {
        "moota": lambda: moota_body(ticket.amount_due),
        "tripay": lambda: tripay_body(ticket),
        "midtrans": lambda: midtrans_body(ticket),
        "xendit": lambda: xendit_body(ticket),
    }[provider]()


# --- 2. hostile bodies and ids on every webhook route -------------------------------------

NESTED = b"[" * 50_000 + b"]" * 50_000
BAD_REQUESTS = {
    "huge nesting": (str(GUILD), NESTED, {}),
    "huge nesting in an object": (str(GUILD), b'{"a":' * 50_000 + b"1" + b"}" * 50_000, {}),
    "huge id": ("99999999999999999999", b"[]", {}),
    "id past int64": ("9223372036854775808", b"[]", {}),
    "non-numeric id": ("toko", b"[]", {}),
    "negative id": ("-5", b"[]", {}),
    "empty body": (str(GUILD), b"", {}),
    "binary garbage": (str(GUILD), bytes(range(256)) * 4, {}),
    "wrong content type": (str(GUILD), b"order_id=1&status=PAID", {"content-type": "text/plain"}),
    "form content type": (
        str(GUILD),
        b"order_id=1",
        {"content-type": "application/x-www-form-urlencoded"},
    ),
    "oversized body": (str(GUILD), b'["' + b"x" * (300 * 1024) + b'"]', {}),
}


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("case", list(BAD_REQUESTS))
async def test_hostile_webhook_requests_get_a_4xx_with_a_reason_and_store_nothing(
    http, ticket, provider, case
):
    guild, body, extra = BAD_REQUESTS[case]
    # Signed with the store's real secret: a correct signature must not open the door to a crash.
    response = await http.post(
        f"/webhooks/{provider}/{guild}", content=body, headers={**signed(provider, body), **extra}
    )
    assert 400 <= response.status_code < 500, (case, response.status_code)
    assert response.json()["error"]
    assert await IncomingPayment.count() == 0
    assert (await tickets.get_ticket(ticket.id)).state is TicketState.OPEN


async def test_deep_nesting_is_a_clear_400_once_signed(http, ticket):
    response = await http.post(f"/webhooks/moota/{GUILD}", content=NESTED, headers=signed("moota", NESTED))
    assert response.status_code == 400 and "nested deeper" in response.json()["error"]
    midtrans = await http.post(f"/webhooks/midtrans/{GUILD}", content=NESTED)
    assert midtrans.status_code == 400 and "nested deeper" in midtrans.json()["error"]


async def test_midtrans_without_a_server_key_refuses_before_reading_the_body(http, ticket):
    await store_settings.set_payment_secrets(GUILD, midtrans_server_key="")
    response = await http.post(f"/webhooks/midtrans/{GUILD}", content=NESTED)
    assert response.status_code == 401
    assert await IncomingPayment.count() == 0


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_genuine_notification_with_a_json_content_type_still_pays(http, ticket, provider):
    body = genuine(provider, ticket)
    headers = {**signed(provider, body), "content-type": "application/json; charset=utf-8"}
    response = await http.post(f"/webhooks/{provider}/{GUILD}", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert (await tickets.get_ticket(ticket.id)).state is TicketState.PAID


# --- 4. payment secrets encrypted at rest ---------------------------------------------------


async def _raw_store() -> dict:
    return await Store.get_pymongo_collection().find_one({"guild_id": GUILD})


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_payment_secrets_are_not_in_the_database_in_clear_and_still_verify(http, ticket, provider):
    raw = json.dumps(await _raw_store(), default=str)
    for secret in (MOOTA, TRIPAY, MIDTRANS, XENDIT):
        assert secret not in raw
    saved = await _raw_store()
    assert saved["moota_secret"].startswith("fernet:")
    assert all(v.startswith("fernet:") for v in saved["gateways"].values())

    body = genuine(provider, ticket)
    response = await http.post(f"/webhooks/{provider}/{GUILD}", content=body, headers=signed(provider, body))
    assert response.status_code == 200
    assert (await tickets.get_ticket(ticket.id)).state is TicketState.PAID


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_secret_left_in_clear_by_an_older_version_is_read_once_and_saved_encrypted(
    http, store, cipher, provider
):
    # What an older version wrote: every secret in clear.
    await Store.get_pymongo_collection().update_one(
        {"guild_id": GUILD},
        {
            "$set": {
                "moota_secret": MOOTA,
                "gateways": {
                    "tripay_private_key": TRIPAY,
                    "midtrans_server_key": MIDTRANS,
                    "xendit_callback_token": XENDIT,
                },
            }
        },
    )
    product = await automatic_product(cipher, items=2, name="Spotify")
    first = await tickets.open_ticket(GUILD, product.id, buyer())
    body = genuine(provider, first)
    response = await http.post(f"/webhooks/{provider}/{GUILD}", content=body, headers=signed(provider, body))
    assert response.status_code == 200 and (await tickets.get_ticket(first.id)).state is TicketState.PAID

    saved = await _raw_store()
    gateways = saved["gateways"]
    value = saved["moota_secret"] if provider == "moota" else gateways[gateway_callbacks.KEYS[provider]]
    assert value.startswith("fernet:") and value not in (MOOTA, TRIPAY, MIDTRANS, XENDIT)

    # Read again, now encrypted: a second buyer's payment still verifies.
    second = await tickets.open_ticket(GUILD, product.id, buyer(502, "sari"))
    body = {
        "moota": lambda: moota_body(second.amount_due, "m-2"),
        "tripay": lambda: tripay_body(second, "T-2"),
        "midtrans": lambda: midtrans_body(second, "mt-2"),
        "xendit": lambda: xendit_body(second, "x-2"),
    }[provider]()
    response = await http.post(f"/webhooks/{provider}/{GUILD}", content=body, headers=signed(provider, body))
    assert response.status_code == 200 and (await tickets.get_ticket(second.id)).state is TicketState.PAID


async def test_a_forged_notification_is_still_refused_with_encrypted_secrets(http, ticket):
    body = genuine("tripay", ticket)
    forged = hmac.new(b"guessed-key", body, hashlib.sha256).hexdigest()
    response = await http.post(
        f"/webhooks/tripay/{GUILD}", content=body, headers={"X-Callback-Signature": forged}
    )
    assert response.status_code == 401
    assert (await tickets.get_ticket(ticket.id)).state is TicketState.OPEN


# --- 3. gateway money for a ticket that cannot take it ----------------------------------------


@pytest.fixture
def alerts_to_sandbox(sandbox, world, settings, monkeypatch):
    """The web process posts its alerts to the sandbox with the bot's token."""
    from web import discord_api, guild_directory, seller_alerts

    settings.discord_token = settings.discord_token.__class__(world["token"])
    settings.discord_api_base_url = sandbox.api_base
    monkeypatch.setattr(seller_alerts, "get_settings", lambda: settings)
    monkeypatch.setattr(discord_api, "get_settings", lambda: settings)
    monkeypatch.setattr(guild_directory, "get_settings", lambda: settings)
    seller_alerts._channel_guilds.clear()
    return world


async def _log_channel(sandbox, world, store):
    log = sandbox.call(lambda: sandbox.server.add_channel(world["guild"], "log"))
    await Store.get_pymongo_collection().update_one({"guild_id": GUILD}, {"$set": {"log_channel_id": log.id}})
    return log


async def test_gateway_money_for_an_expired_or_already_paid_ticket_is_kept_and_the_seller_told_once(
    http, ticket, sandbox, alerts_to_sandbox, store
):
    from tests.bot_driver import messages
    from workflows import payments

    world = alerts_to_sandbox
    log = await _log_channel(sandbox, world, store)
    paid = await http.post(
        f"/webhooks/xendit/{GUILD}", content=xendit_body(ticket), headers=signed("xendit", b"")
    )
    assert paid.json()["result"] == "verified"
    # A second provider pays the same ticket: kept, not "matched" and forgotten.
    body = tripay_body(ticket, "T-again")
    for _ in range(3):  # the provider retries: one record, one alert
        again = await http.post(f"/webhooks/tripay/{GUILD}", content=body, headers=signed("tripay", body))
    assert again.status_code == 200
    [kept] = await payments.unmatched(GUILD)
    assert (kept.amount, kept.ticket_id, kept.reason, kept.ticket_number) == (
        ticket.amount_due,
        None,
        "paid",
        ticket.number,
    )
    posted = [m.content for m in await messages(sandbox, log.id)]
    assert len(posted) == 1 and f"tiket #{ticket.number}" in posted[0] and "sudah dibayar" in posted[0]
    assert "Rp" in posted[0] and "Pembayaran" in posted[0]


async def test_gateway_money_for_an_expired_ticket_is_listed_with_the_reason(http, store, cipher):
    from workflows import payments

    product = await automatic_product(cipher, items=1, name="Canva Pro")
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    await tickets.expire(ticket, now=ticket.expires_at + timedelta(seconds=1))
    body = midtrans_body(ticket, "mt-late")
    response = await http.post(f"/webhooks/midtrans/{GUILD}", content=body)
    assert response.json()["result"] == "kept"
    [kept] = await payments.unmatched(GUILD)
    assert (kept.reason, kept.ticket_id, kept.ticket_number) == ("expired", None, ticket.number)
    assert (await tickets.get_ticket(ticket.id)).state is TicketState.CLOSED


# --- 1. ids of another guild ---------------------------------------------------------------


async def test_a_seller_cannot_point_the_store_at_another_servers_channels_or_roles(
    sandbox, world, store, alerts_to_sandbox
):
    from web import guild_directory
    from workflows.errors import InvalidInput

    s = sandbox.server

    def other_guild():
        stranger = s.add_user("rival")
        guild_b = s.add_guild("Toko Lain", stranger)
        bot_role = s.add_role(guild_b, "bot", 0)
        s.add_member(guild_b, world["bot"], [bot_role.id])
        return (
            s.add_channel(guild_b, "private-b"),
            s.add_channel(guild_b, "tickets-b", type_=4),
            s.add_role(guild_b, "staff-b", 0),
        )

    private_b, category_b, role_b = sandbox.call(other_guild)
    own_channel = sandbox.call(lambda: s.add_channel(world["guild"], "transcripts"))
    own_role = sandbox.call(lambda: s.add_role(world["guild"], "seller", 0))
    directory = await guild_directory.read(GUILD)
    assert directory is not None and own_channel.id in directory.text_channel_ids

    for change, field in [
        ({"transcript_channel_id": private_b.id}, "Channel transkrip"),
        ({"log_channel_id": private_b.id}, "Channel log"),
        ({"testimonial_channel_id": private_b.id}, "Channel testimoni"),
        ({"tickets": {"category_ids": [category_b.id]}}, "Kategori tiket"),
        ({"tickets": {"seller_role_ids": [role_b.id]}}, "Role penjual"),
    ]:
        with pytest.raises(InvalidInput, match=field):
            await store_settings.update_store(GUILD, directory=directory, **change)
    with pytest.raises(InvalidInput, match="Channel panel"):
        await store_settings.publish_panel(GUILD, private_b.id, directory)
    with pytest.raises(InvalidInput, match="Discord"):  # unreadable guild: nothing saved either
        await store_settings.update_store(GUILD, directory=None, transcript_channel_id=own_channel.id)
    saved = await _raw_store()
    assert saved["transcript_channel_id"] is None and saved["panel"]["channel_id"] is None
    assert saved["tickets"]["category_ids"] == [] and saved["tickets"]["seller_role_ids"] == []

    await store_settings.update_store(
        GUILD,
        tickets={"seller_role_ids": [own_role.id]},
        directory=directory,
        transcript_channel_id=own_channel.id,
    )
    saved = await _raw_store()
    assert saved["transcript_channel_id"] == own_channel.id
    assert saved["tickets"]["seller_role_ids"] == [own_role.id]


async def test_an_alert_is_never_posted_into_another_servers_channel(
    http, ticket, sandbox, alerts_to_sandbox
):
    from tests.bot_driver import messages

    world = alerts_to_sandbox
    s = sandbox.server

    def other_guild():
        guild_b = s.add_guild("Toko Lain", s.add_user("rival"))
        bot_role = s.add_role(guild_b, "bot", 268561424)
        s.add_member(guild_b, world["bot"], [bot_role.id])
        return s.add_channel(guild_b, "private-b")

    private_b = sandbox.call(other_guild)
    # An id saved before ids were checked: the alert is refused at use, nothing lands in B.
    await Store.get_pymongo_collection().update_one(
        {"guild_id": GUILD}, {"$set": {"log_channel_id": private_b.id}}
    )
    await http.post(f"/webhooks/xendit/{GUILD}", content=xendit_body(ticket), headers=signed("xendit", b""))
    body = tripay_body(ticket, "T-again")
    response = await http.post(f"/webhooks/tripay/{GUILD}", content=body, headers=signed("tripay", body))
    assert response.json()["result"] == "kept"
    assert await messages(sandbox, private_b.id) == []


# --- 6. unreadable payment references -------------------------------------------------------


async def test_a_payment_reference_of_nul_and_bidi_characters_is_refused_and_others_are_cleaned(ticket):
    from workflows.errors import InvalidInput

    with pytest.raises(InvalidInput, match="reference"):
        await tickets.report_payment(ticket.id, buyer(), "\x00\x00\u202e\u202e\u200f")
    assert (await tickets.get_ticket(ticket.id)).payment_report is None
    await tickets.report_payment(ticket.id, buyer(), "BCA\x00 a.n.\u202e BUDI\u202c")
    assert (await tickets.get_ticket(ticket.id)).payment_report.reference == "BCA a.n. BUDI"


# --- 5, 6, 7. through the real bot ------------------------------------------------------------


async def test_through_the_bot_bad_stars_bad_references_and_hostile_file_names_are_handled(
    sandbox, world, store, cipher, settings, start_bot
):
    from discord_sandbox.state import Attachment
    from models.rating import Rating
    from models.store import utcnow
    from models.ticket import DeliveryRecord
    from models.ticket_message import TicketMessage
    from tests.bot_driver import (
        answered,
        answers,
        click,
        messages,
        on_sandbox,
        open_shop,
        panel_message,
        submit,
    )
    from tests.helpers import SELLER
    from tests.waiting import eventually

    await open_shop(sandbox, world, store, settings, cipher)
    start_bot()
    await panel_message(sandbox, world)  # the bot is connected
    s, budi = sandbox.server, world["buyer"]
    channel = world["private"]  # budi's ticket channel
    product = await automatic_product(cipher, items=1, name="Spotify")
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(budi.id, "budi"))
    await Ticket.get_pymongo_collection().update_one({"_id": ticket.id}, {"$set": {"channel_id": channel.id}})

    # 7. hostile file names: stored under a safe name inside the ticket's folder
    names = ["../../etc/passwd", "..\\..\\boot.ini", "a\u202egnp.exe", "x" * 300 + ".png"]
    files = [Attachment(7_100_000 + n, name, "text/plain", b"hello") for n, name in enumerate(names)]
    said = on_sandbox(sandbox, lambda: s.user_sends(budi, channel, "files", files))

    async def logged():
        return await TicketMessage.find_one({"message_id": said.id})

    entry = await eventually(logged, "the message with its files in the log")
    folder = (settings.data_dir / "attachments" / str(GUILD) / str(ticket.id)).resolve()
    for stored in entry.attachments:
        path = (settings.data_dir / stored.stored_path).resolve()
        assert path.parent == folder and path.read_bytes() == b"hello"
        assert len(path.name) <= 130 and ".." not in path.name and "\u202e" not in path.name
    assert [a.filename for a in entry.attachments][:2] == names[:2]  # kept as display text
    assert not (settings.data_dir.parent / "etc").exists()

    # 6. a reference of NUL and bidi characters: refused in Indonesian, nothing recorded
    reported = submit(sandbox, budi, channel.id, f"report:{ticket.id}", {"reference": "\x00\u202e\x00"})
    await eventually(answered(sandbox, reported), "the answer to the report")
    assert "tidak berisi teks yang bisa dibaca" in answers(sandbox, reported)[-1].content
    assert (await tickets.get_ticket(ticket.id)).payment_report is None

    # 5. stars typed as "abc" or "5.5": a clear answer, nothing saved, and a retry works
    await tickets.verify(ticket.id, SELLER)
    await tickets.complete(ticket.id, DeliveryRecord(via="dm", item_count=1, delivered_at=utcnow()))
    for stars in ("abc", "5.5"):
        rated = submit(sandbox, budi, channel.id, f"rating:{ticket.id}:{stars}", {"comment": "ok"})
        await eventually(answered(sandbox, rated), "the answer to the rating")
        reply = answers(sandbox, rated)[-1].content
        assert "angka bulat 1 sampai 5" in reply and "internal" not in reply
    assert await Rating.count() == 0
    # A forged star button (rate:<ticket>:abc) gets the same answer, not "internal error".
    any_message = [m for m in await messages(sandbox, channel.id) if m.author.bot][-1]
    forged = click(sandbox, budi, channel.id, any_message.id, f"rate:{ticket.id}:abc")
    await eventually(answered(sandbox, forged), "the answer to a forged star button")
    assert "angka bulat 1 sampai 5" in answers(sandbox, forged)[-1].content
    rated = submit(sandbox, budi, channel.id, f"rating:{ticket.id}:4", {"comment": "mantap"})
    await eventually(answered(sandbox, rated), "the answer to the rating")
    assert (await Rating.find_one()).stars == 4
