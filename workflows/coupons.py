"""Coupons: a code the buyer types in their ticket, before paying, to pay less (issue 20, item 1).

The rules, in the shop's words:
  * "10%" takes 10 percent off the ticket's price (product price × quantity, before the unique
    code). The discount is rounded *down* to a whole unit of the currency (Rp 1), so a buyer
    never gets more off than the percent says: 10% of Rp 45.999 is Rp 4.599.
  * "Rp 5.000" takes that amount off. Whatever the coupon, the price never drops below one
    unit of the currency (Rp 1); the unique code is then added to the new price as usual.
  * One coupon per ticket: a second code on the same ticket is refused (the buyer cancels and
    buys again to change it), so a use is never swapped under a buyer's feet mid-payment.
  * A use is held from the moment the coupon is applied; it is given back when the ticket is
    cancelled or expires (`release`), and kept when the ticket is paid.

Counting is atomic: `claim` is one conditional update on the coupon that matches only while
`uses` is under the limit, the buyer's own count is under theirs, and this ticket does not hold a
use yet; it increments both counts and records the ticket in the same write. Fifty buyers
pressing at once on a coupon limited to 10 get exactly 10 uses. Because the holding ticket is
recorded, claiming and giving back are each done at most once per ticket (a retry is harmless).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from models.coupon import Coupon, CouponKind
from models.ticket import Actor, Ticket, TicketOutcome, TicketState
from workflows import audit, money
from workflows.errors import InvalidInput, StoreError
from workflows.i18n import text

CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{2,31}")  # 3 to 32 letters, digits, - or _
CODE_MAX = 32


class CouponRefused(StoreError):
    """Why a coupon was not applied (or not made), said in the reader's language from the
    `coupons.refused.<key>` texts; dates and amounts in `values` are written for that language."""

    code = "coupon_refused"

    def _text(self, locale: str) -> str:
        from workflows.ticket_story import local_time  # beside this module; imports tickets' models only

        shown = {
            name: local_time(value, locale) if isinstance(value, datetime) else value
            for name, value in self.values.items()
        }
        return text(locale, f"coupons.refused.{self.key}", **shown)


def normalise_code(written: str) -> str:
    """What the buyer typed, as the coupon is stored: trimmed, in capitals."""
    return (written or "").strip().upper()[: CODE_MAX + 1]


def parse_value(written: str, currency: str = "IDR") -> tuple[CouponKind, int]:
    """What a seller types as the discount: "10%" → (percent, 10); "Rp 5.000" or "5.000" →
    (fixed, 5000). Raises CouponRefused naming what is allowed."""
    written = (written or "").strip()
    if written.endswith("%"):
        number = written[:-1].strip()
        if not number.isdigit() or not 1 <= int(number) <= 100:
            raise CouponRefused(key="bad_percent")
        return CouponKind.PERCENT, int(number)
    try:
        amount = money.parse_amount(written, currency)
    except ValueError:
        raise CouponRefused(key="bad_value", example=money.format_amount(500_000, currency)) from None
    if amount < 1:
        raise CouponRefused(key="bad_value", example=money.format_amount(500_000, currency))
    return CouponKind.FIXED, amount


def describe(coupon: Coupon, currency: str = "IDR") -> str:
    """The discount as the seller wrote it: "10%" or "Rp 5.000"."""
    if coupon.kind is CouponKind.PERCENT:
        return f"{coupon.value}%"
    return money.format_amount(coupon.value, currency)


def discount(coupon: Coupon, subtotal: int) -> int:
    """How much the coupon takes off `subtotal` (rounded down for a percent)."""
    if coupon.kind is CouponKind.PERCENT:
        return math.floor(subtotal * coupon.value / 100)
    return coupon.value


def price_after(subtotal: int, off: int, currency: str = "IDR") -> int:
    """The ticket's new price: never below one unit of the currency (Rp 1, $1.00)."""
    return max(10 ** money.digits(currency), subtotal - off)


# --- the seller's side ------------------------------------------------------------------------


async def create_coupon(
    guild_id: int,
    *,
    code: str,
    value: str,
    currency: str = "IDR",
    product_ids: list[PydanticObjectId] | None = None,
    min_amount: int = 0,
    max_uses: int | None = None,
    max_uses_per_buyer: int | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    created_by: str = "",
    by: Actor | None = None,
) -> Coupon:
    """A new coupon of the store; its code is unique in the store (CouponRefused otherwise)."""
    code = normalise_code(code)
    if not CODE.fullmatch(code):
        raise CouponRefused(key="bad_code")
    kind, amount = parse_value(value, currency)
    for limit in (max_uses, max_uses_per_buyer):
        if limit is not None and not 1 <= limit <= 1_000_000:
            raise CouponRefused(key="bad_limit")
    if min_amount < 0:
        raise CouponRefused(key="bad_value", example=money.format_amount(500_000, currency))
    if starts_at and ends_at and ends_at <= starts_at:
        raise CouponRefused(key="bad_window")
    coupon = Coupon(
        guild_id=guild_id,
        code=code,
        kind=kind,
        value=amount,
        product_ids=list(product_ids or []),
        min_amount=min_amount,
        max_uses=max_uses,
        max_uses_per_buyer=max_uses_per_buyer,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=created_by,
    )
    try:
        await coupon.insert()
    except DuplicateKeyError:
        raise CouponRefused(key="code_taken", code=code) from None
    await audit.record(
        guild_id, by, "coupon.created", subject=coupon.code, subject_id=coupon.id, always=True,
        after={"value": describe(coupon, currency)}
        | coupon.model_dump(
            include={"min_amount", "max_uses", "max_uses_per_buyer", "starts_at", "ends_at", "product_ids"}
        ),
    )
    return coupon


