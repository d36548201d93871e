"""Encryption of stock items at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The key is derived from the store's secret key (see `models.settings`), so a database dump
alone does not reveal the keys and accounts a seller sells.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from workflows.errors import InvalidInput


class StockCipher:
    """Encrypts and decrypts stock item secrets with one Fernet key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode("utf-8"))

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode("utf-8")
        except InvalidToken:
            raise InvalidInput("a stock item cannot be decrypted: was the secret key changed?") from None
