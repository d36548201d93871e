"""The buyer's saldo in Discord (issue 21, item 5), through a real bot process, a real worker,
the Discord sandbox and the real payment webhook: `/saldo` shows the caller their own balance
and last ten entries, privately, in the store's language; `/topup` shows the exact amount to pay
(with a QRIS made for it where the store has QRIS), and once the bank's notification credits it,
the worker tells the buyer by DM, once."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re

import httpx
import pytest
import zxingcpp
from PIL import Image

from models.payment_method import PaymentMethod
from models.store import Store
from models.topup import TopUp, TopUpState
from models.wallet import EntryKind
from tests.bot_driver import answered, answers, on_sandbox, open_shop, panel_message
from tests.conftest import GUILD
from tests.helpers import SELLER, buyer
from tests.test_qris import static_payload
from tests.waiting import eventually
from web.webhooks import webhooks
from workflows import (
    payment_methods,
    payment_secrets,
    qris,
    saldo_payments,
    saldo_statement,
    tickets,
    topups,
    wallet,
    wallet_book,
)
from workflows.money import format_amount

MOOTA = "moota-secret-0123456789"
LINE = re.compile(r"^([+−]Rp [\d.]+) · (.+) · (\d{1,2} \w{3} \d{4} \d{2}\.\d{2} WIB)$")


@pytest.fixture
async def http(store, settings, monkeypatch):
    """The store's payment webhooks (the dashboard's routes), with a Moota secret set."""
    monkeypatch.setattr(payment_secrets, "get_settings", lambda: settings)
    await Store.get_pymongo_collection().update_one({"guild_id": GUILD}, {"$set": {"moota_secret": MOOTA}})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=webhooks), base_url="http://store"
    ) as client:
        yield client


async def _bank_says(http, amount: int, mutation_id: str):
    """Moota relays a credit of `amount` on the store's BCA account."""
    body = json.dumps(
        [
            {
                "mutation_id": mutation_id,
                "amount": amount,
                "type": "CR",
                "bank_type": "bca",
                "description": "TRSF",
            }
        ]
    ).encode()
    signature = hmac.new(MOOTA.encode(), body, hashlib.sha256).hexdigest()
    return await http.post(f"/webhooks/moota/{GUILD}", content=body, headers={"Signature": signature})


def _run(sandbox, world, user, name, **options):
    s = sandbox.server
    return on_sandbox(sandbox, lambda: s.run_command(user, world["shop"], name, options or None))


async def _answer(sandbox, interaction):
    await eventually(answered(sandbox, interaction), "the bot's answer")
    return answers(sandbox, interaction)[-1]


def _dms(sandbox, user):
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


def _lines(shown) -> list[str]:
    return shown.embeds[0]["fields"][0]["value"].split("\n")


