"""A store: one per Discord guild, with its currency, language and ticket/panel settings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from beanie import Document
from pydantic import BaseModel, Field
from pymongo import ASCENDING, IndexModel

Locale = Literal["id", "en"]
CurrencyCode = Literal["IDR", "USD", "SGD", "MYR", "EUR"]


def utcnow() -> datetime:
    """Timezone-aware now; every timestamp of the store is UTC."""
    return datetime.now(UTC)


class TicketSettings(BaseModel):
    """How tickets behave in this store.

    Parameters:
      category_ids: Discord categories that hold ticket channels (the next one is used when one
        is full at Discord's 50 channels per category).
      seller_role_ids: roles that see every ticket and may verify payments.
      max_open_tickets_per_buyer: tickets a buyer may have open (not yet closed) at once.
      cooldown_s: seconds a buyer waits between opening two tickets.
      unpaid_expiry_s: an unpaid ticket expires and releases its stock after this long.
      auto_close_s: a completed ticket closes (and is archived) after this long.
      max_quantity: most units of one product in one ticket.
    """

    category_ids: list[int] = Field(default_factory=list)
    # The categories in `category_ids` the bot made when the others were full; it removes
    # them again once their last ticket channel is gone (`workers.ticket_opening`).
    overflow_category_ids: list[int] = Field(default_factory=list)
    seller_role_ids: list[int] = Field(default_factory=list)
    max_open_tickets_per_buyer: int = Field(default=1, ge=1, le=50)
    cooldown_s: int = Field(default=30, ge=0, le=86_400)
    unpaid_expiry_s: int = Field(default=3600, ge=60, le=30 * 86_400)
    auto_close_s: int = Field(default=600, ge=0, le=30 * 86_400)
    max_quantity: int = Field(default=10, ge=1, le=1000)


class PanelSettings(BaseModel):
    """The live product panel the bot keeps in a channel."""

    channel_id: int | None = None
    message_id: int | None = None
    title: str = Field(default="DIGITAL PRODUCT STORE", max_length=256)
    description: str = Field(default="", max_length=4096)
    color: int = Field(default=0x5865F2, ge=0, le=0xFFFFFF)
    thumbnail_ref: str | None = None
    layout: Literal["fields", "list"] = "fields"
    buy_label: str = Field(default="Buy", max_length=80)
    buy_style: Literal["primary", "secondary", "success", "danger"] = "success"
    payment_label: str = Field(default="Payment", max_length=80)
    payment_style: Literal["primary", "secondary", "success", "danger"] = "secondary"
    # One Unicode emoji or a server emoji `<a:name:id>` (up to 57 characters); checked by
    # workflows.emoji when saved.
    buy_emoji: str = Field(default="🛒", max_length=64)
    payment_emoji: str = Field(default="💳", max_length=64)
    refresh_s: int = Field(default=5, ge=2, le=3600)


class GatewayCredentials(BaseModel):
    """The store's own payment-gateway credentials (each gateway signs its callbacks with them),
    stored encrypted (`workflows.payment_secrets`)."""

    tripay_private_key: str | None = None
    midtrans_server_key: str | None = None
    xendit_callback_token: str | None = None


class Store(Document):
    """One seller's shop, bound to one Discord guild."""

    guild_id: int
    name: str = Field(default="Store", max_length=100)
    currency: CurrencyCode = "IDR"
    locale: Locale = "id"
    tickets: TicketSettings = Field(default_factory=TicketSettings)
    panel: PanelSettings = Field(default_factory=PanelSettings)
    log_channel_id: int | None = None
    transcript_channel_id: int | None = None
    testimonial_channel_id: int | None = None
    # Shared secret of the store's Moota bank-mutation webhook (HMAC-SHA256 of the raw body),
    # stored encrypted like the gateways' keys (`workflows.payment_secrets`).
    moota_secret: str | None = Field(default=None, min_length=16, max_length=1000)
    gateways: GatewayCredentials = Field(default_factory=lambda: GatewayCredentials())
    # Saldo (issue 21): money the store cannot use but whose buyer it knows (gateway money for a
    # closed ticket, an over-payment) goes to that buyer's saldo without a seller's click.
    auto_credit_overpayments: bool = False
    # Last ticket number handed out; tickets are numbered 1, 2, 3… per guild.
    ticket_counter: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "stores"
        indexes = [IndexModel([("guild_id", ASCENDING)], unique=True)]
