"""Keeps every store's panel current.

Change-driven: a MongoDB change stream on products, stock items, stores and ratings marks the
store's panel dirty, and the panel is re-rendered at once (a stock or price change shows
within ~1 s). Periodic: every store is also re-checked at its own interval (5 s by default,
as the seed asks). A pass reads only the stores that are dirty or due, so a bot in many
guilds does not read every store twice a second. Either way the message is edited only when
what buyers would see changed, at most once a second per panel (Discord allows 5 edits per
5 s per channel), and a panel message someone deleted is posted again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time

import discord

from bot.panel import PanelChannelOutsideStore, product_lines, publish
from models.product import Product
from models.store import Store
from workers.discord_budget import low_priority
from workflows.panel import render

log = logging.getLogger(__name__)

MIN_EDIT_GAP_S = 1.0
SURVEY_EVERY_S = 60.0
WATCHED = ["products", "stock_items", "stores", "ratings"]


def owns(bot: discord.Bot, guild_id: int) -> bool:
    """Whether this bot process runs the shard of `guild_id` (always, when not sharded): each
    process refreshes the panels of its own guilds only, as it gets only their events
    (events/gateway.mdx "Sharding": shard_id = (guild_id >> 22) % num_shards)."""
    count, ids = getattr(bot, "shard_count", None), getattr(bot, "shard_ids", None)
    if not count or ids is None:
        return True
    return (guild_id >> 22) % count in ids


class PanelRefresher:
    """Parameters:
    bot: the running bot.
    """

    def __init__(self, bot: discord.Bot) -> None:
        self.bot = bot
        self.shown: dict[int, str] = {}
        self.due_at: dict[int, float] = {}  # guild → when its periodic check is due (monotonic)
        self.surveyed = float("-inf")  # when every store with a panel was last read
        self.edited: dict[int, float] = {}
        self.dirty: set[int] = set()
        self.all_dirty = True
        self.wake = asyncio.Event()
        self.deleted: set[int] = set()

    def mark(self, guild_id: int | None) -> None:
        """Something a panel shows changed (None: do not know which store)."""
        if guild_id is None:
            self.all_dirty = True
        else:
            self.dirty.add(guild_id)
        self.wake.set()

    async def check(self, store: Store) -> bool:
        """Publish the store's panel if it is new, changed or deleted; True when it posted or edited."""
        if store.panel.message_id in self.deleted:
            await Store.get_pymongo_collection().update_one(
                {"_id": store.id, "panel.message_id": store.panel.message_id},
                {"$set": {"panel.message_id": None}},
            )
            store.panel.message_id = None
        rendered = render(store, await product_lines(store))
        digest = hashlib.sha256(json.dumps(rendered, sort_keys=True, default=str).encode()).hexdigest()
        if store.panel.message_id and self.shown.get(store.guild_id) == digest:
            return False
        with low_priority():  # a buyer's ticket and delivery go before a panel's new stock count
            await publish(self.bot, store)
        self.shown[store.guild_id] = digest
        self.edited[store.guild_id] = time.monotonic()
        return True

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        # Remembered rather than looked up: the delete can arrive before our own post of that
        # panel has been recorded; the next pass re-posts it either way.
        self.deleted.add(payload.message_id)
        if payload.guild_id:
            self.mark(payload.guild_id)

    async def watch_changes(self) -> None:
        """Mark panels dirty from the database's change stream (resumes after errors)."""
        database = Product.get_pymongo_collection().database
        pipeline = [{"$match": {"ns.coll": {"$in": WATCHED}}}]
        while True:
            try:
                async with await database.watch(pipeline, full_document="updateLookup") as changes:
                    async for change in changes:
                        self.mark((change.get("fullDocument") or {}).get("guild_id"))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("change stream interrupted; the periodic check covers meanwhile")
                self.mark(None)
                await asyncio.sleep(1)

    async def run_forever(self) -> None:
        watcher = asyncio.create_task(self.watch_changes())
        try:
            while True:
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=0.5)
                except TimeoutError:
                    pass
                self.wake.clear()
                try:
                    await self._pass()
                except Exception:
                    log.exception("panel refresh failed")
        finally:
            watcher.cancel()

    async def _pass(self) -> None:
        """Check the stores whose panel is dirty or due, reading only those; every
        `SURVEY_EVERY_S` (and after the change stream broke) read them all, to find panels
        nobody announced."""
        now = time.monotonic()
        everything, self.all_dirty = self.all_dirty, False
        query: dict[str, object] = {"panel.channel_id": {"$ne": None}}
        if everything or now - self.surveyed >= SURVEY_EVERY_S:
            self.surveyed = now
            looked_for = self.dirty | set(self.due_at)
        else:
            looked_for = self.dirty | {gid for gid, at in self.due_at.items() if at <= now}
            if not looked_for:
                return
            query["guild_id"] = {"$in": sorted(looked_for)}
        seen: set[int] = set()
        async for store in Store.find(query):
            gid = store.guild_id
            if not owns(self.bot, gid):
                continue  # another bot process's shard
            seen.add(gid)
            due = self.due_at.get(gid, now) <= now  # a store not seen before is due
            if not (everything or gid in self.dirty or due):
                continue
            if now - self.edited.get(gid, 0) < MIN_EDIT_GAP_S:
                self.dirty.add(gid)  # too soon after the last edit: try again shortly
                continue
            self.dirty.discard(gid)
            self.due_at[gid] = now + store.panel.refresh_s
            try:
                await self.check(store)
            except PanelChannelOutsideStore as refused:
                log.warning("store %s: panel not posted: %s", gid, refused)
            except Exception:  # one store's broken panel must not stop every other store's
                log.exception("store %s: panel refresh failed", gid)
        for gid in looked_for - seen:  # no store or no panel (any more): nothing to keep current
            self.dirty.discard(gid)
            self.due_at.pop(gid, None)
