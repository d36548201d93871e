"""A Discord role on purchase (issue 20, item 2): given after the delivery, retried while
Discord refuses, taken back when it expires.

The rules, in the shop's words:
  * A product may name a role (and a number of days). When its key reaches the buyer, the
    buyer gets the role; after the days have passed it is taken back. Without days it stays.
  * Discord gives a role only when the bot has Manage Roles and the role sits *below* the
    bot's own highest role (topics/permissions.mdx "Permission Hierarchy"). When it refuses,
    the seller is told once, in their language, what is wrong and how to fix it; the bot tries
    again after 1 minute, 2, 4, … (at most an hour apart) for three days, so a seller who drags
    the bot's role up gets the buyer their role without doing anything else.
  * A ticket closed without its delivery (cancelled) gives no role.

Each grant is one `RoleGrant` whose `due_at` is the next thing to do (see models/role_grant.py):
the sweeper claims due grants with a lease (as `workflows.timers` does for tickets) and the
`settle_role_grant` actor does the work, so waiting days for an expiry survives restarts, and a
message delivered twice finds nothing left to do.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from beanie import PydanticObjectId
from bson.errors import InvalidId
from pymongo import ReturnDocument

from models.product import Product
from models.role_grant import GrantStatus, RoleGrant, RoleProblem
from models.store import utcnow
from models.ticket import Ticket
from workflows import products
from workflows.discord_permissions import Permission, base_permissions
from workflows.errors import StoreError
from workflows.i18n import text

LEASE = timedelta(seconds=30)  # a claimed grant is claimed again after this if nothing happened
# While the delivery is on its way the grant waits; should the worker die before it is told
# the delivery happened, it looks at the ticket itself after this.
DELIVERY_WATCH = timedelta(minutes=5)
RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)
RETRY_FOR = timedelta(days=3)  # then the seller gives it by hand (they were told why)


MAX_DAYS = 3650


async def set_role(
    guild_id: int,
    product_id: PydanticObjectId | str,
    role_id: int | None,
    days: int | None,
    roles: dict[int, str],
) -> Product:
    """The role a product gives (None: none) and for how many days (None: for good). `roles`
    are the server's roles the bot may hand out, by id with their names (the dashboard reads
    them from Discord): a role of another server, or @everyone, is refused. A product's change
    applies to later purchases; roles already given keep their own expiry."""
    product = await products.get_product(guild_id, product_id)
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise StoreError("Role days: 1 to 3650, or empty for good.", key="role_grants_days", most=MAX_DAYS)
    if role_id is not None and (role_id not in roles or role_id == guild_id):
        raise StoreError("That role is not a role of this server.", key="role_grants_unknown_role")
    changes = {
        "role_id": role_id,
        "role_name": roles.get(role_id, "")[:100] if role_id is not None else "",
        "role_days": days if role_id is not None else None,
        "updated_at": utcnow(),
    }
    await Product.get_pymongo_collection().update_one({"_id": product.id}, {"$set": changes})
    return product.model_copy(update=changes)


async def expect(ticket: Ticket) -> RoleGrant | None:
    """Before the delivery is sent: the grant the ticket's product calls for, waiting for the
    delivery (None when the product gives no role). Written once per ticket (a retried
    delivery finds it there)."""
    product = await Product.get(ticket.product.product_id)
    if product is None or product.role_id is None:
        return None
    now = utcnow()
    fields = RoleGrant(
        guild_id=ticket.guild_id,
        ticket_id=ticket.id,
        ticket_number=ticket.number,
        buyer_id=ticket.buyer_id,
        product_name=ticket.product.name,
        role_id=product.role_id,
        role_name=product.role_name,
        days=product.role_days,
        due_at=now + DELIVERY_WATCH,
        created_at=now,
        updated_at=now,
    ).model_dump(exclude={"id", "revision_id"})
    await RoleGrant.get_pymongo_collection().update_one(
        {"ticket_id": ticket.id}, {"$setOnInsert": fields}, upsert=True
    )
    return await RoleGrant.find_one({"ticket_id": ticket.id})


async def delivered(ticket_id: PydanticObjectId) -> RoleGrant | None:
    """The delivery reached the buyer: the caller sends `settle_role_grant` now, and the
    ticket's waiting grant is claimed for it as a sweep would claim it (due again after
    LEASE, should that message be lost), so the sweeper does not send a second one."""
    return await _update(
        {"ticket_id": ticket_id, "status": GrantStatus.WAITING, "attempts": 0},
        {"$set": {"due_at": utcnow() + LEASE, "updated_at": utcnow()}},
    )


async def for_ticket(ticket_id: PydanticObjectId | str) -> RoleGrant | None:
    """The ticket's grant (None: its product gives no role)."""
    return await RoleGrant.find_one({"ticket_id": PydanticObjectId(ticket_id)})


