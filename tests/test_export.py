"""Issue 20 (7): a seller takes their store's data with them. Exports of orders, products, stock
counts, ratings and incoming payments as CSV and JSON carry the same rows and never a secret;
a backup of the whole store restores it as it was, with its secrets only when asked and then
only under the seller's passphrase; a restore that cannot be done changes nothing. Real
MongoDB (a replica set, so restores are transactions), and the real `./store backup` /
`./store restore` command in a process of its own."""

from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from bson import json_util
from pymongo import MongoClient

from launcher.embedded import free_port, start_mongod
from models.blacklist import BlacklistKind
from models.incoming_payment import IncomingPayment
from models.stock_item import StockItem
from models.store import Store, utcnow
from models.ticket import Ticket, TicketState
from models.ticket_message import TicketMessage
from tests.conftest import GUILD, ROOT, worker_env
from tests.helpers import SELLER, automatic_product, buyer, manual_product
from workflows import (
    backup,
    bank_mutations,
    blacklist,
    coupons,
    export,
    gateway_callbacks,
    payment_methods,
    payment_secrets,
    ratings,
    stock,
    tickets,
)
from workflows.bank_mutations import Mutation
from workflows.gateway_callbacks import Settlement
from workflows.money import format_amount
from workflows.stock_cipher import StockCipher

OTHER = 1_000_000_000_000_777
MOOTA = "moota-webhook-secret-0123456789"
TRIPAY = "tripay-private-key-ABCDEFGHIJ"
ITEMS = [f"user{i}@mail.test:pass{i}" for i in range(3)]
DELIVERY_TEXT = "Your booster will contact you within 1 hour."
FORMULA = '=HYPERLINK("http://evil.test","Klik")'


@pytest.fixture(autouse=True)
def this_install(settings, monkeypatch):
    """Payment secrets sealed and opened with the test's secret key, as the command's are."""
    monkeypatch.setattr(payment_secrets, "get_settings", lambda: settings)


async def _shop(cipher: StockCipher) -> dict[str, Any]:
    """Toko Digital with a sale completed and rated (coupon, BCA, paid by a bank mutation), an
    order waiting for payment, a cancelled one, an unmatched payment, and secrets to keep."""
    store = await Store.find_one(Store.guild_id == GUILD)
    assert store is not None
    await Store.get_pymongo_collection().update_one(
        {"guild_id": GUILD},
        {
            "$set": {
                "moota_secret": payment_secrets.seal(MOOTA),
                "gateways.tripay_private_key": payment_secrets.seal(TRIPAY),
            }
        },
    )
    netflix = await automatic_product(cipher, 0)
    await stock.add_items(netflix, ITEMS, cipher)
    joki = await manual_product(5)
    bca = await payment_methods.add_method(
        GUILD, "bank", "BCA", {"account_number": "1234567890", "account_name": "Toko Digital"}
    )
    await coupons.create_coupon(GUILD, code="HEMAT10", value="10%")
    await blacklist.add(
        GUILD, BlacklistKind.PAYER_NAME, "Penipu Jaya", label="Penipu Jaya", reason="chargeback"
    )

    budi = buyer(501, "budi")
    sale = await tickets.open_ticket(GUILD, netflix.id, budi)
    await tickets.apply_coupon(sale.id, budi, "hemat10")
    await tickets.choose_payment_method(sale.id, budi, bca.id)
    sale = await tickets.get_ticket(sale.id)
    matched = await bank_mutations.record(GUILD, Mutation("mut-1", sale.amount_due, "BCA", "TRF BUDI"))
    assert matched.status == "matched"
    await tickets.deliver_manually(sale.id, SELLER)
    await ratings.rate(sale.id, budi, 5, "Mantap, cepat!")
    await TicketMessage(
        ticket_id=sale.id,
        guild_id=GUILD,
        channel_id=7001,
        message_id=8001,
        author_id=501,
        author_name="budi",
        content="sudah transfer ya kak",
        created_at=utcnow(),
    ).insert()
    await bank_mutations.record(GUILD, Mutation("mut-2", 12_345, "BCA", "TRF SIAPA"))

    waiting = await tickets.open_ticket(GUILD, joki.id, buyer(502, FORMULA), quantity=2)
    dropped = await tickets.open_ticket(GUILD, netflix.id, buyer(503, "sari"))
    await tickets.cancel(dropped.id, SELLER, "salah pilih")
    return {"netflix": netflix, "joki": joki, "sale": await tickets.get_ticket(sale.id), "waiting": waiting}


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: a spreadsheet reads "Rp" and names right
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


