"""A Discord role given to a buyer for a purchase (issue 20, item 2), with its own due time.

One per ticket of a product that grants a role. Like a ticket's timer (`workflows.timers`),
the work still to do is a due time in MongoDB (`due_at`), so it survives a restart of every
process: the sweeper claims due grants and sends `settle_role_grant`
(`workflows.role_grants`, `workers.role_grants`). Waiting for the delivery, retrying a grant
Discord refused, and taking the role back when it expires are all that one due time.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.store import utcnow


class GrantStatus(StrEnum):
    WAITING = "waiting"  # the delivery is on its way, or Discord refused the role so far
    GRANTED = "granted"  # the buyer has the role (until `expires_at`, when there is one)
    REMOVED = "removed"  # it expired and was taken back (or the buyer or the role is gone)
    DROPPED = "dropped"  # never given: the ticket closed without delivery, or retrying ran out


class RoleProblem(StrEnum):
    """Why Discord refused, as far as the bot can tell; each has its fix for the seller."""

    ROLE_TOO_HIGH = "role_too_high"  # the role is not below the bot's highest role
    NO_MANAGE_ROLES = "no_manage_roles"  # the bot lacks Manage Roles
    ROLE_GONE = "role_gone"  # the role was deleted
    BUYER_LEFT = "buyer_left"  # the buyer is no member of the server (any more)
    REFUSED = "refused"  # something else Discord said


class RoleGrant(Document):
    """The role `role_id` for the buyer of `ticket_id`, for `days` days (None: for good)."""

    guild_id: int
    ticket_id: PydanticObjectId
    ticket_number: int
    buyer_id: int
    product_name: str
    role_id: int
    role_name: str = ""
    days: int | None = None
    status: GrantStatus = GrantStatus.WAITING
    granted_at: datetime | None = None
    expires_at: datetime | None = None
    removed_at: datetime | None = None
    # The last refusal (None once it worked), and the problems the seller was already told
    # about, so a retry every few minutes does not repeat the same alert.
    problem: RoleProblem | None = None
    problem_detail: str = ""
    bot_role: str = ""  # the bot's highest role when it was refused, named in the fix
    told: list[RoleProblem] = Field(default_factory=list)
    attempts: int = 0  # refusals in a row
    first_refused_at: datetime | None = None
    due_at: datetime | None = None
    due_claim: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "role_grants"
        indexes = [
            IndexModel([("ticket_id", ASCENDING)], unique=True),
            IndexModel([("due_at", ASCENDING)], sparse=True),
            IndexModel([("guild_id", ASCENDING), ("created_at", ASCENDING)]),
        ]
