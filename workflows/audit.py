"""The audit log (issue 20, item 6): every seller action that changes the shop or a ticket,
with who did it, when, and what changed (the changed fields, before and after).

Recorded here, at the workflows level: each workflow function that changes something calls
`record(...)` once with the actor it was given, so a change made in Discord (the bot's buttons)
and one made in the dashboard land in the same log. What is never written down: a secret's
value (payment gateway keys, the Moota secret: the log says "changed", not what to) and a stock
item's text (the log counts the items added or removed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from models.audit_entry import AuditEntry, FieldChange
from models.ticket import Actor

# The "what" filter of the dashboard: the first part of an action.
AREAS = ("product", "stock", "payment_method", "settings", "ticket", "coupon", "blacklist", "wallet")
NOBODY = Actor.system("unknown")  # a caller that did not say who (scripts, old call sites)
SHOWN_MAX = 200  # characters of one value kept: enough to recognise a description, not a book
PAGE = 200  # entries the dashboard lists at once, newest first


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, list | tuple | set):
        return ", ".join(str(_shown(v)) for v in value)
    shown = str(value)
    return shown if len(shown) <= SHOWN_MAX else shown[: SHOWN_MAX - 1] + "…"


def _flat(values: Mapping[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    """Nested settings as dotted fields ("tickets.expiry_minutes"), so one changed rule is one
    line, not the whole mapping twice."""
    flat: dict[str, Any] = {}
    for key, value in (values or {}).items():
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, secret: Iterable[str] = ()
) -> list[FieldChange]:
    """The fields that differ between `before` and `after` (either may be None: a creation or a
    removal). A field named in `secret` (or under it: "gateways.") is listed without values."""
    old, new = _flat(before), _flat(after)
    hidden = tuple(secret)
    found: list[FieldChange] = []
    for field in sorted(set(old) | set(new)):
        was, now = old.get(field), new.get(field)
        if (_shown(was) or "") == (_shown(now) or ""):  # nothing and empty text are the same to a seller
            continue
        if any(field == name or field.startswith(f"{name}.") for name in hidden):
            found.append(FieldChange(field=field, secret=True))
        else:
            found.append(FieldChange(field=field, before=_shown(was), after=_shown(now)))
    return found


async def record(
    guild_id: int,
    by: Actor | None,
    action: str,
    *,
    subject: str = "",
    subject_id: object = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    secret: Iterable[str] = (),
    always: bool = False,
) -> AuditEntry | None:
    """Write one entry: `by` did `action` ("product.changed") to `subject`. Nothing is written
    when no field changed (saving an untouched form changes nothing), unless `always` (an act
    with no fields, like verifying a payment or moving a method)."""
    found = changes(before, after, secret)
    if not found and not always:
        return None
    entry = AuditEntry(
        guild_id=guild_id,
        by=by or NOBODY,
        action=action,
        subject=subject[:SHOWN_MAX],
        subject_id=str(subject_id or ""),
        changes=found,
    )
    return await entry.insert()


async def entries(
    guild_id: int,
    *,
    who: int | None = None,
    area: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = PAGE,
) -> list[AuditEntry]:
    """The store's log, newest first: by one person (`who`, a Discord user id), of one area
    ("product", "ticket"…), between two moments (`until` excluded)."""
    query: dict[str, Any] = {"guild_id": guild_id}
    if who is not None:
        query["by.user_id"] = who
    if area:
        query["action"] = {"$regex": f"^{area}\\."} if area in AREAS else "-"
    moments: dict[str, datetime] = {}
    if since is not None:
        moments["$gte"] = since
    if until is not None:
        moments["$lt"] = until
    if moments:
        query["at"] = moments
    return await AuditEntry.find(query).sort([("at", -1), ("_id", -1)]).limit(limit).to_list()


async def people(guild_id: int) -> list[tuple[int, str]]:
    """Who appears in the store's log (for the "who" filter): (Discord user id, latest name)."""
    pipeline = [
        {"$match": {"guild_id": guild_id, "by.user_id": {"$ne": None}}},
        {"$sort": {"at": -1}},
        {"$group": {"_id": "$by.user_id", "name": {"$first": "$by.name"}}},
        {"$sort": {"name": 1}},
    ]
    rows = await AuditEntry.get_pymongo_collection().aggregate(pipeline)
    return [(int(row["_id"]), row.get("name") or str(row["_id"])) async for row in rows]