async def test_every_export_says_the_same_rows_in_csv_and_json(store, cipher):
    shop = await _shop(cipher)
    for kind in export.KINDS:
        made = await export.collect(store, kind)
        as_json = json.loads(export.render(made, "json"))
        assert as_json["kind"] == kind and as_json["guild_id"] == str(GUILD) and as_json["version"] == 1
        assert as_json["columns"] == list(export.COLUMNS[kind])
        assert as_json["rows"] == made.rows
        assert _csv_rows(export.render(made, "csv")) == [
            {c: export.csv_cell(row[c]) for c in made.columns} for row in as_json["rows"]
        ]
        assert export.filename(made, "csv").startswith(f"{kind}-{GUILD}-")

    orders = (await export.collect(store, "orders")).rows
    assert [o["number"] for o in orders] == [1, 2, 3]
    sale = orders[0]
    ticket: Ticket = shop["sale"]
    assert sale["buyer_name"] == "budi" and sale["buyer_id"] == "501"
    assert sale["product"] == "Netflix 1 Bulan" and sale["quantity"] == 1
    assert (sale["subtotal"], sale["subtotal_text"]) == (50_000, "Rp 50.000")
    assert sale["coupon"] == "HEMAT10" and sale["discount"] == 5_000
    assert sale["amount"] == ticket.amount_due and sale["amount_text"] == format_amount(ticket.amount_due)
    assert sale["method"] == "BCA (bank)" and sale["status"] == "completed" and sale["rating"] == 5
    assert sale["verified_automatically"] is True
    # The same moment in UTC and in WIB (UTC+7).
    assert sale["paid_at_utc"].endswith("Z") and sale["paid_at_wib"].endswith("+07:00")
    assert sale["created_at_utc"][:10] <= sale["created_at_wib"][:10]
    assert orders[1]["status"] == "open" and orders[1]["quantity"] == 2 and orders[1]["method"] is None
    assert (orders[2]["status"], orders[2]["outcome"]) == ("closed", "cancelled")

    stock_rows = {r["product"]: r for r in (await export.collect(store, "stock")).rows}
    assert (stock_rows["Netflix 1 Bulan"]["available"], stock_rows["Netflix 1 Bulan"]["delivered"]) == (2, 1)
    assert (stock_rows["Joki Rank"]["available"], stock_rows["Joki Rank"]["reserved"]) == (3, 2)
    products = {r["name"]: r for r in (await export.collect(store, "products")).rows}
    assert products["Joki Rank"]["price"] == 25_000 and products["Joki Rank"]["delivery_mode"] == "manual"

    [rating] = (await export.collect(store, "ratings")).rows
    assert (rating["ticket_number"], rating["stars"], rating["comment"]) == (1, 5, "Mantap, cepat!")
    assert rating["product"] == "Netflix 1 Bulan" and rating["buyer_name"] == "budi"

    payments = (await export.collect(store, "payments")).rows
    assert [(p["amount"], p["status"], p["ticket_number"]) for p in payments] == [
        (ticket.amount_due, "matched", 1),
        (12_345, "unmatched", None),
    ]


async def test_no_export_holds_a_secret(store, cipher):
    await _shop(cipher)
    stored = await Store.get_pymongo_collection().find_one({"guild_id": GUILD})
    sealed = [item.secret.decode() async for item in StockItem.find({"guild_id": GUILD})]
    forbidden = [*ITEMS, DELIVERY_TEXT, MOOTA, TRIPAY, stored["moota_secret"], "fernet:", *sealed]
    for kind in export.KINDS:
        made = await export.collect(store, kind)
        for fmt in export.FORMATS:
            written = export.render(made, fmt).decode("utf-8-sig")
            assert not [secret for secret in forbidden if secret in written], (kind, fmt)


