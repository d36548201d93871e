"""Who may run which store from the dashboard, checked on the server for every page and action.

A seller may manage a guild when Discord said (at login) they are its owner, an administrator
or have Manage Server there, or they hold one of the store's seller roles; and the bot is in it
(the store exists). Anything else is refused and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx

from models.dashboard_session import DashboardSession, GuildMembership
from models.settings import get_settings
from models.store import Store, utcnow
from web import discord_api
from web import session as sessions

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ROLES_FRESH_FOR = timedelta(minutes=5)  # a seller role removed in Discord stops working by then


class Refused(Exception):
    """The request is not allowed; the message says why, for the seller to read."""


@dataclass(frozen=True)
class SellerAccess:
    """A checked request: this session may run this store."""

    session: DashboardSession
    store: Store

    @property
    def guild_id(self) -> int:
        return self.store.guild_id


def may_manage(guild: GuildMembership, store: Store | None) -> bool:
    if store is None:
        return False
    if guild.owner or guild.permissions & (ADMINISTRATOR | MANAGE_GUILD):
        return True
    return bool(set(guild.role_ids) & set(store.tickets.seller_role_ids))


async def logged_in(cookie_header: str | None) -> DashboardSession:
    found = await sessions.find(sessions.cookie_from_header(cookie_header))
    if found is None:
        raise Refused("please log in with Discord")
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
        raise Refused("no such store") from None
    membership = next((g for g in session.guilds if g.id == gid), None)
    store = await Store.find_one(Store.guild_id == gid)
    if membership is not None and store is not None:
        await _refresh_roles(session, membership, store)
    if membership is None or store is None or not may_manage(membership, store):
        raise Refused("you cannot manage this store: ask its owner for Manage Server or a seller role")
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
            raise Refused("only the store's operators can see the worker queues")
        return session
    if not any(may_manage(g, s) for g, s in await manageable(session)):
        raise Refused("only the store's operators can see the worker queues")
    return session