async def test_saldo_shows_only_the_callers_balance_and_last_ten_entries_in_the_stores_language(
    sandbox, world, store, cipher, settings, relay_to_workers, start_worker, start_bot
):
    _, product = await open_shop(sandbox, world, store, settings, cipher, items=2)  # Rp 50.000
    budi, eve = world["buyer"], world["stranger"]
    # Budi's saldo: a top-up, ten small adjustments, then a purchase of ticket #1 from saldo.
    await wallet.credit(GUILD, budi.id, 100_000, kind=EntryKind.TOPUP, ref="topup:first")
    for n in range(10):
        await wallet.adjust(GUILD, budi.id, 1_000, by=SELLER, reason=f"bonus {n + 1}")
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(budi.id, "budi"))
    await saldo_payments.pay(ticket, buyer(budi.id, "budi"))  # "Bayar pakai saldo"
    await wallet.credit(GUILD, eve.id, 5_000, kind=EntryKind.TOPUP, ref="topup:eve")
    start_worker()
    start_bot()
    await panel_message(sandbox, world)  # the bot is up

    shown = await _answer(sandbox, _run(sandbox, world, budi, "saldo"))
    assert shown.flags & 64  # ephemeral: only budi sees it
    statement = shown.embeds[0]
    assert statement["title"] == "Saldo Anda di Toko Digital"
    assert statement["description"] == "**Rp 60.000**"  # 100.000 + 10 × 1.000 − 50.000
    assert statement["fields"][0]["name"] == "Riwayat terakhir (10)"
    lines = _lines(shown)
    assert len(lines) == 10  # the last ten of twelve entries, newest first
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert [(m[1], m[2]) for m in parsed[:3]] == [
        ("−Rp 50.000", f"Pembelian #{ticket.number}: Netflix 1 Bulan × 1"),
        ("+Rp 1.000", "Penyesuaian oleh penjual: bonus 10"),
        ("+Rp 1.000", "Penyesuaian oleh penjual: bonus 9"),
    ]
    assert "Isi saldo" not in "\n".join(lines)  # the oldest entries are not shown
    assert "Rp 5.000" not in json.dumps(statement)  # never eve's

    # Eve reads her own saldo, not budi's.
    theirs = (await _answer(sandbox, _run(sandbox, world, eve, "saldo"))).embeds[0]
    assert theirs["description"] == "**Rp 5.000**"
    assert [LINE.match(line)[2] for line in theirs["fields"][0]["value"].split("\n")] == ["Isi saldo"]

    # A buyer who never had saldo is told how to start.
    seller = (await _answer(sandbox, _run(sandbox, world, world["seller"], "saldo"))).embeds[0]
    assert seller["description"] == "**Rp 0**"
    assert seller["fields"][0]["value"] == "Belum ada riwayat. Isi saldo dengan /topup."

    # The same in English once the store speaks English (the bot re-reads the store within 5 s).
    await Store.get_pymongo_collection().update_one({"guild_id": GUILD}, {"$set": {"locale": "en"}})

    async def in_english():
        answer = await _answer(sandbox, _run(sandbox, world, budi, "saldo"))
        return answer if answer.embeds[0]["title"] == "Your saldo at Toko Digital" else None

    english = await eventually(in_english, "/saldo in English", within=30)
    assert english.embeds[0]["description"] == "**Rp 60.000**"
    first, second = (line.split(" · ") for line in _lines(english)[:2])
    assert first[:2] == ["−Rp 50.000", f"Purchase #{ticket.number}: Netflix 1 Bulan × 1"]
    assert second[:2] == ["+Rp 1.000", "Adjustment by the seller: bonus 10"]
    assert re.fullmatch(r"\d{1,2} \w{3} \d{4}, \d{2}:\d{2} WIB", first[2])