async def get(grant_id: PydanticObjectId | str) -> RoleGrant | None:
    """The grant (None for an id that is none: nothing to settle)."""
    try:
        parsed = PydanticObjectId(grant_id)
    except (InvalidId, TypeError):
        return None
    return await RoleGrant.get(parsed)


async def claim_due(now: datetime | None = None, *, lease: timedelta = LEASE, limit: int = 200) -> list[str]:
    """Ids of grants whose due time has come, each claimed for `lease` (one write stamps the
    batch with this sweep's token; only what carries it is returned, so two sweepers never both
    send one grant)."""
    now = now or utcnow()
    collection = RoleGrant.get_pymongo_collection()
    due = [doc["_id"] async for doc in collection.find({"due_at": {"$lte": now}}, {"_id": 1}, limit=limit)]
    if not due:
        return []
    token = uuid.uuid4().hex
    await collection.update_many(
        {"_id": {"$in": due}, "due_at": {"$lte": now}},
        {"$set": {"due_at": now + lease, "due_claim": token}},
    )
    return [
        str(doc["_id"])
        async for doc in collection.find({"_id": {"$in": due}, "due_claim": token}, {"_id": 1})
    ]


async def wait_for_delivery(grant: RoleGrant) -> None:
    """The delivery has not happened yet (the ticket is still paid): look again later."""
    await _update(
        {"_id": grant.id, "status": GrantStatus.WAITING},
        {"$set": {"due_at": utcnow() + DELIVERY_WATCH, "updated_at": utcnow()}},
    )


async def granted(grant: RoleGrant, now: datetime | None = None) -> RoleGrant | None:
    """Discord gave the role: it is due again when it expires (never, without days)."""
    now = now or utcnow()
    expires = now + timedelta(days=grant.days) if grant.days else None
    return await _update(
        {"_id": grant.id, "status": GrantStatus.WAITING},
        {
            "$set": {
                "status": GrantStatus.GRANTED,
                "granted_at": now,
                "expires_at": expires,
                "due_at": expires,
                "problem": None,
                "problem_detail": "",
                "attempts": 0,
                "first_refused_at": None,
                "updated_at": now,
            }
        },
    )


async def not_yet(grant: RoleGrant) -> None:
    """A stale message for a granted role that has not expired: due at its expiry again."""
    await _update(
        {"_id": grant.id, "status": GrantStatus.GRANTED},
        {"$set": {"due_at": grant.expires_at, "updated_at": utcnow()}},
    )


def backoff(attempts: int) -> timedelta:
    """How long after the `attempts`-th refusal in a row the bot tries again: 1 min, 2, 4, …,
    at most RETRY_MAX."""
    return min(RETRY_FIRST * 2 ** max(attempts - 1, 0), RETRY_MAX)


async def refused(
    grant: RoleGrant,
    problem: RoleProblem,
    detail: str = "",
    now: datetime | None = None,
    bot_role: str = "",
) -> RoleGrant | None:
    """Discord refused to give (or take back) the role: remember why and try again later;
    after RETRY_FOR of refusals a role not yet given is dropped (one to take back is tried
    for as long as it takes: the buyer must not keep it)."""
    now = now or utcnow()
    attempts = grant.attempts + 1
    first = grant.first_refused_at or now
    if grant.status is GrantStatus.WAITING and now - _aware(first) > RETRY_FOR:
        changes: dict[str, Any] = {"status": GrantStatus.DROPPED, "due_at": None}
    else:
        changes = {"due_at": now + backoff(attempts)}
    return await _update(
        {"_id": grant.id, "status": grant.status},
        {
            "$set": {
                **changes,
                "problem": problem,
                "problem_detail": detail[:300],
                "bot_role": bot_role[:100],
                "attempts": attempts,
                "first_refused_at": first,
                "updated_at": now,
            }
        },
    )


async def told(grant: RoleGrant, problem: RoleProblem) -> None:
    """The seller was told about `problem` for this grant: not again on the next retries."""
    await RoleGrant.get_pymongo_collection().update_one({"_id": grant.id}, {"$addToSet": {"told": problem}})


