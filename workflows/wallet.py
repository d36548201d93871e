"""Saldo (issue 21, item 1): a wallet per buyer per store, and its append-only ledger.

The guarantees, in the shop's words:
  * Every rupiah that enters or leaves a wallet is one ledger entry (a top-up, a purchase, a
    refund, a seller's adjustment with its reason, a reversal). The wallet's balance is always
    the sum of its entries: the balance change and the entry are written in ONE MongoDB
    transaction (the store's MongoDB is a replica set, so transactions are available), so a
    process killed half-way leaves both or neither.
  * A debit happens only if the balance covers it: the balance is lowered by a conditional update
    (`balance >= amount`) inside that transaction. Two purchases racing for the same money
    conflict in MongoDB; the loser's transaction is retried and then sees the lower balance, so a
    balance never goes below zero and the same money is never spent twice.
  * Every entry names its cause (`ref`, unique per store: "topup:<id>", "purchase:<ticket id>"…).
    Crediting or debiting the same cause again returns the first entry and moves no money, so a
    webhook delivered twice or a worker retried after a crash credits a top-up once.
  * Entries are never changed or deleted; a mistake is undone by `reverse`, a new entry of the
    opposite amount.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from beanie import PydanticObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from models.store import utcnow
from models.ticket import Actor, Ticket
from models.wallet import EntryKind, Wallet, WalletEntry
from workflows import audit
from workflows.errors import InsufficientSaldo, InvalidInput, StoreError
from workflows.i18n import text
from workflows.money import format_amount

T = TypeVar("T")
REASON_MAX = 500
# No single movement above this: a typing slip ("1500000000") must not become saldo.
AMOUNT_MAX = 1_000_000_000_000

By = Actor | int | None  # the seller who acted (a Discord user id will do), None for the store itself


class WalletRefused(InvalidInput):
    """Why a seller's saldo change was not made, said in the reader's language from the
    `saldo_s1.refused.<key>` texts."""

    code = "wallet_refused"

    def _text(self, locale: str) -> str:
        return text(locale, f"saldo_s1.refused.{self.key}", **self.values)


class EntryNotFound(StoreError):
    code = "wallet_entry_not_found"

    def __init__(self) -> None:
        super().__init__(key="x")

    def _text(self, locale: str) -> str:
        return text(locale, "saldo_s1.refused.no_entry")


def actor_of(by: By) -> Actor | None:
    """`by` as the audit log names people: a bare Discord id is a seller."""
    if by is None or isinstance(by, Actor):
        return by
    return Actor(kind="seller", user_id=int(by))


def _by_id(by: By) -> tuple[int | None, str]:
    actor = actor_of(by)
    if actor is None:
        return None, ""
    return actor.user_id, actor.name


def _check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= AMOUNT_MAX:
        raise WalletRefused(key="bad_amount", most=format_amount(AMOUNT_MAX))


def _client() -> Any:
    return Wallet.get_pymongo_collection().database.client


async def in_transaction(work: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
    """Run `work(session)` in one MongoDB transaction, retried on write conflicts (another
    transaction touched the same wallet) and on an unknown commit result, as the driver's
    `with_transaction` does. For callers that put a debit beside their own writes (s2: debit
    and ticket paid together)."""
    async with _client().start_session() as session:
        return await session.with_transaction(work)


# One queue per wallet per event loop: the coroutines of one process that move the same wallet
# take turns here instead of conflicting in MongoDB, where a write conflict aborts the
# transaction and the driver retries it after a growing pause (200 buyers × 5 purchases at once:
# ~105 purchases/s with the queue, ~75/s without, on a busy 2-core machine). Other processes
# are still kept apart by MongoDB itself.
_turns: dict[tuple[int, int, int], tuple[asyncio.Lock, int]] = {}


@contextlib.asynccontextmanager
async def _turn(guild_id: int, buyer_id: int) -> AsyncIterator[None]:
    key = (id(asyncio.get_running_loop()), guild_id, buyer_id)
    lock, waiting = _turns.get(key, (None, 0))
    lock = lock or asyncio.Lock()
    _turns[key] = (lock, waiting + 1)
    try:
        async with lock:
            yield
    finally:
        lock, waiting = _turns[key]
        if waiting == 1:
            del _turns[key]  # nobody else queued: forget the wallet
        else:
            _turns[key] = (lock, waiting - 1)


async def _ensure_wallet(guild_id: int, buyer_id: int) -> None:
    """The wallet exists (balance 0) before any transaction touches it: an insert racing another
    insert of the same wallet inside two transactions would fail on the unique index instead of
    being retried."""
    collection = Wallet.get_pymongo_collection()
    # Looked at first without writing: a caller's transaction may hold this wallet already, and a
    # write outside it would wait for that transaction (our own) to end.
    if await collection.find_one({"guild_id": guild_id, "buyer_id": buyer_id}, projection={"_id": 1}):
        return
    try:
        await collection.update_one(
            {"guild_id": guild_id, "buyer_id": buyer_id},
            {"$setOnInsert": {"balance": 0, "updated_at": utcnow()}},
            upsert=True,
        )
    except DuplicateKeyError:
        pass  # another caller made it first: that is all we wanted


async def _move(
    guild_id: int,
    buyer_id: int,
    amount: int,
    *,
    kind: EntryKind,
    ref: str,
    reason: str,
    by: By,
    ticket_id: PydanticObjectId | None,
    session: AsyncClientSession | None,
) -> tuple[WalletEntry, bool]:
    """Add `amount` (signed) to the wallet and write its entry, in one transaction (the caller's
    `session` if given, so its own writes commit or vanish with this one). Returns the entry and
    whether this call made it (False: the same `ref` had already moved the money)."""
    if not ref or len(ref) > 200:
        raise InvalidInput("A saldo entry needs a cause (ref) of at most 200 characters.")
    reason = (reason or "").strip()[:REASON_MAX]
    by_id, by_name = _by_id(by)
    wallets = Wallet.get_pymongo_collection()

    async def apply(session: AsyncClientSession) -> tuple[WalletEntry, bool]:
        done = await WalletEntry.find_one({"guild_id": guild_id, "ref": ref}, session=session)
        if done is not None:
            return done, False  # this cause already moved money: never twice
        match: dict[str, Any] = {"guild_id": guild_id, "buyer_id": buyer_id}
        if amount < 0:
            match["balance"] = {"$gte": -amount}
        wallet = await wallets.find_one_and_update(
            match,
            {"$inc": {"balance": amount}, "$set": {"updated_at": utcnow()}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if wallet is None:
            current = await wallets.find_one({"guild_id": guild_id, "buyer_id": buyer_id}, session=session)
            raise InsufficientSaldo(int((current or {}).get("balance", 0)), -amount)
        entry = WalletEntry(
            guild_id=guild_id,
            buyer_id=buyer_id,
            amount=amount,
            kind=kind,
            ref=ref,
            reason=reason,
            by=by_id,
            by_name=by_name,
            ticket_id=ticket_id,
            balance_after=int(wallet["balance"]),
        )
        await entry.insert(session=session)
        return entry, True

    await _ensure_wallet(guild_id, buyer_id)
    if session is not None:
        return await apply(session)
    try:
        async with _turn(guild_id, buyer_id):
            return await in_transaction(apply)
    except DuplicateKeyError:
        # The same cause committed by someone else between our look and our insert: ours was
        # rolled back whole; theirs is the one entry.
        found = await WalletEntry.find_one({"guild_id": guild_id, "ref": ref})
        if found is None:
            raise
        return found, False


async def credit(
    guild_id: int,
    buyer_id: int,
    amount: int,
    *,
    kind: EntryKind,
    ref: str,
    reason: str = "",
    by: By = None,
    ticket_id: PydanticObjectId | None = None,
    session: AsyncClientSession | None = None,
) -> WalletEntry:
    """Add `amount` (> 0) to the buyer's saldo, once per `ref`: the same ref again returns the
    first entry and credits nothing."""
    _check_amount(amount)
    entry, _made = await _move(
        guild_id,
        buyer_id,
        amount,
        kind=kind,
        ref=ref,
        reason=reason,
        by=by,
        ticket_id=ticket_id,
        session=session,
    )
    return entry


async def debit(
    guild_id: int,
    buyer_id: int,
    amount: int,
    *,
    kind: EntryKind,
    ref: str,
    reason: str = "",
    by: By = None,
    ticket_id: PydanticObjectId | None = None,
    session: AsyncClientSession | None = None,
) -> WalletEntry:
    """Take `amount` (> 0) from the buyer's saldo, once per `ref`. Raises InsufficientSaldo
    (nothing written) when the balance does not cover it."""
    _check_amount(amount)
    entry, _made = await _move(
        guild_id,
        buyer_id,
        -amount,
        kind=kind,
        ref=ref,
        reason=reason,
        by=by,
        ticket_id=ticket_id,
        session=session,
    )
    return entry


async def adjust(guild_id: int, buyer_id: int, amount: int, *, by: By, reason: str) -> WalletEntry:
    """A seller's correction: `amount` signed (+ adds, - takes away), with a reason the buyer and
    the log can read. Recorded in the audit log."""
    reason = (reason or "").strip()
    if not reason:
        raise WalletRefused(key="reason_required")
    if amount == 0:
        raise WalletRefused(key="zero")
    move = credit if amount > 0 else debit
    entry = await move(
        guild_id,
        buyer_id,
        abs(amount),
        kind=EntryKind.ADJUSTMENT,
        ref=f"adjust:{uuid.uuid4()}",
        reason=reason,
        by=by,
    )
    await audit.record(
        guild_id,
        actor_of(by),
        "wallet.adjusted",
        subject=await buyer_name(guild_id, buyer_id),
        subject_id=entry.id,
        before={"balance": entry.balance_after - entry.amount},
        after={"balance": entry.balance_after, "reason": reason},
    )
    return entry


async def reverse(guild_id: int, entry_id: PydanticObjectId, *, by: By, reason: str) -> WalletEntry:
    """Undo one entry with a new one of the opposite amount ("reversal:<entry id>", so an entry is
    reversed at most once). Reversing a credit the buyer already spent raises InsufficientSaldo."""
    original = await WalletEntry.find_one({"_id": entry_id, "guild_id": guild_id})
    if original is None:
        raise EntryNotFound()
    _check_amount(abs(original.amount))
    entry, made = await _move(
        guild_id,
        original.buyer_id,
        -original.amount,
        kind=EntryKind.REVERSAL,
        ref=f"reversal:{original.id}",
        reason=reason,
        by=by,
        ticket_id=original.ticket_id,
        session=None,
    )
    if not made:
        return entry  # reversed before: nothing moved now, nothing to log
    await audit.record(
        guild_id,
        actor_of(by),
        "wallet.reversed",
        subject=await buyer_name(guild_id, original.buyer_id),
        subject_id=entry.id,
        before={"balance": entry.balance_after - entry.amount},
        after={"balance": entry.balance_after, "reason": entry.reason},
    )
    return entry


async def balance(guild_id: int, buyer_id: int) -> int:
    """The buyer's saldo now (0 for a buyer who never had one)."""
    wallet = await Wallet.find_one({"guild_id": guild_id, "buyer_id": buyer_id})
    return wallet.balance if wallet else 0


