"""The sales funnel: panel clicks → tickets opened → paid → completed, per store and period.

Ticket stages are read from the tickets themselves (`created_at`, `paid_at`, `completed_at`,
`outcome`), the one source of truth, rather than written a second time as events on every
transition; `Event` records what has no ticket, such as a click on the panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from models import batch
from models.event import Event, EventKind
from models.rating import Rating
from models.ticket import Ticket
from models.wallet import EntryKind, WalletEntry


@dataclass(frozen=True)
class Funnel:
    """Counts of one store's funnel over a period, and the revenue of completed sales."""

    panel_clicks: int
    opened: int
    paid: int
    completed: int
    cancelled: int
    expired: int
    revenue: int

    @property
    def conversion(self) -> float:
        """Completed sales per ticket opened (0 when nothing was opened)."""
        return self.completed / self.opened if self.opened else 0.0


async def record_panel_click(guild_id: int, user_id: int, at: datetime) -> None:
    """A buyer pressed Buy or Payment on the panel."""
    # Clicks of a rush share one insert_many: a flash sale is hundreds of them a second.
    await batch.insert(
        Event.get_pymongo_collection(),
        {"guild_id": guild_id, "kind": EventKind.PANEL_CLICK.value, "user_id": user_id, "at": at},
    )


async def funnel(guild_id: int, since: datetime, until: datetime) -> Funnel:
    """Counts for tickets opened in [since, until) and clicks in that period."""
    window = {"$gte": since, "$lt": until}
    clicks = await Event.get_pymongo_collection().count_documents(
        {"guild_id": guild_id, "kind": EventKind.PANEL_CLICK.value, "at": window}
    )
    pipeline = [
        {"$match": {"guild_id": guild_id, "created_at": window}},
        {
            "$group": {
                "_id": None,
                "opened": {"$sum": 1},
                "paid": {"$sum": {"$cond": [{"$ifNull": ["$paid_at", False]}, 1, 0]}},
                "completed": {"$sum": {"$cond": [{"$ifNull": ["$completed_at", False]}, 1, 0]}},
                "cancelled": {"$sum": {"$cond": [{"$eq": ["$outcome", "cancelled"]}, 1, 0]}},
                "expired": {"$sum": {"$cond": [{"$eq": ["$outcome", "expired"]}, 1, 0]}},
                "revenue": {"$sum": {"$cond": [{"$ifNull": ["$completed_at", False]}, "$amount_due", 0]}},
            }
        },
    ]
    rows = await (await Ticket.get_pymongo_collection().aggregate(pipeline)).to_list()
    totals = rows[0] if rows else {}
    return Funnel(
        panel_clicks=clicks,
        opened=totals.get("opened", 0),
        paid=totals.get("paid", 0),
        completed=totals.get("completed", 0),
        cancelled=totals.get("cancelled", 0),
        expired=totals.get("expired", 0),
        revenue=totals.get("revenue", 0),
    )


@dataclass(frozen=True)
class SaldoFigures:
    """Saldo over a period, from the ledger (issue 21, item 5): sales paid from saldo, money
    topped up, money refunded to saldo; amounts in the currency's smallest unit."""

    sales: int = 0
    sales_amount: int = 0
    topups: int = 0
    topup_amount: int = 0
    refund_amount: int = 0


async def saldo_figures(guild_id: int, since: datetime, until: datetime) -> SaldoFigures:
    """Ledger entries made in [since, until), summed by kind. Read from the ledger rather than
    the tickets: a purchase entry is written only when the saldo really paid the ticket."""
    rows = await WalletEntry.get_pymongo_collection().aggregate(
        [
            {"$match": {"guild_id": guild_id, "created_at": {"$gte": since, "$lt": until}}},
            {"$group": {"_id": "$kind", "n": {"$sum": 1}, "amount": {"$sum": "$amount"}}},
        ]
    )
    by_kind = {row["_id"]: (row["n"], abs(row["amount"])) async for row in rows}
    sales, sales_amount = by_kind.get(EntryKind.PURCHASE.value, (0, 0))
    topups, topup_amount = by_kind.get(EntryKind.TOPUP.value, (0, 0))
    return SaldoFigures(
        sales=sales,
        sales_amount=sales_amount,
        topups=topups,
        topup_amount=topup_amount,
        refund_amount=by_kind.get(EntryKind.REFUND.value, (0, 0))[1],
    )