async def removed(grant: RoleGrant, now: datetime | None = None) -> None:
    """The role was taken back (or the buyer, or the role, is no longer there to take it)."""
    now = now or utcnow()
    await _update(
        {"_id": grant.id, "status": GrantStatus.GRANTED},
        {"$set": {"status": GrantStatus.REMOVED, "removed_at": now, "due_at": None, "updated_at": now}},
    )


async def drop(grant: RoleGrant, problem: RoleProblem | None = None) -> None:
    """Never to be given: the ticket closed without delivery, or the role no longer exists."""
    changes: dict[str, Any] = {"status": GrantStatus.DROPPED, "due_at": None, "updated_at": utcnow()}
    if problem is not None:
        changes["problem"] = problem
    await _update({"_id": grant.id, "status": GrantStatus.WAITING}, {"$set": changes})


def diagnose(guild: dict[str, Any], bot_member: dict[str, Any], role_id: int) -> tuple[RoleProblem, str]:
    """Why Discord refused a role with 403 Missing Permissions (50013), from the guild object
    (GET /guilds/{id}: owner and roles with positions) and the bot's member object: the bot
    lacks Manage Roles, or the role is not below the bot's highest role (topics/permissions.mdx
    "Permission Hierarchy"). Also the name of the bot's highest role, for the fix."""
    roles = {str(r["id"]): r for r in guild.get("roles") or []}
    mine = [roles[str(r)] for r in bot_member.get("roles") or [] if str(r) in roles]
    highest = max(mine, key=lambda r: int(r.get("position", 0)), default=None)
    bot_role = str(highest["name"]) if highest else "@everyone"
    role = roles.get(str(role_id))
    if role is None:
        return RoleProblem.ROLE_GONE, bot_role
    if not base_permissions(guild, bot_member) & Permission.MANAGE_ROLES:
        return RoleProblem.NO_MANAGE_ROLES, bot_role
    if int(role.get("position", 0)) >= int(highest.get("position", 0) if highest else 0):
        return RoleProblem.ROLE_TOO_HIGH, bot_role
    return RoleProblem.REFUSED, bot_role


def explain(grant: RoleGrant, problem: RoleProblem, locale: str, bot_role: str = "", detail: str = "") -> str:
    """What the seller reads: which ticket and buyer, why, and the fix, in the store's language."""
    role = grant.role_name or str(grant.role_id)
    why = text(
        locale, f"role_grants.problem.{problem.value}", role=role, bot_role=bot_role, detail=detail[:200]
    )
    return text(
        locale,
        "role_grants.refused",
        number=grant.ticket_number,
        role=role,
        buyer=grant.buyer_id,
        why=why,
    )


def status_text(grant: RoleGrant, locale: str) -> str:
    """One line for the ticket page: the role and where it stands."""
    from workflows.ticket_story import local_time  # beside this module; imports tickets' models only

    role = grant.role_name or str(grant.role_id)
    if grant.status is GrantStatus.GRANTED:
        if grant.expires_at:
            return text(
                locale, "role_grants.status.granted_until", role=role, at=local_time(grant.expires_at, locale)
            )
        return text(locale, "role_grants.status.granted", role=role)
    if grant.status is GrantStatus.REMOVED:
        return text(locale, "role_grants.status.removed", role=role)
    if grant.problem is not None:
        why = text(
            locale,
            f"role_grants.problem.{grant.problem.value}",
            role=role,
            bot_role=grant.bot_role or "bot",
            detail=grant.problem_detail[:200],
        ).replace("**", "")  # Discord's bold, not the dashboard's
        key = (
            "role_grants.status.dropped_refused"
            if grant.status is GrantStatus.DROPPED
            else "role_grants.status.retrying"
        )
        return text(locale, key, role=role, why=why)
    if grant.status is GrantStatus.DROPPED:
        return text(locale, "role_grants.status.dropped", role=role)
    return text(locale, "role_grants.status.waiting", role=role)


async def _update(query: dict[str, Any], update: dict[str, Any]) -> RoleGrant | None:
    doc = await RoleGrant.get_pymongo_collection().find_one_and_update(
        query, update, return_document=ReturnDocument.AFTER
    )
    return RoleGrant.model_validate(doc) if doc else None


def _aware(moment: datetime) -> datetime:
    """A datetime read without tz_aware is naive UTC; compare them as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