async def test_topup_shows_the_exact_amount_and_a_qris_for_it_and_the_buyer_is_told_once_credited(
    sandbox, world, store, cipher, settings, http, relay_to_workers, start_worker, start_bot
):
    await open_shop(sandbox, world, store, settings, cipher)  # with a BCA account
    await payment_methods.add_method(GUILD, "qris", "QRIS", {"payload": static_payload()})
    budi = world["buyer"]
    start_worker()
    start_bot()
    await panel_message(sandbox, world)

    # No way to pay yet: said so, nothing asked.
    methods = PaymentMethod.get_pymongo_collection()
    await methods.update_many({"guild_id": GUILD}, {"$set": {"active": False}})
    unpayable = await _answer(sandbox, _run(sandbox, world, budi, "topup", amount=50_000))
    assert unpayable.content == "Penjual belum mengatur metode pembayaran."
    await methods.update_many({"guild_id": GUILD}, {"$set": {"active": True}})
    # Out of range: refused in the store's words, nothing asked.
    refused = await _answer(sandbox, _run(sandbox, world, budi, "topup", amount=500))
    assert "Top up harus dari Rp 1.000 sampai Rp 100.000.000" in refused.content
    # A method the store does not have: the ones it has are named.
    unknown = await _answer(sandbox, _run(sandbox, world, budi, "topup", amount=50_000, method="Dana"))
    assert unknown.content == "Toko ini tidak punya metode pembayaran itu. Pilih salah satu: BCA, QRIS."
    assert await TopUp.find({"guild_id": GUILD}).count() == 0

    shown = await _answer(sandbox, _run(sandbox, world, budi, "topup", amount=50_000))
    assert shown.flags & 64
    [topup] = await TopUp.find({"guild_id": GUILD, "buyer_id": budi.id}).to_list()
    due = format_amount(topup.amount_due)
    assert re.fullmatch(r"Rp 50\.\d{3}", due) and topup.amount_due > 50_000
    how = shown.embeds[0]
    assert how["title"] == f"Isi saldo: bayar tepat {due}"
    assert f"Transfer tepat **{due}**: Rp 50.000 yang Anda minta ditambah kode unik" in how["description"]
    assert "**BCA** 1234567890" in how["description"]  # every method, none chosen
    assert f"Kami kabari lewat DM begitu {due} masuk ke saldo Anda." in how["description"]
    # The QRIS attached is made for exactly the amount due.
    [attachment] = shown.attachments
    assert how["image"]["url"] == f"attachment://{attachment.filename}"
    with Image.open(io.BytesIO(attachment.data)) as image:
        [code] = zxingcpp.read_barcodes(image.convert("RGB"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert qris.amount_of(code.text) == topup.amount_due

    # The bank reports the transfer: the top-up is credited, and budi is told by DM, once.
    assert (await _bank_says(http, topup.amount_due, "m-1")).status_code == 200
    assert (await _bank_says(http, topup.amount_due, "m-1")).status_code == 200  # Moota retries

    async def told():
        return [m for m in _dms(sandbox, budi) if m.content.startswith("💰")]

    [dm] = await eventually(told, "budi's DM that the top-up arrived", within=30)
    assert dm.content == f"💰 Isi saldo {due} di Toko Digital sudah masuk. Saldo Anda sekarang {due}."
    assert (await TopUp.get(topup.id)).state is TopUpState.CREDITED
    assert await wallet.balance(GUILD, budi.id) == topup.amount_due

    # /saldo shows it.
    statement = (await _answer(sandbox, _run(sandbox, world, budi, "saldo"))).embeds[0]
    assert statement["description"] == f"**{due}**"
    assert LINE.match(statement["fields"][0]["value"]).group(1, 2) == (f"+{due}", "Isi saldo")
    assert len(await told()) == 1  # told once, however many sweeper passes ran since

    # Choosing BCA by name: only BCA's details, and no QRIS.
    bca = await _answer(sandbox, _run(sandbox, world, budi, "topup", amount=20_000, method="bca"))
    assert "**BCA** 1234567890" in bca.embeds[0]["description"]
    assert "QRIS" not in bca.embeds[0]["description"] and not bca.attachments

    # /saldo reminds budi of the top-up still waiting for his transfer, with its exact amount.
    [waiting] = await TopUp.find({"guild_id": GUILD, "buyer_id": budi.id, "state": "open"}).to_list()
    reminded = (await _answer(sandbox, _run(sandbox, world, budi, "saldo"))).embeds[0]
    assert reminded["fields"][1]["name"] == "Isi saldo menunggu pembayaran Anda"
    assert reminded["fields"][1]["value"].startswith(
        f"Bayar tepat {format_amount(waiting.amount_due)} sebelum "
    )

    # In English once the store speaks English: the request, and the DM when it is credited.
    await Store.get_pymongo_collection().update_one({"guild_id": GUILD}, {"$set": {"locale": "en"}})

    async def in_english():
        answer = await _answer(sandbox, _run(sandbox, world, budi, "topup", amount=30_000, method="bca"))
        return answer if answer.embeds[0]["title"].startswith("Top up: pay exactly Rp 30.") else None

    english = (await eventually(in_english, "/topup in English", within=30)).embeds[0]
    latest = await TopUp.find({"guild_id": GUILD, "buyer_id": budi.id}).sort("-created_at").first_or_none()
    due30 = format_amount(latest.amount_due)
    assert english["title"] == f"Top up: pay exactly {due30}"
    assert f"We will tell you by DM as soon as {due30} is on your saldo." in english["description"]
    await topups.verify_by_seller(GUILD, latest.id, SELLER)
    balance = format_amount(await wallet.balance(GUILD, budi.id))

    async def told_in_english():
        return [m for m in _dms(sandbox, budi) if m.content.startswith(f"💰 Your top-up of {due30}")]

    [dm_en] = await eventually(told_in_english, "budi's DM in English", within=30)
    assert (
        dm_en.content
        == f"💰 Your top-up of {due30} at Toko Digital has arrived. Your saldo is now {balance}."
    )


async def test_a_refund_of_a_ticket_cancelled_before_delivery_is_said_in_the_buyers_language(store):
    refund = await wallet.credit(
        GUILD,
        501,
        40_000,
        kind=EntryKind.REFUND,
        ref="refund:x:1",
        reason=saldo_payments.CANCELLED_REASON,  # written by the store itself, in English
    )
    assert saldo_statement.what(refund, "id", {}) == "Pengembalian dana: dibatalkan sebelum dikirim"
    assert saldo_statement.what(refund, "en", {}) == "Refund: cancelled before delivery"


async def test_the_ledger_csv_never_hands_a_spreadsheet_a_formula(store):
    """A buyer chooses their own Discord name: one written as a formula stays text in the sheet."""
    entry = await wallet.adjust(GUILD, 501, 1_000, by=SELLER, reason="=1+1")
    written = wallet_book.ledger_csv([entry], {501: '=HYPERLINK("http://evil.test","klik")'})
    [row] = list(csv.DictReader(io.StringIO(written)))
    assert row["buyer"] == '\'=HYPERLINK("http://evil.test","klik")'
    assert row["reason"] == "'=1+1"
    assert (row["kind"], row["amount"], row["balance_after"], row["by"]) == (
        "adjustment",
        "1000",
        "1000",
        "seller",
    )
