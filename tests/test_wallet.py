"""The saldo ledger (issue 21, item 1) against the real MongoDB replica set: a crowd of purchases
on one wallet never drives it below zero nor spends the same money twice; a cause (ref) moves
money once however often it arrives; a process killed mid-way leaves every balance equal to the
sum of its entries; a seller's adjustment needs a reason and a reversal undoes an entry."""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap

import pytest
from bson import Binary

from models.audit_entry import AuditEntry
from models.wallet import EntryKind, Wallet, WalletEntry
from tests.conftest import GUILD, ROOT
from tests.waiting import eventually
from workflows import wallet
from workflows.errors import InsufficientSaldo

BUYER = 4242


async def test_a_crowd_of_purchases_never_spends_more_than_the_saldo(store):
    await wallet.credit(GUILD, BUYER, 50_000, kind=EntryKind.TOPUP, ref="topup:first")

    async def buy(n: int) -> bool:
        try:
            await wallet.debit(GUILD, BUYER, 7_000, kind=EntryKind.PURCHASE, ref=f"purchase:{n}")
        except InsufficientSaldo:
            return False
        return True

    bought = await asyncio.gather(*(buy(n) for n in range(30)))

    assert sum(bought) == 7  # 7 × Rp 7.000 fit in Rp 50.000; the 8th would go below zero
    assert await wallet.balance(GUILD, BUYER) == 1_000
    history = await wallet.entries(GUILD, BUYER, limit=100)
    assert [e.amount for e in history].count(-7_000) == 7
    assert sorted(e.balance_after for e in history) == sorted([1_000 + 7_000 * k for k in range(8)])
    check = await wallet.check_ledger(GUILD)
    assert check.ok, check


async def test_the_same_purchase_pressed_many_times_at_once_is_paid_once(store):
    await wallet.credit(GUILD, BUYER, 20_000, kind=EntryKind.TOPUP, ref="topup:a")
    entries = await asyncio.gather(
        *(wallet.debit(GUILD, BUYER, 15_000, kind=EntryKind.PURCHASE, ref="purchase:T1") for _ in range(20))
    )
    assert len({e.id for e in entries}) == 1
    assert await wallet.balance(GUILD, BUYER) == 5_000
    assert await WalletEntry.find({"guild_id": GUILD, "ref": "purchase:T1"}).count() == 1


async def test_a_top_up_delivered_twice_is_credited_once(store):
    first = await wallet.credit(GUILD, BUYER, 25_000, kind=EntryKind.TOPUP, ref="topup:X")
    again = await asyncio.gather(
        *(wallet.credit(GUILD, BUYER, 25_000, kind=EntryKind.TOPUP, ref="topup:X") for _ in range(10))
    )
    assert {e.id for e in again} == {first.id}
    assert await wallet.balance(GUILD, BUYER) == 25_000
    assert (await wallet.check_ledger(GUILD)).ok


async def test_not_enough_saldo_is_refused_in_the_buyers_language_and_changes_nothing(store):
    await wallet.credit(GUILD, BUYER, 5_000, kind=EntryKind.TOPUP, ref="topup:small")
    with pytest.raises(InsufficientSaldo) as refused:
        await wallet.debit(GUILD, BUYER, 15_000, kind=EntryKind.PURCHASE, ref="purchase:big")
    assert refused.value.in_locale("id") == "Saldo Anda Rp 5.000, tidak cukup untuk Rp 15.000."
    assert refused.value.in_locale("en") == "Your saldo is Rp 5.000, not enough for Rp 15.000."
    assert await wallet.balance(GUILD, BUYER) == 5_000
    assert await WalletEntry.find({"ref": "purchase:big"}).count() == 0
    # A buyer who never had saldo has Rp 0 and cannot buy with it either.
    with pytest.raises(InsufficientSaldo):
        await wallet.debit(GUILD, 777, 1, kind=EntryKind.PURCHASE, ref="purchase:nobody")


async def test_a_debit_in_the_callers_transaction_vanishes_with_it(store):
    """s2 debits and marks the ticket paid together: if its transaction fails, no money moved."""
    await wallet.credit(GUILD, BUYER, 30_000, kind=EntryKind.TOPUP, ref="topup:b")

    async def pay_then_fail(session):
        await wallet.debit(GUILD, BUYER, 30_000, kind=EntryKind.PURCHASE, ref="purchase:T9", session=session)
        raise RuntimeError("the ticket could not be marked paid")

    with pytest.raises(RuntimeError):
        await wallet.in_transaction(pay_then_fail)
    assert await wallet.balance(GUILD, BUYER) == 30_000
    assert [e.ref for e in await wallet.entries(GUILD, BUYER)] == ["topup:b"]