async def entries(
    guild_id: int, buyer_id: int, *, limit: int = 10, before: PydanticObjectId | None = None
) -> list[WalletEntry]:
    """The wallet's ledger, newest first; `before` (an entry's id) pages on to older ones."""
    query: dict[str, Any] = {"guild_id": guild_id, "buyer_id": buyer_id}
    if before is not None:
        query["_id"] = {"$lt": before}
    return await WalletEntry.find(query).sort([("_id", -1)]).limit(limit).to_list()


async def remember_name(guild_id: int, buyer_id: int, name: str) -> None:
    """Keep the buyer's Discord name on their wallet (made if missing) for the seller's search."""
    name = (name or "").strip()[:100]
    if not name:
        return
    try:
        await Wallet.get_pymongo_collection().update_one(
            {"guild_id": guild_id, "buyer_id": buyer_id},
            {"$set": {"buyer_name": name}, "$setOnInsert": {"balance": 0, "updated_at": utcnow()}},
            upsert=True,
        )
    except DuplicateKeyError:  # made at the same moment by a credit: set the name on it
        await Wallet.get_pymongo_collection().update_one(
            {"guild_id": guild_id, "buyer_id": buyer_id}, {"$set": {"buyer_name": name}}
        )


async def buyer_name(guild_id: int, buyer_id: int) -> str:
    """How to name the buyer to a seller: their Discord name as last seen on their wallet or a
    ticket, else their mention (Discord shows it as the name)."""
    held = await Wallet.find_one({"guild_id": guild_id, "buyer_id": buyer_id})
    if held is not None and held.buyer_name:
        return held.buyer_name
    raw = await Ticket.get_pymongo_collection().find_one(
        {"guild_id": guild_id, "buyer_id": buyer_id, "buyer_name": {"$nin": ["", None]}},
        projection={"buyer_name": 1},
        sort=[("created_at", -1)],
    )
    return raw["buyer_name"] if raw else f"<@{buyer_id}>"


