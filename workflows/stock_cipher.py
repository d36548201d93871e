"""Encryption of stock items at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The key is derived from the store's secret key (see `models.settings`), so a database dump
alone does not reveal the keys and accounts a seller sells.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

from workflows.errors import InvalidInput


class StockCipher:
    """Encrypts and decrypts stock item secrets with one Fernet key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        # Fernet uses a random IV, so equal secrets seal differently; a keyed hash (HMAC-SHA256
        # under a key derived from the same secret key) gives the database something to index
        # for "this item is already on the shelf" without storing anything a dump could reverse.
        self._fingerprint_key = hashlib.sha256(b"discord-store/stock-fingerprint/v1\x00" + key).digest()

    def fingerprint(self, normalised: str) -> str:
        """HMAC-SHA256 of an item's normalised text, hex (see `workflows.stock.normalise`)."""
        return hmac.new(self._fingerprint_key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()

    def seal(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode("utf-8"))

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode("utf-8")
        except InvalidToken:
            raise InvalidInput("a stock item cannot be decrypted: was the secret key changed?") from None
