"""The sales funnel: panel clicks → tickets opened → paid → completed, per store and period.

Ticket stages are read from the tickets themselves (`created_at`, `paid_at`, `completed_at`,
`outcome`), the one source of truth, rather than written a second time as events on every
transition; `Event` records what has no ticket, such as a click on the panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.event import Event, EventKind
from models.ticket import Ticket


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
    await Event(guild_id=guild_id, kind=EventKind.PANEL_CLICK, user_id=user_id, at=at).insert()


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
