"""Who is acting: the buyer of a ticket, or a seller (a seller role, Manage Server, or admin)."""

from __future__ import annotations

import discord

from models.store import Store
from models.ticket import Actor


def is_seller(member: discord.Member | discord.User, store: Store) -> bool:
    if not isinstance(member, discord.Member):
        return False
    perms = member.guild_permissions
    if perms.administrator or perms.manage_guild:
        return True
    return any(role.id in store.tickets.seller_role_ids for role in member.roles)


def as_buyer(user: discord.Member | discord.User) -> Actor:
    """The person as a buyer, whatever their roles (a seller may buy, and rates as a buyer)."""
    return Actor(kind="buyer", user_id=user.id, name=user.name)


def actor(user: discord.Member | discord.User, store: Store) -> Actor:
    kind = "seller" if is_seller(user, store) else "buyer"
    return Actor(kind=kind, user_id=user.id, name=user.name)