async def wallets(guild_id: int, *, query: str = "", limit: int = 50, skip: int = 0) -> list[Wallet]:
    """The store's wallets, largest balance first. `query`: part of a buyer's name (any case) or
    of their Discord id."""
    found: dict[str, Any] = {"guild_id": guild_id}
    query = (query or "").strip()
    if query:
        either: list[dict[str, Any]] = [{"buyer_name": {"$regex": re.escape(query), "$options": "i"}}]
        if query.isdigit():
            either.append({"$expr": {"$regexMatch": {"input": {"$toString": "$buyer_id"}, "regex": query}}})
        found["$or"] = either
    return await Wallet.find(found).sort([("balance", -1), ("buyer_id", 1)]).skip(skip).limit(limit).to_list()


@dataclass
class LedgerCheck:
    """What `check_ledger` found; `ok` when nothing is wrong."""

    wallets: int = 0
    entries: int = 0
    # (guild_id, buyer_id, balance on the wallet, sum of its entries)
    mismatched: list[tuple[int, int, int, int]] = field(default_factory=list)
    negative: list[tuple[int, int, int]] = field(default_factory=list)  # (guild_id, buyer_id, balance)
    double_credits: list[tuple[int, str, int]] = field(default_factory=list)  # (guild_id, ref, times)

    @property
    def ok(self) -> bool:
        return not (self.mismatched or self.negative or self.double_credits)


