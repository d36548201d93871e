"""A way for buyers to pay: a bank account, an e-wallet, a QRIS code or a crypto address."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.store import utcnow


class PaymentKind(StrEnum):
    BANK = "bank"
    EWALLET = "ewallet"
    QRIS = "qris"
    CRYPTO = "crypto"


class PaymentMethod(Document):
    """One payment method of a store.

    `provider` names the bank or wallet ("BCA", "GoPay", "USDT"); `details` holds the fields
    the buyer needs (account_number and account_name, number, image_ref, address and network).
    """

    guild_id: int
    kind: PaymentKind
    provider: str = Field(min_length=1, max_length=50)
    details: dict[str, str] = Field(default_factory=dict)
    instructions: str = Field(default="", max_length=1000)
    active: bool = True
    order: int = 0
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "payment_methods"
        indexes = [IndexModel([("guild_id", ASCENDING), ("active", ASCENDING), ("order", ASCENDING)])]
