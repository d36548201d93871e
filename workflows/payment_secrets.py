"""The secrets that prove a payment notification is real (Moota's webhook secret, the Tripay,
Midtrans and Xendit keys), encrypted at rest like stock items.

Anyone holding one of them can forge "the buyer paid", so a database dump alone must not
reveal them: they are stored as `fernet:<token>` (Fernet, key derived from the store's secret
key, `workflows.stock_cipher`) and opened only where a signature is checked. A plain value left
by an older version is still read, once, and saved again encrypted.
"""

from __future__ import annotations

import logging
from functools import cache

from models.settings import get_settings
from models.store import GatewayCredentials, Store
from workflows.errors import InvalidInput
from workflows.stock_cipher import StockCipher

log = logging.getLogger(__name__)

PREFIX = "fernet:"
NAMES = ("moota_secret", *GatewayCredentials.model_fields)


@cache
def _cipher_for(key: bytes) -> StockCipher:
    return StockCipher(key)


def cipher() -> StockCipher:
    """The cipher of this process's secret key."""
    return _cipher_for(get_settings().stock_encryption_key())


def seal(value: str | None) -> str | None:
    """How a secret is stored (None stays None: not set)."""
    if not value:
        return None
    return PREFIX + cipher().seal(value).decode("ascii")


def _stored(store: Store, name: str) -> str | None:
    if name not in NAMES:
        raise ValueError(f"{name} is not a payment secret")
    return store.moota_secret if name == "moota_secret" else getattr(store.gateways, name)


def _path(name: str) -> str:
    return name if name == "moota_secret" else f"gateways.{name}"


async def reveal(store: Store, name: str) -> str | None:
    """The clear secret `name` of `store`, for checking a signature; None when not set or when
    it cannot be decrypted (the secret key changed: the seller must paste it again)."""
    stored = _stored(store, name)
    if not stored:
        return None
    if not stored.startswith(PREFIX):
        # Saved in clear by an older version: encrypt it now, unless someone changed it meanwhile.
        await Store.get_pymongo_collection().update_one(
            {"_id": store.id, _path(name): stored}, {"$set": {_path(name): seal(stored)}}
        )
        log.info("store %s: %s was stored in clear; now encrypted", store.guild_id, name)
        return stored
    try:
        return cipher().open(stored[len(PREFIX) :].encode("ascii"))
    except (InvalidInput, UnicodeEncodeError):
        log.warning("store %s: %s cannot be decrypted (was the secret key changed?)", store.guild_id, name)
        return None