async def list_coupons(guild_id: int) -> list[Coupon]:
    """The store's coupons, active first, newest first."""
    return await Coupon.find({"guild_id": guild_id}).sort([("active", -1), ("created_at", -1)]).to_list()


async def deactivate(guild_id: int, coupon_id: PydanticObjectId | str, by: Actor | None = None) -> Coupon:
    """The coupon can no longer be applied (tickets already using it keep their price)."""
    try:
        oid = PydanticObjectId(coupon_id)
    except Exception:
        raise InvalidInput("no such coupon") from None
    coupon = await Coupon.find_one({"_id": oid, "guild_id": guild_id})
    if coupon is None:
        raise InvalidInput("no such coupon")
    await Coupon.get_pymongo_collection().update_one({"_id": oid}, {"$set": {"active": False}})
    await audit.record(
        guild_id, by, "coupon.deactivated", subject=coupon.code, subject_id=coupon.id,
        before={"active": coupon.active}, after={"active": False}, always=True,
    )
    coupon.active = False
    return coupon


# --- the buyer's side ---------------------------------------------------------------------------


async def find(guild_id: int, written: str) -> Coupon:
    """The store's coupon with this code (any case), or CouponRefused("not_found")."""
    code = normalise_code(written)
    coupon = await Coupon.find_one({"guild_id": guild_id, "code": code}) if code else None
    if coupon is None:
        raise CouponRefused(key="not_found", code=code or "—")
    return coupon


def check(
    coupon: Coupon, product_id: PydanticObjectId, product: str, subtotal: int, currency: str, now: datetime
) -> int:
    """The discount `coupon` gives a ticket of `subtotal` for `product`, or CouponRefused
    naming why not (no longer valid, not yet / no longer in its window, another product, under
    its minimum). The limits on uses are checked by `claim`, atomically."""
    if not coupon.active:
        raise CouponRefused(key="inactive", code=coupon.code)
    if coupon.starts_at and now < _aware(coupon.starts_at):
        raise CouponRefused(key="not_yet", code=coupon.code, when=coupon.starts_at)
    if coupon.ends_at and now >= _aware(coupon.ends_at):
        raise CouponRefused(key="ended", code=coupon.code, when=coupon.ends_at)
    if coupon.product_ids and product_id not in coupon.product_ids:
        raise CouponRefused(key="other_product", code=coupon.code, product=product)
    if subtotal < coupon.min_amount:
        raise CouponRefused(
            key="minimum",
            code=coupon.code,
            minimum=money.format_amount(coupon.min_amount, currency),
            amount=money.format_amount(subtotal, currency),
        )
    return discount(coupon, subtotal)


def _aware(moment: datetime) -> datetime:
    # MongoDB hands datetimes back naive, in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def claim(coupon: Coupon, ticket_id: PydanticObjectId, buyer_id: int) -> None:
    """Take one use of `coupon` for `ticket_id`, atomically within both limits, or
    CouponRefused("used_up" / "buyer_limit" / "inactive"). Claiming again for the same ticket
    changes nothing."""
    mine = f"by_buyer.{buyer_id}"
    query: dict[str, Any] = {"_id": coupon.id, "active": True, "held_by": {"$ne": ticket_id}}
    if coupon.max_uses is not None:
        query["uses"] = {"$lt": coupon.max_uses}
    if coupon.max_uses_per_buyer is not None:
        query[mine] = {"$not": {"$gte": coupon.max_uses_per_buyer}}  # also matches "never used"
    update = {"$inc": {"uses": 1, mine: 1}, "$push": {"held_by": ticket_id}}
    result = await Coupon.get_pymongo_collection().update_one(query, update)
    if result.modified_count == 1:
        return
    now = await Coupon.get(coupon.id)
    if now is None or not now.active:
        raise CouponRefused(key="inactive", code=coupon.code)
    if ticket_id in now.held_by:
        return  # this ticket holds its use already
    per = now.max_uses_per_buyer
    if per is not None and now.by_buyer.get(str(buyer_id), 0) >= per:
        raise CouponRefused(key="buyer_limit", code=coupon.code, count=per)
    raise CouponRefused(key="used_up", code=coupon.code)


async def release(coupon_id: PydanticObjectId, ticket_id: PydanticObjectId, buyer_id: int) -> bool:
    """Give back the use `ticket_id` holds (its ticket was cancelled or expired, or the ticket
    could not take the coupon after all). True if a use was given back; a second call for the
    same ticket changes nothing."""
    result = await Coupon.get_pymongo_collection().update_one(
        {"_id": coupon_id, "held_by": ticket_id},
        {"$inc": {"uses": -1, f"by_buyer.{buyer_id}": -1}, "$pull": {"held_by": ticket_id}},
    )
    return result.modified_count == 1


async def release_orphans() -> int:
    """Give back the uses still held by tickets that closed without keeping them (crash repair,
    run by the sweeper): a ticket cancelled or expired whose process died before `release`, or
    one that closed after a claim whose ticket write never happened. A closed ticket can no
    longer take a coupon, so this never races with `claim`; open tickets are left alone."""
    released = 0
    async for coupon in Coupon.find({"held_by.0": {"$exists": True}}):
        closed = Ticket.get_pymongo_collection().find(
            {"_id": {"$in": coupon.held_by}, "state": TicketState.CLOSED.value},
            {"buyer_id": 1, "outcome": 1, "coupon": 1},
        )
        async for ticket in closed:
            kept = (ticket.get("coupon") or {}).get("coupon_id") == coupon.id
            if kept and ticket.get("outcome") == TicketOutcome.COMPLETED.value:
                continue  # paid and delivered: the use stays used
            released += await release(coupon.id, ticket["_id"], ticket["buyer_id"])
    return released
