"""A ticket: one purchase, from the Buy click to the archived transcript.

The state field is only ever written by `workflows.tickets` through one conditional update on
`{_id, state, version}`; see that module for the rules.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from models.coupon import AppliedCoupon
from models.product import DeliveryMode
from models.store import utcnow


class TicketState(StrEnum):
    OPEN = "open"
    PAID = "paid"
    COMPLETED = "completed"
    CLOSED = "closed"


class TicketOutcome(StrEnum):
    """Why a closed ticket closed."""

    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


ActorKind = Literal["buyer", "seller", "system"]


class Actor(BaseModel):
    """Who caused a transition: a buyer, a seller (or admin), or the system (timer, worker)."""

    kind: ActorKind
    user_id: int | None = None
    name: str = ""

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(kind="system", name=name)


class HistoryEntry(BaseModel):
    """One transition in a ticket's life: who, when, from, to, why."""

    at: datetime
    trigger: str
    source: TicketState | None  # None for the ticket's creation
    dest: TicketState
    by: Actor
    reason: str = ""


class OutboxEntry(BaseModel):
    """An actor message a transition caused, kept on the ticket until it is in the queue."""

    id: str
    actor: str
    kwargs: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime


class ProductSnapshot(BaseModel):
    """The product as it was when the ticket opened (later price edits do not change it)."""

    product_id: PydanticObjectId
    name: str
    unit_price: int
    delivery_mode: DeliveryMode


class PaymentReport(BaseModel):
    """The buyer's "I have paid": a transfer reference and, optionally, a proof image."""

    reference: str
    proof_ref: str | None = None
    reported_at: datetime
    reported_by: int


class Verification(BaseModel):
    by: Actor
    at: datetime
    automatic: bool = False
    incoming_payment_id: PydanticObjectId | None = None
    # Paid from the buyer's saldo: the ledger's debit (`workflows.saldo_payments.pay`).
    wallet_entry_id: PydanticObjectId | None = None


class DeliveryRecord(BaseModel):
    """Where and when the product reached the buyer."""

    via: Literal["dm", "ticket", "manual"]
    message_id: int | None = None
    item_count: int
    delivered_at: datetime
    note: str = ""  # the seller's words when they delivered it themselves


class Refund(BaseModel):
    """Money of a paid ticket given back to the buyer's saldo (`workflows.saldo_payments.refund`):
    how much, by which seller, why, and the ledger's credit that carries it."""

    amount: int
    at: datetime
    by: Actor
    reason: str = ""
    wallet_entry_id: PydanticObjectId


class TicketRating(BaseModel):
    stars: int = Field(ge=1, le=5)
    comment: str = ""
    at: datetime


class TranscriptRecord(BaseModel):
    path: str
    size: int
    archived_at: datetime
    # Why the log channel refused the transcript (in the store's language), for the dashboard.
    post_problem: str | None = None
    # The buyer's copy in their DMs (its message id), linked from the buyer's /orders.
    buyer_copy_id: int | None = None


class TicketOpening(BaseModel):
    """A ticket opened from the Buy button whose channel is made by a worker
    (`workers.ticket_opening`): how to answer the buyer, and how far the opening got, so a
    run after a crash picks up where the last one stopped.

    Parameters:
      application_id: the bot's application, for the interaction's webhook.
      interaction_token: the Buy click's token, to edit the buyer's "being opened" reply;
        cleared once used (interactions/receiving-and-responding.mdx: valid 15 minutes).
      token_expires_at: after this the buyer is told by DM instead.
      category_id: the category the channel was made in (an empty overflow one is removed).
      instructions_message_id: the posted instructions (posted once).
      done_at: when the buyer was told the channel is ready (or why there is none).
    """

    application_id: int
    interaction_token: str | None = None
    token_expires_at: datetime | None = None
    category_id: int | None = None
    instructions_message_id: int | None = None
    done_at: datetime | None = None


class Ticket(Document):
    """One purchase. `next_due_at`/`next_due_action` is the ticket's one pending timer."""

    guild_id: int
    number: int
    buyer_id: int
    buyer_name: str = ""
    product: ProductSnapshot
    quantity: int
    # The reserved stock items' secrets, still encrypted, copied when the ticket opened so the
    # delivery needs no second read; `settle_pending` marks a delivery whose stock items are
    # still to be marked delivered (done in batches by the sweeper).
    sealed_items: list[bytes] = Field(default_factory=list)
    settle_pending: bool | None = None
    currency: str
    subtotal: int
    unique_code: int
    amount_due: int
    # The coupon the buyer applied (`workflows.tickets.apply_coupon`); `amount_due` includes it.
    coupon: AppliedCoupon | None = None
    payment_method_id: PydanticObjectId | None = None
    channel_id: int | None = None
    # Set when the Buy button opened it: its channel is made by a worker (None: the caller
    # attaches a channel itself, `workflows.tickets.attach_channel`).
    opening: TicketOpening | None = None
    state: TicketState = TicketState.OPEN
    outcome: TicketOutcome | None = None
    version: int = 0
    history: list[HistoryEntry] = Field(default_factory=list)
    outbox: list[OutboxEntry] = Field(default_factory=list)
    payment_report: PaymentReport | None = None
    # The "please verify" message with Verify/Reject posted for the latest report; edited to
    # say who verified or rejected it (`workers.prompts`), so its buttons do not linger.
    verify_prompt_id: int | None = None
    verification: Verification | None = None
    # Refunds to the buyer's saldo, and their sum: never more than the amount paid.
    refunds: list[Refund] = Field(default_factory=list)
    refunded: int = 0
    delivery: DeliveryRecord | None = None
    # Why the bot's last delivery attempt failed for good (shown to the seller while the
    # ticket is paid); cleared when the ticket leaves `paid`.
    delivery_problem: str | None = None
    rating: TicketRating | None = None
    transcript: TranscriptRecord | None = None
    expires_at: datetime | None = None
    # Copied from the store when the ticket opens, so one ticket's timers never need the store.
    auto_close_s: int = 600
    auto_close_at: datetime | None = None
    next_due_at: datetime | None = None
    next_due_action: str | None = None
    due_claim: str | None = None  # the sweep that last claimed the timer
    due_attempts: int | None = None  # claims of the timer since the last transition
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    paid_at: datetime | None = None
    completed_at: datetime | None = None
    closed_at: datetime | None = None

    class Settings:
        name = "tickets"
        indexes = [
            IndexModel([("guild_id", ASCENDING), ("number", ASCENDING)], unique=True),
            # Kode unik: no two open tickets of a store may ask for the same amount.
            IndexModel(
                [("guild_id", ASCENDING), ("amount_due", ASCENDING)],
                unique=True,
                partialFilterExpression={"state": "open"},
                name="open_amount_unique",
            ),
            IndexModel([("guild_id", ASCENDING), ("state", ASCENDING), ("created_at", DESCENDING)]),
            IndexModel([("guild_id", ASCENDING), ("buyer_id", ASCENDING), ("created_at", DESCENDING)]),
            IndexModel([("guild_id", ASCENDING), ("created_at", DESCENDING)]),  # funnel by period
            # The sweeper's `next_due_at <= now`; a partial index would not be chosen for it.
            IndexModel([("next_due_at", ASCENDING)]),
            IndexModel([("outbox.created_at", ASCENDING)], sparse=True),
            IndexModel([("settle_pending", ASCENDING)], sparse=True),
            IndexModel([("channel_id", ASCENDING)], sparse=True),
        ]
