"""Beanie documents, the database connection and the settings schema. Imports nothing of ours."""

from models.blacklist import BlacklistEntry, BlacklistKind
from models.buyer import Buyer
from models.coupon import AppliedCoupon, Coupon, CouponKind
from models.db import DOCUMENTS, connect
from models.event import Event, EventKind
from models.incoming_payment import IncomingPayment
from models.payment_method import PaymentKind, PaymentMethod
from models.product import MAX_PRICE, DeliveryMode, Product
from models.rating import Rating
from models.stock_item import StockItem, StockItemStatus
from models.store import PanelSettings, Store, TicketSettings, utcnow
from models.ticket import (
    Actor,
    HistoryEntry,
    OutboxEntry,
    Ticket,
    TicketOutcome,
    TicketState,
)
from models.ticket_message import TicketMessage

__all__ = [
    "DOCUMENTS",
    "MAX_PRICE",
    "Actor",
    "AppliedCoupon",
    "BlacklistEntry",
    "BlacklistKind",
    "Buyer",
    "Coupon",
    "CouponKind",
    "DeliveryMode",
    "Event",
    "EventKind",
    "HistoryEntry",
    "IncomingPayment",
    "OutboxEntry",
    "PanelSettings",
    "PaymentKind",
    "PaymentMethod",
    "Product",
    "Rating",
    "StockItem",
    "StockItemStatus",
    "Store",
    "Ticket",
    "TicketMessage",
    "TicketOutcome",
    "TicketSettings",
    "TicketState",
    "connect",
    "utcnow",
]
