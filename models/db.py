"""Connecting Beanie to MongoDB.

pymongo's async client is bound to the event loop it first runs on, so `connect` must be
awaited on the loop that will use the documents (in a Dramatiq worker: its event-loop thread).
"""

from __future__ import annotations

from beanie import init_beanie
from pymongo import AsyncMongoClient

from models.audit_entry import AuditEntry
from models.blacklist import BlacklistEntry
from models.buyer import Buyer
from models.coupon import Coupon
from models.dashboard_session import DashboardSession
from models.event import Event
from models.incoming_payment import IncomingPayment
from models.payment_method import PaymentMethod
from models.product import Product
from models.rating import Rating
from models.role_grant import RoleGrant
from models.stock_item import StockItem
from models.stock_watch import RestockWait, StockWatch
from models.store import Store
from models.ticket import Ticket
from models.ticket_message import TicketMessage
from models.topup import TopUp
from models.wallet import Wallet, WalletEntry

DOCUMENTS = [
    Store,
    Product,
    StockItem,
    PaymentMethod,
    Ticket,
    Buyer,
    TicketMessage,
    Rating,
    Event,
    IncomingPayment,
    DashboardSession,
    Coupon,
    BlacklistEntry,
    AuditEntry,
    StockWatch,
    RestockWait,
    RoleGrant,
    Wallet,
    WalletEntry,
    TopUp,
]


async def connect(mongodb_url: str, database: str) -> AsyncMongoClient:
    """Open a client on the running loop, bind every document to `database`, build indexes."""
    client: AsyncMongoClient = AsyncMongoClient(mongodb_url, tz_aware=True, uuidRepresentation="standard")
    await init_beanie(database=client[database], document_models=DOCUMENTS)
    return client
