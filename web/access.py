"""Who may run which store from the dashboard, checked on the server for every page and action.

A seller may manage a guild when Discord said (at login) they are its owner, an administrator
or have Manage Server there, or they hold one of the store's seller roles; and the bot is in it
(the store exists). Anything else is refused and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import httpx

from models.dashboard_session import DashboardSession, GuildMembership
from models.settings import get_settings
from models.store import Store, utcnow
from models.ticket import Actor
from web import discord_api
from web import session as sessions

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ROLES_FRESH_FOR = timedelta(minutes=5)  # a seller role removed in Discord stops working by then


class Why(StrEnum):
    """Why a request is refused; each has its sentence under `access.` in web/locales/."""

    LOG_IN = "log_in"  # no session: the page sends the browser to /login
    NO_STORE = "no_store"
    NOT_SELLER = "not_seller"
    NOT_OPERATOR = "not_operator"
    OTHER_STORE = "other_store"  # a ticket, product or method of another store's address
    NOT_FOUND = "not_found"  # an address naming something that does not exist


_ENGLISH = {
    Why.LOG_IN: "please log in with Discord",
    Why.NO_STORE: "no such store",
    Why.NOT_SELLER: "you cannot manage this store: ask its owner for Manage Server or a seller role",
    Why.NOT_OPERATOR: "only the store's operators can see the worker queues",
    Why.OTHER_STORE: "this belongs to another store",
    Why.NOT_FOUND: "there is nothing at this address",
}


class Refused(Exception):
    """The request is not allowed; `why` says why (str(refused) in English, for logs)."""

    def __init__(self, why: Why) -> None:
        self.why = why
        super().__init__(_ENGLISH[why])


@dataclass(frozen=True)
class SellerAccess:
    """A checked request: this session may run this store."""

    session: DashboardSession
    store: Store

    @property
    def guild_id(self) -> int:
        return self.store.guild_id

    @property
    def actor(self) -> Actor:
        """The logged-in seller, as the workflows record who changed what (the audit log)."""
        return Actor(kind="seller", user_id=self.session.user_id, name=self.session.username)


def may_manage(guild: GuildMembership, store: Store | None) -> bool:
    if store is None:
        return False
    if guild.owner or guild.permissions & (ADMINISTRATOR | MANAGE_GUILD):
        return True
    return bool(set(guild.role_ids) & set(store.tickets.seller_role_ids))


async def logged_in(cookie_header: str | None) -> DashboardSession:
    found = await sessions.find(sessions.cookie_from_header(cookie_header))
    if found is None:
        raise Refused(Why.LOG_IN)
    return found


async def manageable(session: DashboardSession) -> list[tuple[GuildMembership, Store | None]]:
    """The session's guilds with their store (None where the bot is not in the guild)."""
    stores = {s.guild_id: s async for s in Store.find({"guild_id": {"$in": [g.id for g in session.guilds]}})}
    return [(g, stores.get(g.id)) for g in session.guilds]


async def check(cookie_header: str | None, guild_id: int | str | None) -> SellerAccess:
    """The seller's access to `guild_id`, or Refused."""
    session = await logged_in(cookie_header)
    try:
        gid = int(str(guild_id))
    except ValueError:
        raise Refused(Why.NO_STORE) from None
    membership = next((g for g in session.guilds if g.id == gid), None)
    store = await Store.find_one(Store.guild_id == gid)
    if membership is not None and store is not None:
        await _refresh_roles(session, membership, store)
    if membership is None or store is None or not may_manage(membership, store):
        raise Refused(Why.NOT_SELLER)
    return SellerAccess(session, store)


async def _refresh_roles(session: DashboardSession, membership: GuildMembership, store: Store) -> None:
    """Seller roles are re-read with the bot's token when older than ROLES_FRESH_FOR (owners and
    Manage Server holders need no roles)."""
    if membership.owner or membership.permissions & (ADMINISTRATOR | MANAGE_GUILD):
        return
    if not store.tickets.seller_role_ids:
        return
    if membership.roles_read_at and utcnow() - membership.roles_read_at < ROLES_FRESH_FOR:
        return
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            membership.role_ids = await discord_api.member_roles(http, membership.id, session.user_id)
    except httpx.HTTPError:
        return  # Discord unreachable: keep what we knew
    membership.roles_read_at = utcnow()
    await DashboardSession.get_pymongo_collection().update_one(
        {"_id": session.id, "guilds.id": membership.id},
        {
            "$set": {
                "guilds.$.role_ids": membership.role_ids,
                "guilds.$.roles_read_at": membership.roles_read_at,
            }
        },
    )


async def check_operator(cookie_header: str | None) -> DashboardSession:
    """Operators see the worker queues: `STORE_OPERATOR_IDS`, or any seller when it is empty."""
    session = await logged_in(cookie_header)
    operators = {int(x) for x in get_settings().operator_ids.replace(" ", "").split(",") if x}
    if operators:
        if session.user_id not in operators:
            raise Refused(Why.NOT_OPERATOR)
        return session
    if not any(may_manage(g, s) for g, s in await manageable(session)):
        raise Refused(Why.NOT_OPERATOR)
    return session
