"""A whole store as one file, and back (issue 20, item 7): `./store backup` / `./store restore`
(launcher/backup_command.py).

The file is one JSON document, versioned (`FORMAT`, `VERSION`): the store's documents of every
collection that belongs to it (settings, products, stock items, payment methods, coupons,
blacklist, tickets with their history and messages, ratings, incoming payments, buyers, the
audit log, stock alerts, role grants, panel clicks), each as MongoDB Extended JSON, so ids,
dates and binary values come back exactly as they were.

Secrets. What a buyer pays to receive (stock item texts, also copied onto the tickets that
hold them) and what proves a payment is real (the Moota secret, the gateways' keys) are
encrypted in the database under this install's secret key. A backup leaves them out, unless
asked: then each is decrypted and encrypted again with a key derived from a passphrase the
seller chooses (Scrypt, a random salt kept in the file; Fernet: AES-128-CBC + HMAC-SHA256), so
the file can be restored on another install (another secret key), and the file alone reveals
nothing. A backup without secrets restores the store without stock items (counts in
`left_out` say how many) and without payment secrets (paste them again).

Restore is all or nothing: every check (format, version, passphrase, a store already there)
and every decryption happen before anything is written, and then the documents are written in
one MongoDB transaction (the database runs as a replica set everywhere: launcher/embedded.py),
which also deletes the store it replaces with `replace`. A failure midway leaves the database
as it was.
"""

from __future__ import annotations

import base64
import secrets as random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from beanie import Document
from bson import ObjectId, json_util
from bson.json_util import JSONOptions
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import OperationFailure

from models.audit_entry import AuditEntry
from models.batch import DUPLICATE_KEY
from models.blacklist import BlacklistEntry
from models.buyer import Buyer
from models.coupon import Coupon
from models.event import Event
from models.incoming_payment import IncomingPayment
from models.payment_method import PaymentMethod
from models.product import Product
from models.rating import Rating
from models.role_grant import RoleGrant
from models.stock_item import StockItem
from models.stock_watch import RestockWait, StockWatch
from models.store import GatewayCredentials, Store, utcnow
from models.ticket import Ticket
from models.ticket_message import TicketMessage
from workflows import payment_secrets
from workflows.errors import StoreError
from workflows.stock import normalise
from workflows.stock_cipher import StockCipher

FORMAT = "discord-store-backup"
VERSION = 1

# Every collection that holds a store's data, each document carrying `guild_id`, in the
# order they are written back. Dashboard sessions are the sellers' logins, not the store's.
COLLECTIONS: tuple[type[Document], ...] = (
    Store,
    Product,
    StockItem,
    PaymentMethod,
    Coupon,
    BlacklistEntry,
    Ticket,
    TicketMessage,
    Rating,
    IncomingPayment,
    Buyer,
    AuditEntry,
    StockWatch,
    RestockWait,
    RoleGrant,
    Event,
)

# Scrypt's cost (RFC 7914; the `cryptography` docs' recommendation for interactive use):
# ~0.1 s and 32 MiB per try, so guessing a passphrase from a stolen file is slow.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MAX_SCRYPT_N = 2**17  # what a restore accepts from a file (128 MiB at r = 8)
_CHECK = b"discord-store backup: the passphrase is right"
_STORE_SECRETS = ("moota_secret", *(f"gateways.{name}" for name in GatewayCredentials.model_fields))
# Relaxed Extended JSON: plain numbers and ISO dates where that loses nothing.
_WRITE = json_util.RELAXED_JSON_OPTIONS
_READ = JSONOptions(tz_aware=True, tzinfo=UTC)

# Collection name → its raw documents.
Collections = dict[str, list[dict[str, Any]]]


class BackupRefused(StoreError):
    """A backup or restore that cannot be done; nothing was written. The message says why."""


def _name(model: type[Document]) -> str:
    return model.get_settings().name or model.__name__


def _passphrase_key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> Fernet:
    kdf = Scrypt(salt=salt, length=32, n=n, r=r, p=p)
    return Fernet(base64.urlsafe_b64encode(kdf.derive(passphrase.encode("utf-8"))))


