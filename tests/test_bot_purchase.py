"""A purchase through a real bot process, real worker processes and the Discord sandbox."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from models.payment_method import PaymentKind, PaymentMethod
from models.rating import Rating
from models.store import Store, utcnow
from models.ticket import Ticket, TicketState
from models.ticket_message import TicketMessage
from tests.conftest import ROOT, worker_env
from tests.discord_sandbox.state import Attachment
from tests.helpers import automatic_product
from tests.waiting import eventually


@pytest.fixture
def start_bot(settings, tmp_path):
    started = []

    def start():
        log = (tmp_path / f"bot-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=ROOT,
            env=worker_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.terminate()
        process.wait(20)


def on_sandbox(sandbox, fn):
    return sandbox.call(fn)


async def _messages(sandbox, channel_id):
    return on_sandbox(
        sandbox, lambda: sorted(sandbox.server.messages.get(channel_id, {}).values(), key=lambda m: m.id)
    )


def _click(sandbox, user, channel_id, message_id, custom_id, values=None):
    s = sandbox.server
    channel, message = s.channels[channel_id], s.messages[channel_id][message_id]
    data = {
        "custom_id": custom_id,
        "component_type": 3 if values else 2,
        **({"values": values} if values else {}),
    }
    return on_sandbox(sandbox, lambda: s.start_interaction(user, channel, message, 3, data))


def _submit(sandbox, user, channel_id, custom_id, fields):
    s = sandbox.server
    rows = [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in fields.items()]
    return on_sandbox(
        sandbox,
        lambda: s.start_interaction(
            user, s.channels[channel_id], None, 5, {"custom_id": custom_id, "components": rows}
        ),
    )


def _answers(sandbox, interaction):
    """Messages the bot sent in answer to one interaction (ephemeral follow-ups included)."""
    s = sandbox.server
    return on_sandbox(
        sandbox,
        lambda: [
            m for msgs in s.messages.values() for m in msgs.values() if m.interaction_id == interaction.id
        ],
    )


async def test_a_buyer_buys_pays_is_verified_receives_the_key_by_dm_and_rates(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    settings.discord_token = settings.discord_token.__class__(world["token"])
    settings.discord_api_base_url = sandbox.api_base
    category = on_sandbox(sandbox, lambda: sandbox.server.add_channel(world["guild"], "tickets", type_=4))
    await Store.get_pymongo_collection().update_one(
        {"guild_id": store.guild_id},
        {"$set": {"panel.channel_id": world["shop"].id, "tickets.category_ids": [category.id]}},
    )
    guild_id = world["guild"].id
    await automatic_product(cipher, items=1)
    await PaymentMethod(
        guild_id=guild_id,
        kind=PaymentKind.BANK,
        provider="BCA",
        details={"account_number": "1234567890", "account_name": "Toko Digital"},
    ).insert()
    start_worker()
    start_bot()
    shop, buyer, seller = world["shop"].id, world["buyer"], world["seller"]

    async def panel():
        return [m for m in await _messages(sandbox, shop) if m.embeds and m.author.bot]

    panel_message = (await eventually(panel, "the panel in the shop channel", within=40))[0]
    fields = panel_message.embeds[0]["fields"]
    assert (
        fields[0]["name"] == "Netflix 1 Bulan"
        and "Rp 50.000" in fields[0]["value"]
        and "Stok: 1" in fields[0]["value"]
    )

    clicked = _click(sandbox, buyer, shop, panel_message.id, "buy_btn")

    async def ticket_open():
        return await Ticket.find_one({"guild_id": guild_id, "channel_id": {"$ne": None}})

    ticket = await eventually(ticket_open, "a ticket with its channel")
    assert clicked.response_type == 6 and not clicked.late  # acknowledged in time, answered after
    channel = on_sandbox(sandbox, lambda: sandbox.server.channels[ticket.channel_id])
    assert channel.name == "ticket-budi-netflix-1-bulan" and channel.parent_id == category.id

    async def instructions():
        return [m for m in await _messages(sandbox, channel.id) if "paid:" in str(m.components)]

    opening = (await eventually(instructions, "the purchase instructions"))[0]
    assert "Rp 50." in opening.content and f"#{ticket.number}" in opening.content

    # A stranger cannot post in the ticket; the buyer can.
    denied = on_sandbox(sandbox, lambda: sandbox.server._can(world["stranger"], channel, 1 << 10))
    assert denied is False

    # The buyer posts a screenshot of the transfer in the ticket, then reports the payment.
    proof = _png()
    on_sandbox(
        sandbox,
        lambda: sandbox.server.user_sends(
            buyer, channel, "bukti transfer", [Attachment(7_000_001, "bukti.png", "image/png", proof)]
        ),
    )

    async def proof_copied():
        return await TicketMessage.find_one(
            {"ticket_id": ticket.id, "attachments": {"$elemMatch": {"stored_path": {"$ne": None}}}}
        )

    copied = await eventually(proof_copied, "the proof copied into the store's storage")
    assert (settings.data_dir / copied.attachments[0].stored_path).read_bytes() == proof

    paid = _click(sandbox, buyer, channel.id, opening.id, f"paid:{ticket.id}")
    await eventually(_responded(paid), "the payment modal")
    assert paid.response_type == 9
    _submit(sandbox, buyer, channel.id, f"report:{ticket.id}", {"reference": "BCA a.n. BUDI"})

    async def verify_request():
        return [m for m in await _messages(sandbox, channel.id) if f"verify:{ticket.id}" in str(m.components)]

    request = (await eventually(verify_request, "sellers asked to verify"))[0]
    refused = _click(sandbox, buyer, channel.id, request.id, f"verify:{ticket.id}")
    await eventually(lambda: _has_answer(sandbox, refused), "the buyer's refusal")
    assert "penjual" in _answers(sandbox, refused)[0].content.lower()
    assert (await Ticket.get(ticket.id)).state is TicketState.OPEN

    _click(sandbox, seller, channel.id, request.id, f"verify:{ticket.id}")

    async def delivered():
        s = sandbox.server
        return on_sandbox(
            sandbox,
            lambda: [
                m
                for c in s.channels.values()
                if c.type == 1 and c.recipient_id == buyer.id
                for m in s.messages[c.id].values()
                if "pass0" in m.content
            ],
        )

    dm = (await eventually(delivered, "the key in the buyer's DMs"))[0]
    assert "user0@mail.test:pass0" in dm.content

    async def rating_prompt():
        return [m for m in await _messages(sandbox, channel.id) if f"rate:{ticket.id}:5" in str(m.components)]

    prompt = (await eventually(rating_prompt, "the rating prompt"))[0]
    _click(sandbox, buyer, channel.id, prompt.id, f"rate:{ticket.id}:5")

    async def rated():
        return await Rating.find_one({"ticket_id": ticket.id})

    assert (await eventually(rated, "the rating")).stars == 5
    assert (await Ticket.get(ticket.id)).payment_report.proof_ref == copied.attachments[0].stored_path

    # Time passes: the auto-close timer comes due, the transcript is archived, the channel goes.
    await Ticket.get_pymongo_collection().update_one(
        {"_id": ticket.id}, {"$set": {"auto_close_at": utcnow(), "next_due_at": utcnow()}}
    )

    async def archived():
        found = await Ticket.get(ticket.id)
        return found if found.transcript and found.next_due_at is None else None

    closed = await eventually(archived, "the archived transcript")
    assert ticket.channel_id not in on_sandbox(sandbox, lambda: set(sandbox.server.channels))
    page = Path(closed.transcript.path).read_text()  # noqa: ASYNC240
    assert "bukti transfer" in page and "data:image/png;base64," + base64.b64encode(proof).decode() in page


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _responded(interaction):
    async def probe():
        return interaction.response_type is not None

    return probe


async def _has_answer_probe(sandbox, interaction):
    return _answers(sandbox, interaction)


def _has_answer(sandbox, interaction):
    return _has_answer_probe(sandbox, interaction)
