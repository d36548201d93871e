"""Creating a ticket's private channel: buyer, seller roles and the bot only, in the store's
ticket category (the next one when a category holds Discord's 50 channels)."""

from __future__ import annotations

import discord

from models.store import Store
from workflows.ticket_channel import channel_name

CATEGORY_LIMIT = 50


async def _category(guild: discord.Guild, store: Store) -> discord.CategoryChannel | None:
    for category_id in store.tickets.category_ids:
        category = guild.get_channel(category_id)
        if isinstance(category, discord.CategoryChannel) and len(category.channels) < CATEGORY_LIMIT:
            return category
    if not store.tickets.category_ids:
        return None
    # Every configured category is full: open another one and remember it.
    category = await guild.create_category(f"tickets-{len(store.tickets.category_ids) + 1}")
    await Store.get_pymongo_collection().update_one(
        {"_id": store.id}, {"$push": {"tickets.category_ids": category.id}}
    )
    return category


async def create(
    guild: discord.Guild, store: Store, buyer: discord.abc.User, product: str
) -> discord.TextChannel:
    """The private channel for a new ticket."""
    allow = discord.PermissionOverwrite(
        view_channel=True, send_messages=True, attach_files=True, read_message_history=True
    )
    overwrites: dict[discord.abc.Snowflake, discord.PermissionOverwrite] = {
        guild.default_role: discord.PermissionOverwrite(view_channel=False),
        discord.Object(buyer.id): allow,
        guild.me: discord.PermissionOverwrite(view_channel=True, send_messages=True, manage_channels=True),
    }
    for role_id in store.tickets.seller_role_ids:
        role = guild.get_role(role_id)
        if role is not None:
            overwrites[role] = allow
    return await guild.create_text_channel(
        channel_name(buyer.name, product), category=await _category(guild, store), overwrites=overwrites
    )
