"""A coupon: a code a buyer types in their ticket to pay less (issue 20, item 1).

Its uses are counted on the coupon itself, in the same conditional update that checks the
limits (`workflows.coupons.claim`), so a limit of 10 holds however many buyers press at once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, IndexModel

from models.store import utcnow


class CouponKind(StrEnum):
    PERCENT = "percent"  # `value` is 1..100 (% off the ticket's price)
    FIXED = "fixed"  # `value` is an amount in the currency's smallest unit


class Coupon(Document):
    """One code of one store.

    Parameters:
      code: what the buyer types, kept in capitals (typed in any case).
      kind, value: "10%" is (percent, 10); "Rp 5.000" is (fixed, 5000).
      product_ids: the products it is good for; empty means every product.
      min_amount: the ticket's price (before the unique code) must be at least this.
      max_uses, max_uses_per_buyer: None means no limit.
      starts_at, ends_at: the validity window; None means open on that side.
      uses: tickets holding a use now (a cancelled or expired ticket gives its use back).
      by_buyer: uses per buyer (Discord user id as text), checked in the same update.
      held_by: the tickets holding a use: claiming and giving back are done once per ticket.
    """

    guild_id: int
    code: str
    kind: CouponKind
    value: int
    product_ids: list[PydanticObjectId] = Field(default_factory=list)
    min_amount: int = 0
    max_uses: int | None = None
    max_uses_per_buyer: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    active: bool = True
    uses: int = 0
    by_buyer: dict[str, int] = Field(default_factory=dict)
    held_by: list[PydanticObjectId] = Field(default_factory=list)
    created_by: str = ""
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "coupons"
        indexes = [IndexModel([("guild_id", ASCENDING), ("code", ASCENDING)], unique=True)]


class AppliedCoupon(BaseModel):
    """The coupon a ticket uses, as it was when applied (the amount due already includes it)."""

    coupon_id: PydanticObjectId
    code: str
    discount: int
    applied_at: datetime