async def check_ledger(guild_id: int | None = None) -> LedgerCheck:
    """Audit every wallet (of one store, or all): balance == sum of entries, no balance below
    zero, no cause (ref) moving money more than once."""
    scope: dict[str, Any] = {} if guild_id is None else {"guild_id": guild_id}
    check = LedgerCheck()
    sums: dict[tuple[int, int], int] = {}
    rows = await WalletEntry.get_pymongo_collection().aggregate(
        [
            {"$match": scope},
            {
                "$group": {
                    "_id": {"g": "$guild_id", "b": "$buyer_id"},
                    "sum": {"$sum": "$amount"},
                    "n": {"$sum": 1},
                }
            },
        ]
    )
    async for row in rows:
        sums[(int(row["_id"]["g"]), int(row["_id"]["b"]))] = int(row["sum"])
        check.entries += int(row["n"])
    async for wallet in Wallet.get_pymongo_collection().find(scope):
        key = (int(wallet["guild_id"]), int(wallet["buyer_id"]))
        check.wallets += 1
        held, summed = int(wallet.get("balance", 0)), sums.pop(key, 0)
        if held != summed:
            check.mismatched.append((*key, held, summed))
        if held < 0:
            check.negative.append((*key, held))
    for (guild, buyer), summed in sums.items():  # entries of a wallet that does not exist
        check.mismatched.append((guild, buyer, 0, summed))
    twice = await WalletEntry.get_pymongo_collection().aggregate(
        [
            {"$match": scope},
            {"$group": {"_id": {"g": "$guild_id", "r": "$ref"}, "n": {"$sum": 1}}},
            {"$match": {"n": {"$gt": 1}}},
        ]
    )
    async for row in twice:
        check.double_credits.append((int(row["_id"]["g"]), str(row["_id"]["r"]), int(row["n"])))
    return check
