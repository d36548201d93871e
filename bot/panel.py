"""Posting and refreshing the live product panel (the dashboard will call `publish` too)."""

from __future__ import annotations

import discord

from models.product import DeliveryMode, Product
from models.rating import Rating
from models.stock_item import StockItem, StockItemStatus
from models.store import Store
from workflows.panel import ProductLine, render


async def product_lines(store: Store) -> list[ProductLine]:
    """Active products with their stock, in the panel's order."""
    products = (
        await Product.find({"guild_id": store.guild_id, "active": True})
        .sort("sort_order", "created_at")
        .to_list()
    )
    counts = {
        row["_id"]: row["n"]
        async for row in await StockItem.get_pymongo_collection().aggregate(
            [
                {"$match": {"guild_id": store.guild_id, "status": StockItemStatus.AVAILABLE.value}},
                {"$group": {"_id": "$product_id", "n": {"$sum": 1}}},
            ]
        )
    }
    ratings = {
        row["_id"]: row["avg"]
        async for row in await Rating.get_pymongo_collection().aggregate(
            [
                {"$match": {"guild_id": store.guild_id}},
                {"$group": {"_id": "$product_id", "avg": {"$avg": "$stars"}}},
            ]
        )
    }
    return [
        ProductLine(
            p, p.stock if p.delivery_mode is DeliveryMode.MANUAL else counts.get(p.id, 0), ratings.get(p.id)
        )
        for p in products
    ]


async def publish(bot: discord.Bot, store: Store) -> int:
    """Post the panel in the store's panel channel, or edit it in place; returns its id."""
    if store.panel.channel_id is None:
        raise ValueError("the store has no panel channel")
    channel = bot.get_channel(store.panel.channel_id) or await bot.fetch_channel(store.panel.channel_id)
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
