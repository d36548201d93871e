"""Stock alerts (issue 20, item 4): a product's low-stock threshold for the sellers, and the
buyers waiting for a sold-out product to come back ("Kabari saya")."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.store import utcnow


class StockWatch(Document):
    """A product's low-stock alert.

    Parameters:
      threshold: the sellers are told in the log channel when the units on sale drop to this
        many or fewer.
      below: the stock is at or under the threshold now; set by the one change that crossed
        it (a conditional update), cleared when the stock is back above, so one crossing
        makes one alert.
      alert_due: an alert to post (the worker's sweeper posts it and clears this);
        `alert_available` is the count it reports, `alert_nonce` the message's nonce, so a
        post retried after a crash appears once.
    """

    guild_id: int
    product_id: PydanticObjectId
    threshold: int = Field(ge=0, le=1_000_000)
    below: bool = False
    alert_due: bool = False
    alert_available: int = 0
    alert_nonce: str = ""
    claimed_at: datetime | None = None

    class Settings:
        name = "stock_watches"
        indexes = [
            IndexModel([("product_id", ASCENDING)], unique=True),
            IndexModel([("alert_due", ASCENDING)], partialFilterExpression={"alert_due": True}),
        ]


class WaitState(StrEnum):
    WAITING = "waiting"  # on the list, in the order they asked
    CALLED = "called"  # stock came back for them: their DM is to be sent
    TOLD = "told"  # the DM went out (or their DMs are closed): done, once


class RestockWait(Document):
    """A buyer who pressed "Notify me" on a sold-out product.

    Parameters:
      open: True while waiting or called; a buyer has at most one open wait per product
        (a unique index on open waits), so pressing twice keeps one place in the line.
      called_at: when stock came back for them; a called buyer holds their unit in the count
        of buyers already told for a while (`workflows.stock_alerts.CALLED_HOLDS`).
    """

    guild_id: int
    product_id: PydanticObjectId
    user_id: int
    state: WaitState = WaitState.WAITING
    open: bool = True
    asked_at: datetime = Field(default_factory=utcnow)
    called_at: datetime | None = None
    told_at: datetime | None = None
    claimed_at: datetime | None = None

    class Settings:
        name = "restock_waits"
        indexes = [
            IndexModel(
                [("product_id", ASCENDING), ("user_id", ASCENDING)],
                unique=True,
                partialFilterExpression={"open": True},
            ),
            IndexModel([("product_id", ASCENDING), ("state", ASCENDING), ("asked_at", ASCENDING)]),
            IndexModel([("state", ASCENDING)], partialFilterExpression={"state": "called"}),
        ]