def _get(doc: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split(".")[:-1]:
        doc = doc.get(part) or {}
    return doc.get(dotted.split(".")[-1])


def _set(doc: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        doc = doc.setdefault(part, {})
    doc[last] = value


def _open_store_secret(stored: str, cipher: StockCipher) -> str:
    """A payment secret as the database holds it (`fernet:<token>`, or clear from an older
    version) → its clear text. Payment secrets and stock items share this install's key
    (`workflows.payment_secrets`)."""
    if not stored.startswith(payment_secrets.PREFIX):
        return stored
    return cipher.open(stored[len(payment_secrets.PREFIX) :].encode("ascii"))


def _seal_store_secret(text: str, cipher: StockCipher) -> str:
    return payment_secrets.PREFIX + cipher.seal(text).decode("ascii")


@dataclass
class Backup:
    """What `make` produced: the file's text and what it holds."""

    text: str
    counts: dict[str, int]
    left_out: dict[str, int] = field(default_factory=dict)


async def make(guild_id: int, cipher: StockCipher, passphrase: str | None = None) -> Backup:
    """The store of `guild_id` as a backup file's text. With a `passphrase`, the secrets are in
    it, encrypted with it; without, they are left out. Read in one snapshot, so a store that
    keeps selling meanwhile is saved as it was at one moment."""
    store = await Store.find_one(Store.guild_id == guild_id)
    if store is None:
        raise BackupRefused(f"there is no store for the server {guild_id}")
    client = Store.get_pymongo_collection().database.client
    collections: Collections = {}
    async with client.start_session(snapshot=True) as session:
        for model in COLLECTIONS:
            cursor = model.get_pymongo_collection().find({"guild_id": guild_id}, session=session)
            collections[_name(model)] = await cursor.sort("_id", 1).to_list()

    header: dict[str, Any] | None = None
    left_out: dict[str, int] = {}
    if passphrase:
        salt = random.token_bytes(16)
        key = _passphrase_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
        header = {
            "cipher": "fernet",
            "kdf": "scrypt",
            "salt": base64.b64encode(salt).decode("ascii"),
            "n": SCRYPT_N,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "check": key.encrypt(_CHECK).decode("ascii"),
        }
        _seal_all(collections, lambda text: key.encrypt(text.encode("utf-8")).decode("ascii"), cipher)
    else:
        left_out = _leave_out_secrets(collections)
    for ticket in collections["tickets"]:
        if ticket.get("opening"):
            # The Buy click's interaction token: Discord's, valid 15 minutes, never worth keeping.
            ticket["opening"]["interaction_token"] = None
    document = {
        "format": FORMAT,
        "version": VERSION,
        "made_at": utcnow(),
        "guild_id": str(guild_id),
        "store_name": store.name,
        "secrets": header,
        "left_out": left_out,
        "collections": collections,
    }
    return Backup(
        text=json_util.dumps(document, json_options=_WRITE, ensure_ascii=False, indent=1),
        counts={name: len(docs) for name, docs in collections.items()},
        left_out=left_out,
    )


def _seal_all(collections: Collections, seal: Callable[[str], str], cipher: StockCipher) -> None:
    """Every secret, opened with this install's key and sealed with the passphrase's."""
    for item in collections["stock_items"]:
        item["secret"] = seal(cipher.open(item["secret"]))
    for ticket in collections["tickets"]:
        ticket["sealed_items"] = [seal(cipher.open(sealed)) for sealed in ticket.get("sealed_items") or []]
    for store in collections["stores"]:
        for path in _STORE_SECRETS:
            stored = _get(store, path)
            if stored:
                _set(store, path, seal(_open_store_secret(stored, cipher)))


def _leave_out_secrets(collections: Collections) -> dict[str, int]:
    """Drop every secret; how many of each kind were dropped."""
    left_out = {"stock_items": len(collections["stock_items"])}
    collections["stock_items"] = []
    held = 0
    for ticket in collections["tickets"]:
        held += len(ticket.get("sealed_items") or [])
        ticket["sealed_items"] = []
    left_out["ticket_stock_items"] = held
    cleared = 0
    for store in collections["stores"]:
        for path in _STORE_SECRETS:
            if _get(store, path):
                _set(store, path, None)
                cleared += 1
    left_out["payment_secrets"] = cleared
    return left_out


@dataclass
class Restored:
    """What `restore` wrote: documents per collection, the guild, what the file did not hold."""

    guild_id: int
    counts: dict[str, int]
    left_out: dict[str, int]
    replaced: bool


def read(text: str) -> dict[str, Any]:
    """The backup document of a file's text; BackupRefused when it is not one this version
    reads."""
    try:
        document = json_util.loads(text, json_options=_READ)
    except (ValueError, TypeError):
        raise BackupRefused("this file is not a store backup (it is not JSON)") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupRefused("this file is not a store backup")
    if document.get("version") != VERSION:
        raise BackupRefused(
            f"this backup is of version {document.get('version')!r}; this store reads version {VERSION} only"
        )
    if not isinstance(document.get("collections"), dict):
        raise BackupRefused("this backup is damaged: it has no collections")
    return document


def needs_passphrase(document: dict[str, Any]) -> bool:
    """The backup holds secrets: restoring it asks for their passphrase."""
    return bool(document.get("secrets"))


def _opener(header: dict[str, Any], passphrase: str | None) -> Callable[[str], str]:
    if not passphrase:
        raise BackupRefused("this backup holds secrets: give its passphrase")
    try:
        n, r, p = int(header["n"]), int(header["r"]), int(header["p"])
        if not (n <= MAX_SCRYPT_N and r <= 16 and p <= 4):
            # Scrypt takes 128·n·r bytes: a file must not make a restore take gigabytes.
            raise ValueError("scrypt cost out of range")
        key = _passphrase_key(passphrase, base64.b64decode(header["salt"]), n, r, p)
        key.decrypt(str(header["check"]).encode("ascii"))
    except InvalidToken:
        raise BackupRefused("wrong passphrase: this backup's secrets cannot be opened with it") from None
    except (KeyError, ValueError, TypeError):
        raise BackupRefused("this backup is damaged: its secrets' header is unreadable") from None

    def open_(token: str) -> str:
        try:
            return key.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, AttributeError, UnicodeError):
            raise BackupRefused("this backup is damaged: a secret in it cannot be opened") from None

    return open_


def _reseal(collections: Collections, open_: Callable[[str], str], cipher: StockCipher) -> None:
    """The passphrase's secrets, sealed again under this install's key (another install has
    another key: its fingerprints are made again too)."""
    for item in collections.get("stock_items", []):
        text = open_(item["secret"])
        item["secret"] = cipher.seal(text)
        item["fingerprint"] = cipher.fingerprint(normalise(text))
    for ticket in collections.get("tickets", []):
        ticket["sealed_items"] = [cipher.seal(open_(token)) for token in ticket.get("sealed_items") or []]
    for store in collections.get("stores", []):
        for path in _STORE_SECRETS:
            token = _get(store, path)
            if token:
                _set(store, path, _seal_store_secret(open_(token), cipher))


def _new_ids(collections: Collections) -> None:
    """Give every document a new id, and every reference to it the same new id (a ticket's
    product, a rating's ticket, a buyer's open tickets…): a copy of a store beside the original
    must not collide with it. ObjectIds are unique across collections, so one map serves all."""
    renamed = {doc["_id"]: ObjectId() for docs in collections.values() for doc in docs}

    def walk(value: Any) -> Any:
        if isinstance(value, ObjectId):
            return renamed.get(value, value)
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    for name, docs in collections.items():
        collections[name] = [walk(doc) for doc in docs]


async def restore(
    document: dict[str, Any],
    cipher: StockCipher,
    *,
    guild_id: int | None = None,
    passphrase: str | None = None,
    replace: bool = False,
) -> Restored:
    """Write the store of a backup (`read`) back, to its own server or to `guild_id`.

    Refused, with nothing written, when the passphrase is missing or wrong, when the server
    already has a store (unless `replace`, which removes that store's documents first, in the
    same transaction), or when a document does not fit."""
    source = int(document["guild_id"])
    target = guild_id if guild_id is not None else source
    known = {_name(model): model for model in COLLECTIONS}
    unknown = set(document["collections"]) - set(known)
    if unknown:
        names = ", ".join(sorted(unknown))
        raise BackupRefused(f"this backup holds collections this store does not know: {names}")
    collections: Collections = {name: list(document["collections"].get(name) or []) for name in known}
    if needs_passphrase(document):
        _reseal(collections, _opener(document["secrets"], passphrase), cipher)
    if len(collections["stores"]) != 1:
        raise BackupRefused("this backup is damaged: it must hold exactly one store")
    if target != source:
        _new_ids(collections)
    for docs in collections.values():
        for doc in docs:
            if doc.get("guild_id") != source:
                raise BackupRefused("this backup is damaged: it holds another server's documents")
            doc["guild_id"] = target
    for name, docs in collections.items():
        for doc in docs:
            try:
                known[name].model_validate(doc)
            except ValueError:
                raise BackupRefused(f"this backup is damaged: a document of {name} does not fit") from None

    existing = await Store.find_one(Store.guild_id == target)
    if existing is not None and not replace:
        raise BackupRefused(
            f"the server {target} already has a store ({existing.name}): "
            "restore with --replace to overwrite it"
        )
    client = Store.get_pymongo_collection().database.client
    try:
        async with client.start_session() as session:
            async with await session.start_transaction():
                await _write(session, target, collections, replace)
    except OperationFailure as error:
        # The transaction was aborted: nothing of it is in the database.
        raise BackupRefused(f"the database refused the restore ({_said(error)})") from None
    return Restored(
        guild_id=target,
        counts={name: len(docs) for name, docs in collections.items()},
        left_out=dict(document.get("left_out") or {}),
        replaced=existing is not None,
    )


async def _write(session: AsyncClientSession, guild_id: int, collections: Collections, replace: bool) -> None:
    for model in COLLECTIONS:
        collection = model.get_pymongo_collection()
        if replace:
            await collection.delete_many({"guild_id": guild_id}, session=session)
        docs = collections[_name(model)]
        if docs:
            await collection.insert_many(docs, ordered=True, session=session)


def _said(error: OperationFailure) -> str:
    details = error.details or {}
    first = (details.get("writeErrors") or [details])[0]
    if first.get("code") == DUPLICATE_KEY:
        # Discord's message ids are unique in the whole database: a copy of a store restored
        # beside its original (another --guild, same database) holds the same ticket messages.
        return f"a document of this backup is already in the database: {first.get('keyValue', '')}"
    return str(first.get("errmsg") or error)


def summary(counts: dict[str, int]) -> str:
    """ "stores 1, products 3, tickets 12…" (the non-empty ones), for the command's output."""
    return ", ".join(f"{name} {n}" for name, n in counts.items() if n) or "nothing"
