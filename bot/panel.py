"""Posting and refreshing the live product panel (the dashboard asks for it through the store:
setting `panel.channel_id` is picked up by `bot.refresh`)."""

from __future__ import annotations

import discord

from models.store import Store
from workflows.panel import product_lines, render


class PanelChannelOutsideStore(ValueError):
    """The panel channel in a store's settings is not one of the store's own server."""


async def publish(bot: discord.Bot, store: Store) -> int:
    """Post the panel in the store's panel channel, or edit it in place; returns its id."""
    if store.panel.channel_id is None:
        raise ValueError("the store has no panel channel")
    channel = bot.get_channel(store.panel.channel_id) or await bot.fetch_channel(store.panel.channel_id)
    guild = getattr(channel, "guild", None)
    if guild is None or guild.id != store.guild_id:
        # Checked again when used, not only when saved: a store's panel goes to its own server.
        raise PanelChannelOutsideStore(f"channel {channel.id} is not a channel of server {store.guild_id}")
    message = render(store, await product_lines(store))
    route = bot.http
    if store.panel.message_id:
        try:
            await route.edit_message(channel.id, store.panel.message_id, **message)
            return store.panel.message_id
        except discord.NotFound:
            pass  # deleted by someone: post it again
    posted = await route.send_message(channel.id, None, **message)
    message_id = int(posted["id"])
    await Store.get_pymongo_collection().update_one(
        {"_id": store.id}, {"$set": {"panel.message_id": message_id}}
    )
    return message_id