@dataclass(frozen=True)
class Report:
    """Everything the analytics page shows for one period.

    Parameters:
      funnel: the counts from panel clicks to completed sales.
      revenue_per_day: (day "YYYY-MM-DD", revenue of sales completed that day), every day shown.
      top_products: (product name, units sold, revenue), best sellers first.
      avg_verify_s / avg_deliver_s: mean seconds from opening to payment verified, and from
        verification to delivery (None when nothing reached that step).
      rating_average / rating_counts: mean stars and how many ratings gave 1…5 stars.
      saldo: sales paid from saldo, top-ups and refunds to saldo in the period.
    """

    funnel: Funnel
    revenue_per_day: list[tuple[str, int]]
    top_products: list[tuple[str, int, int]]
    avg_verify_s: float | None
    avg_deliver_s: float | None
    rating_average: float | None
    rating_counts: list[int]
    saldo: SaldoFigures = SaldoFigures()


async def report(guild_id: int, since: datetime, until: datetime) -> Report:
    """The analytics of tickets opened (and ratings given) in [since, until)."""
    window = {"$gte": since, "$lt": until}
    tickets = Ticket.get_pymongo_collection()
    completed = {"guild_id": guild_id, "completed_at": window}
    per_day = {
        row["_id"]: row["revenue"]
        async for row in await tickets.aggregate(
            [
                {"$match": completed},
                {
                    "$group": {
                        "_id": {"$dateToString": {"format": "%Y-%m-%d", "date": "$completed_at"}},
                        "revenue": {"$sum": "$amount_due"},
                    }
                },
            ]
        )
    }
    days, day = [], since.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < until and len(days) < 400:
        key = day.strftime("%Y-%m-%d")
        days.append((key, per_day.get(key, 0)))
        day += timedelta(days=1)
    top = [
        (row["name"], row["units"], row["revenue"])
        async for row in await tickets.aggregate(
            [
                {"$match": completed},
                {
                    "$group": {
                        "_id": "$product.product_id",
                        "name": {"$last": "$product.name"},
                        "units": {"$sum": "$quantity"},
                        "revenue": {"$sum": "$amount_due"},
                    }
                },
                {"$sort": {"revenue": -1}},
                {"$limit": 10},
            ]
        )
    ]
    timings = await (
        await tickets.aggregate(
            [
                {"$match": {"guild_id": guild_id, "created_at": window, "paid_at": {"$ne": None}}},
                {
                    "$group": {
                        "_id": None,
                        "verify": {"$avg": {"$subtract": ["$paid_at", "$created_at"]}},
                        "deliver": {"$avg": {"$subtract": ["$completed_at", "$paid_at"]}},
                    }
                },
            ]
        )
    ).to_list()
    counts = [0] * 5
    async for row in await Rating.get_pymongo_collection().aggregate(
        [
            {"$match": {"guild_id": guild_id, "created_at": window}},
            {"$group": {"_id": "$stars", "n": {"$sum": 1}}},
        ]
    ):
        counts[int(row["_id"]) - 1] = row["n"]
    rated = sum(counts)
    timing = timings[0] if timings else {}
    return Report(
        funnel=await funnel(guild_id, since, until),
        revenue_per_day=days,
        top_products=top,
        avg_verify_s=timing["verify"] / 1000 if timing.get("verify") is not None else None,
        avg_deliver_s=timing["deliver"] / 1000 if timing.get("deliver") is not None else None,
        rating_average=sum((i + 1) * n for i, n in enumerate(counts)) / rated if rated else None,
        rating_counts=counts,
        saldo=await saldo_figures(guild_id, since, until),
    )
