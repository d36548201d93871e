"""Keeps every store's panel current: re-rendered at the store's interval, edited only when
what buyers would see changed (Discord allows 5 edits per 5 s per channel)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time

import discord

from bot.panel import product_lines, publish
from models.store import Store
from workflows.panel import render

log = logging.getLogger(__name__)


class PanelRefresher:
    """Parameters:
    bot: the running bot.
    """

    def __init__(self, bot: discord.Bot) -> None:
        self.bot = bot
        self.shown: dict[int, str] = {}
        self.checked: dict[int, float] = {}

    async def check(self, store: Store) -> bool:
        """Publish the store's panel if it is new or changed; True when it edited or posted."""
        rendered = render(store, await product_lines(store))
        digest = hashlib.sha256(json.dumps(rendered, sort_keys=True, default=str).encode()).hexdigest()
        if store.panel.message_id and self.shown.get(store.guild_id) == digest:
            return False
        await publish(self.bot, store)
        self.shown[store.guild_id] = digest
        return True

    async def run_forever(self) -> None:
        while True:
            try:
                now = time.monotonic()
                async for store in Store.find({"panel.channel_id": {"$ne": None}}):
                    if now - self.checked.get(store.guild_id, 0) >= store.panel.refresh_s:
                        self.checked[store.guild_id] = now
                        await self.check(store)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("panel refresh failed")
            await asyncio.sleep(0.5)