async def test_a_formula_as_a_buyers_name_stays_text_in_the_spreadsheet(store, cipher):
    await _shop(cipher)
    made = await export.collect(store, "orders")
    waiting = _csv_rows(export.render(made, "csv"))[1]
    assert waiting["buyer_name"] == "'" + FORMULA  # shown as typed, never run
    assert json.loads(export.render(made, "json"))["rows"][1]["buyer_name"] == FORMULA


async def test_an_order_paid_through_a_gateway_names_the_gateway(store, cipher):
    product = await automatic_product(cipher, 1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer(506, "rina"))
    settled = await gateway_callbacks.settle(
        store, Settlement("tripay", "T-0001", str(ticket.id), ticket.amount_due, "IDR", settled=True)
    )
    assert settled.result == "verified"
    [order] = (await export.collect(store, "orders")).rows
    assert (order["method"], order["status"], order["verified_automatically"]) == ("Tripay", "paid", True)


# --- backup and restore ---------------------------------------------------------------------


async def _everything(guild_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every document of the store, raw, by collection."""
    found = {}
    for model in backup.COLLECTIONS:
        cursor = model.get_pymongo_collection().find({"guild_id": guild_id}).sort("_id", 1)
        found[model.get_settings().name] = await cursor.to_list()
    return found


async def _drop(guild_id: int) -> None:
    for model in backup.COLLECTIONS:
        await model.get_pymongo_collection().delete_many({"guild_id": guild_id})


def _without_secrets(documents: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    kept = json_util.loads(json_util.dumps(documents))  # a deep copy
    kept["stock_items"] = []
    for ticket in kept["tickets"]:
        ticket["sealed_items"] = []
    for stored in kept["stores"]:
        stored["moota_secret"] = None
        stored["gateways"]["tripay_private_key"] = None
    return kept


def _tz(documents: dict[str, list[dict[str, Any]]]) -> str:
    return json_util.dumps(documents, sort_keys=True)


async def test_a_backup_without_secrets_restores_the_store_without_them(store, cipher):
    await _shop(cipher)
    before = await _everything(GUILD)
    made = await backup.make(GUILD, cipher)
    assert made.left_out == {"stock_items": 3, "ticket_stock_items": 2, "payment_secrets": 2}
    for secret in [*ITEMS, MOOTA, TRIPAY, "fernet:"]:
        assert secret not in made.text
    document = json.loads(made.text)
    assert (document["format"], document["version"], document["secrets"]) == ("discord-store-backup", 1, None)

    await _drop(GUILD)
    assert await Store.find_one(Store.guild_id == GUILD) is None
    done = await backup.restore(backup.read(made.text), cipher)
    assert done.guild_id == GUILD and not done.replaced and done.counts["tickets"] == 3
    assert _tz(await _everything(GUILD)) == _tz(_without_secrets(before))
    restored = await Store.find_one(Store.guild_id == GUILD)
    assert await payment_secrets.reveal(restored, "moota_secret") is None


async def test_a_backup_with_secrets_keeps_them_encrypted_and_only_the_passphrase_opens_them(store, cipher):
    shop = await _shop(cipher)
    before = await _everything(GUILD)
    made = await backup.make(GUILD, cipher, passphrase="kuda lumping 2026")
    # At rest in the file: neither the texts nor this install's ciphertexts.
    for secret in [*ITEMS, MOOTA, TRIPAY, "fernet:", *(i["secret"].decode() for i in before["stock_items"])]:
        assert secret not in made.text
    header = json.loads(made.text)["secrets"]
    assert header["kdf"] == "scrypt" and header["cipher"] == "fernet" and len(header["salt"]) >= 20

    await _drop(GUILD)
    document = backup.read(made.text)
    for wrong in ("kuda lumping 2025", None):
        with pytest.raises(backup.BackupRefused, match="passphrase"):
            await backup.restore(document, cipher, passphrase=wrong)
        assert await _everything(GUILD) == {name: [] for name in before}  # nothing written
    # A file asking for gigabytes of Scrypt memory is refused before any is taken.
    greedy = json.loads(made.text)
    greedy["secrets"]["n"] = 2**30
    with pytest.raises(backup.BackupRefused, match="damaged"):
        await backup.restore(backup.read(json.dumps(greedy)), cipher, passphrase="kuda lumping 2026")

    await backup.restore(document, cipher, passphrase="kuda lumping 2026")
    after = await _everything(GUILD)
    # Sealed again (Fernet's random IV), with the same texts inside.
    opened = [cipher.open(i["secret"]) for i in after["stock_items"]]
    assert opened == [cipher.open(i["secret"]) for i in before["stock_items"]]
    held = [[cipher.open(s) for s in t["sealed_items"]] for t in after["tickets"]]
    assert held == [[cipher.open(s) for s in t["sealed_items"]] for t in before["tickets"]]
    restored = await Store.find_one(Store.guild_id == GUILD)
    assert await payment_secrets.reveal(restored, "moota_secret") == MOOTA
    assert await payment_secrets.reveal(restored, "tripay_private_key") == TRIPAY
    # Everything else exactly as it was.
    assert _tz(_without_secrets(after)) == _tz(_without_secrets(before))
    # And the store sells on: the next buyer gets a restored key.
    ticket = await tickets.open_ticket(GUILD, shop["netflix"].id, buyer(504, "andi"))
    assert cipher.open(ticket.sealed_items[0]) in ITEMS


async def test_a_restore_refuses_another_version_and_an_existing_store_changing_nothing(store, cipher):
    await _shop(cipher)
    made = await backup.make(GUILD, cipher)
    future = json.loads(made.text) | {"version": 2}
    with pytest.raises(backup.BackupRefused, match="version 2"):
        backup.read(json.dumps(future))
    with pytest.raises(backup.BackupRefused, match="not a store backup"):
        backup.read('{"hello": "world"}')

    await tickets.open_ticket(GUILD, (await _everything(GUILD))["products"][0]["_id"], buyer(505, "dewi"))
    now = await _everything(GUILD)
    with pytest.raises(backup.BackupRefused, match=r"already has a store.*--replace"):
        await backup.restore(backup.read(made.text), cipher)
    assert _tz(await _everything(GUILD)) == _tz(now)

    done = await backup.restore(backup.read(made.text), cipher, replace=True)
    assert done.replaced
    assert await Ticket.find(Ticket.guild_id == GUILD).count() == 3  # dewi's ticket went with the old store


async def test_a_store_moves_to_another_server_and_a_failed_restore_leaves_nothing(store, cipher):
    await _shop(cipher)
    made = await backup.make(GUILD, cipher, passphrase="pindah server ya")
    document = backup.read(made.text)
    # A copy beside the original: the ticket messages (Discord's ids, unique in the database)
    # are already there, found only after the store, products and tickets were written.
    with pytest.raises(backup.BackupRefused, match="already in the database"):
        await backup.restore(document, cipher, guild_id=OTHER, passphrase="pindah server ya")
    assert all(not docs for docs in (await _everything(OTHER)).values())

    original = await _everything(GUILD)
    await _drop(GUILD)
    await backup.restore(backup.read(made.text), cipher, guild_id=OTHER, passphrase="pindah server ya")
    moved = await _everything(OTHER)
    assert {name: len(docs) for name, docs in moved.items()} == {n: len(d) for n, d in original.items()}
    products = {p["_id"]: p["name"] for p in moved["products"]}
    assert not set(products) & {p["_id"] for p in original["products"]}  # new ids
    assert [products[t["product"]["product_id"]] for t in moved["tickets"]] == [
        "Netflix 1 Bulan",
        "Joki Rank",
        "Netflix 1 Bulan",
    ]
    [rating] = moved["ratings"]
    assert rating["ticket_id"] == moved["tickets"][0]["_id"]
    paid = next(p for p in moved["incoming_payments"] if p["status"] == "matched")
    assert paid["ticket_id"] == moved["tickets"][0]["_id"]
    sale = await tickets.get_ticket(moved["tickets"][0]["_id"])
    assert sale.state is TicketState.COMPLETED and sale.guild_id == OTHER


def _command(settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "launcher.backup_command", *args],
        cwd=ROOT,
        env=worker_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_the_backup_and_restore_commands(store, cipher, settings, tmp_path):
    await _shop(cipher)
    before = await _everything(GUILD)
    out, passphrase, wrong = tmp_path / "toko.json", tmp_path / "pass.txt", tmp_path / "wrong.txt"
    passphrase.write_text("rahasia toko digital\n")
    wrong.write_text("bukan ini\n")

    made = _command(
        settings,
        "backup",
        "--guild",
        str(GUILD),
        "--out",
        str(out),
        "--with-secrets",
        "--passphrase-file",
        str(passphrase),
    )
    assert made.returncode == 0, made.stderr
    assert "tickets 3" in made.stdout and "encrypted with your passphrase" in made.stdout
    assert out.stat().st_mode & 0o777 == 0o600  # buyers' data: the owner's eyes only
    assert ITEMS[0] not in out.read_text()

    again = _command(settings, "restore", "--in", str(out), "--passphrase-file", str(passphrase))
    assert again.returncode == 2 and "already has a store" in again.stderr

    await _drop(GUILD)
    refused = _command(settings, "restore", "--in", str(out), "--passphrase-file", str(wrong))
    assert refused.returncode == 2
    assert "wrong passphrase" in refused.stderr and "nothing was changed" in refused.stderr
    assert await Store.find_one(Store.guild_id == GUILD) is None

    future = tmp_path / "future.json"
    future.write_text(json.dumps(json.loads(out.read_text()) | {"version": 99}))
    newer = _command(settings, "restore", "--in", str(future), "--passphrase-file", str(passphrase))
    assert newer.returncode == 2 and "version 99" in newer.stderr

    done = _command(settings, "restore", "--in", str(out), "--passphrase-file", str(passphrase))
    assert done.returncode == 0, done.stderr
    assert f"store of server {GUILD} restored" in done.stdout
    after = await _everything(GUILD)
    assert _tz(_without_secrets(after)) == _tz(_without_secrets(before))
    assert sorted(cipher.open(i["secret"]) for i in after["stock_items"]) == sorted(
        cipher.open(i["secret"]) for i in before["stock_items"]
    )
    assert await IncomingPayment.find(IncomingPayment.guild_id == GUILD).count() == 2


def test_the_command_uses_the_embedded_database_of_store_run(settings, tmp_path):
    """No STORE_MONGODB_URL: the running `./store run` database is used, and when the store is
    not running its database is started for the command and stopped after."""
    data, port = tmp_path / "shop", free_port()
    env = {**worker_env(settings), "STORE_MONGODB_URL": "", "STORE_DATA_DIR": str(data)}

    def command(out: Path) -> subprocess.CompletedProcess[str]:
        arguments = ["backup", "--guild", str(GUILD), "--out", str(out), "--mongodb-port", str(port)]
        return subprocess.run(
            [sys.executable, "-m", "launcher.backup_command", *arguments],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    running = start_mongod(data / "mongodb", port=port)  # as `./store run` starts it
    try:
        client: MongoClient = MongoClient(running.url)
        client[settings.mongodb_database]["stores"].insert_one({"guild_id": GUILD, "name": "Toko Lokal"})
        client.close()
        while_running = command(tmp_path / "a.json")
    finally:
        running.stop()
    assert while_running.returncode == 0, while_running.stderr
    assert json.loads((tmp_path / "a.json").read_text())["store_name"] == "Toko Lokal"

    stopped = command(tmp_path / "b.json")
    assert stopped.returncode == 0, stopped.stderr
    assert json.loads((tmp_path / "b.json").read_text())["store_name"] == "Toko Lokal"
    with socket.socket() as probe:  # and it stopped the database it started
        assert probe.connect_ex(("127.0.0.1", port)) != 0
