"""`python -m bot`: the store's py-cord bot process.

It connects Beanie on its own event loop, relays transitions' follow-ups to the worker queues,
routes every component interaction by custom_id (`bot.router`), and keeps panels current.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import discord
from redis.asyncio import Redis as AsyncRedis

import models
from bot.buttons import resend
from bot.commands import orders as orders_command
from bot.commands import panel as panel_command
from bot.commands import saldo as saldo_command
from bot.commands import setup_check as setup_check_command
from bot.commands import topup as topup_command
from bot.listeners import TranscriptLog
from bot.refresh import PanelRefresher
from bot.router import on_interaction
from models.settings import SettingsError, load_settings
from workers.discord_budget import RequestBudget, share_budget
from workers.discord_rest import point_at
from workers.sender import Sender
from workflows import outbox

log = logging.getLogger("bot")


def build(
    data_dir: Path, shards: tuple[int, list[int]] | None = None, guild_ready_timeout_s: float = 2.0
) -> discord.Bot:
    """The bot with its handlers. `shards`: (shards in all, the ones this process runs), from
    `Settings.shard_plan`; each process then gets only its shards' guilds' events (Discord
    sends a guild's events to shard `(guild_id >> 22) % shards`, events/gateway.mdx
    "Sharding"), so several bot processes split the guilds between them."""
    intents = discord.Intents.default()
    intents.message_content = True
    if shards is None:
        bot: discord.Bot = discord.Bot(intents=intents, guild_ready_timeout=guild_ready_timeout_s)
    else:
        count, ids = shards
        bot = discord.AutoShardedBot(
            intents=intents, shard_count=count, shard_ids=ids, guild_ready_timeout=guild_ready_timeout_s
        )
    bot.add_listener(on_interaction, "on_interaction")
    panel_command.register(bot)
    setup_check_command.register(bot)
    orders_command.register(bot)
    saldo_command.register(bot)
    topup_command.register(bot)
    transcript = TranscriptLog(data_dir)
    bot.add_listener(transcript.on_message, "on_message")
    bot.add_listener(transcript.on_raw_message_edit, "on_raw_message_edit")
    bot.add_listener(transcript.on_raw_message_delete, "on_raw_message_delete")
    return bot


async def run() -> None:
    settings = load_settings()
    token = settings.discord_token.get_secret_value()
    if not token:
        raise SettingsError("STORE_DISCORD_TOKEN: the bot needs a token (or run the sandbox demo)")
    point_at(settings.discord_api_base_url)
    client = await models.connect(settings.mongodb_url or "", settings.mongodb_database)
    # Relayed through an asyncio Redis client: a rush of Buy clicks relays a ticket opening each,
    # and blocking enqueues would delay the 3 s acknowledgements of the clicks behind them.
    plain = Sender.for_redis(settings.redis_url or "", settings.redis_namespace)
    outbox.configure(Sender(plain.broker, AsyncRedis.from_url(settings.redis_url or "")).dispatch)
    bot = build(settings.data_dir, settings.shard_plan(), settings.guild_ready_timeout_s)
    if settings.redis_url:  # re-sends per buyer counted where every bot process sees them
        resend.configure(settings.redis_url, settings.redis_namespace)
    # The bot's REST calls draw on the budget its token shares with the workers and the dashboard.
    budget = RequestBudget(settings.redis_url, token) if settings.redis_url else None
    if budget is not None:
        share_budget(bot.http, budget)
    refresher = PanelRefresher(bot)
    bot.add_listener(refresher.on_raw_message_delete, "on_raw_message_delete")

    async def on_ready() -> None:
        shards = getattr(bot, "shard_ids", None)
        log.info("bot ready as %s in %d guilds (shards %s)", bot.user, len(bot.guilds), shards or "all")
        if not hasattr(bot, "_refresh_task"):
            bot._refresh_task = asyncio.create_task(refresher.run_forever())  # type: ignore[attr-defined]

    bot.add_listener(on_ready, "on_ready")
    try:
        await bot.start(token)
    finally:
        if budget is not None:
            await budget.close()
        await client.close()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        asyncio.run(run())
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0