async def test_a_seller_adjusts_with_a_reason_and_reverses_a_mistake(store):
    with pytest.raises(wallet.WalletRefused) as refused:
        await wallet.adjust(GUILD, BUYER, 10_000, by=99, reason="  ")
    assert "alasan" in refused.value.in_locale("id")
    added = await wallet.adjust(GUILD, BUYER, 10_000, by=99, reason="Bonus pelanggan setia")
    assert (added.amount, added.balance_after, added.by, added.kind) == (
        10_000,
        10_000,
        99,
        EntryKind.ADJUSTMENT,
    )
    taken = await wallet.adjust(GUILD, BUYER, -4_000, by=99, reason="Salah input")
    assert taken.balance_after == 6_000
    undone = await wallet.reverse(GUILD, taken.id, by=99, reason="Ternyata benar")
    assert (undone.amount, undone.balance_after, undone.kind) == (4_000, 10_000, EntryKind.REVERSAL)
    # Reversing the same entry again moves nothing.
    assert (await wallet.reverse(GUILD, taken.id, by=99, reason="lagi")).id == undone.id
    assert await wallet.balance(GUILD, BUYER) == 10_000
    # Newest first, paged by id.
    newest = await wallet.entries(GUILD, BUYER, limit=2)
    assert [e.id for e in newest] == [undone.id, taken.id]
    assert [e.id for e in await wallet.entries(GUILD, BUYER, before=taken.id)] == [added.id]
    logged = await AuditEntry.find({"guild_id": GUILD, "action": {"$regex": "^wallet\\."}}).to_list()
    assert sorted(e.action for e in logged) == ["wallet.adjusted", "wallet.adjusted", "wallet.reversed"]
    assert all(e.by.user_id == 99 for e in logged)
    assert {e.subject for e in logged} == {f"<@{BUYER}>"}  # no name known yet: Discord's mention
    await wallet.remember_name(GUILD, BUYER, "Budi")
    await wallet.adjust(GUILD, BUYER, 1_000, by=99, reason="Hadiah")
    latest = await AuditEntry.find({"guild_id": GUILD}).sort("-at").first_or_none()
    assert latest.subject == "Budi"


async def test_wallets_are_found_by_name_or_id_largest_first(store):
    await wallet.credit(GUILD, 111, 5_000, kind=EntryKind.TOPUP, ref="topup:1")
    await wallet.credit(GUILD, 222, 9_000, kind=EntryKind.TOPUP, ref="topup:2")
    await wallet.remember_name(GUILD, 111, "Budi Santoso")
    await wallet.remember_name(GUILD, 222, "Siti")
    assert [w.buyer_id for w in await wallet.wallets(GUILD)] == [222, 111]
    assert [w.buyer_id for w in await wallet.wallets(GUILD, query="budi")] == [111]
    assert [w.buyer_id for w in await wallet.wallets(GUILD, query="22")] == [222]
    assert await wallet.wallets(GUILD, query="nobody") == []


async def _sessions_of(app_name: str) -> list[dict]:
    """The sessions a client named `app_name` left with a transaction open."""
    admin = Wallet.get_pymongo_collection().database.client.admin
    found = await admin.aggregate(
        [
            {"$currentOp": {"allUsers": True, "idleSessions": True}},
            {"$match": {"appName": app_name, "transaction": {"$exists": True}}},
        ]
    )
    return [{"id": Binary.from_uuid(op["lsid"]["id"])} async for op in found]


CHURN = textwrap.dedent(
    """
    import asyncio, sys
    import models
    from models.wallet import EntryKind
    from workflows import wallet
    from workflows.errors import InsufficientSaldo

    async def buyer(guild, n):
        i = 0
        while True:
            i += 1
            await wallet.credit(guild, n, 3_000, kind=EntryKind.TOPUP, ref=f"topup:{n}:{i}")
            try:
                await wallet.debit(guild, n, 5_000, kind=EntryKind.PURCHASE, ref=f"purchase:{n}:{i}")
            except InsufficientSaldo:
                pass

    async def held(guild):
        # A transaction that is surely in flight when the process dies: a credit written in
        # it, then the process waits before the commit and says so on stdout.
        await wallet.credit(guild, 8, 1_000, kind=EntryKind.TOPUP, ref="before:8")

        async def work(session):
            await wallet.credit(guild, 8, 7_000, kind=EntryKind.TOPUP, ref="held:8", session=session)
            print("HOLDING", flush=True)
            await asyncio.Event().wait()

        await wallet.in_transaction(work)

    async def main(url, database, guild):
        await models.connect(url, database)
        await asyncio.gather(held(guild), *(buyer(guild, n) for n in range(8)))

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
    """
)


async def test_a_process_killed_mid_way_leaves_every_balance_equal_to_its_ledger(store, settings):
    url = f"{settings.mongodb_url}&appname=wallet-churn"  # to find its sessions afterwards
    churn = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHURN,
        url,
        settings.mongodb_database,
        str(GUILD),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:

        async def busy():
            return await WalletEntry.find({"guild_id": GUILD}).count() >= 120

        assert churn.stdout is not None
        assert await asyncio.wait_for(churn.stdout.readline(), 60) == b"HOLDING\n"
        await eventually(busy, "the churning process writing entries", within=60)
    finally:
        churn.send_signal(signal.SIGKILL)  # no cleanup: transactions in flight die with it
        await churn.wait()
    # Its transactions in flight were never committed: nothing of them is visible.
    check = await wallet.check_ledger(GUILD)
    assert check.ok, check
    assert check.wallets == 9 and check.entries >= 120
    # The credit written in the transaction held open at the kill is nowhere.
    assert await WalletEntry.find_one({"guild_id": GUILD, "ref": "held:8"}) is None
    assert (await Wallet.find_one({"guild_id": GUILD, "buyer_id": 8})).balance == 1_000
    # MongoDB aborts them when their lifetime ends (transactionLifetimeLimitSeconds, 60 s); do
    # it now, as an operator would, and the same wallets take money again at once.
    orphans = await _sessions_of("wallet-churn")
    assert orphans, "the process was killed with no transaction in flight: the test proved less"
    await Wallet.get_pymongo_collection().database.client.admin.command("killSessions", orphans)
    for n in range(9):
        await wallet.credit(GUILD, n, 1_000, kind=EntryKind.ADJUSTMENT, ref=f"after:{n}")
    assert (await wallet.check_ledger(GUILD)).ok
    # And from the stored documents themselves, not only through check_ledger:
    for held in await Wallet.find({"guild_id": GUILD}).to_list():
        ledger = await WalletEntry.find({"guild_id": GUILD, "buyer_id": held.buyer_id}).to_list()
        assert held.balance == sum(e.amount for e in ledger) >= 0
