"""Who may run which store from the dashboard, checked on the server for every page and action.

A seller may manage a guild when Discord said (at login) they are its owner, an administrator
or have Manage Server there, or they hold one of the store's seller roles; and the bot is in it
(the store exists). Anything else is refused and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.dashboard_session import DashboardSession, GuildMembership
from models.settings import get_settings
from models.store import Store
from web import session as sessions

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5


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
    if membership is None or store is None or not may_manage(membership, store):
        raise Refused("you cannot manage this store: ask its owner for Manage Server or a seller role")
    return SellerAccess(session, store)


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
