"""Beanie documents, the database connection and the settings schema. Imports nothing of ours."""

from models.buyer import Buyer
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
    "Buyer",
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
