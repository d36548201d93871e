"""What a worker process holds while it runs: database, Discord, cipher, and how to send.

`start` must be awaited on the event loop that will run the actors (pymongo's async client
is bound to the loop it first runs on); the `StoreRuntime` middleware does that on Dramatiq's
event-loop thread after the worker boots.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import dramatiq
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

import models
from models.settings import Settings
from workers.discord import DiscordActions, RecordingDiscord
from workers.discord_budget import RequestBudget
from workers.discord_rest import RestDiscord, point_at
from workers.sender import Sender
from workflows import outbox
from workflows.stock_cipher import StockCipher

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    sender: Sender
    mongo: AsyncMongoClient
    redis: Redis
    discord: DiscordActions
    cipher: StockCipher


_current: Runtime | None = None


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("the worker runtime is not started (StoreRuntime middleware missing?)")
    return _current


def make_discord(settings: Settings, redis: Redis) -> DiscordActions:
    """Discord over REST when a bot token is configured, else the recording stand-in."""
    if settings.discord_token.get_secret_value():
        point_at(settings.discord_api_base_url)
        token = settings.discord_token.get_secret_value()
        return RestDiscord(token, RequestBudget(settings.redis_url or "", token))
    return RecordingDiscord(redis, settings.redis_namespace)


async def start(
    settings: Settings, broker: dramatiq.Broker, discord: DiscordActions | None = None
) -> Runtime:
    """Connect everything on the running loop and make transitions relay through `broker`."""
    global _current
    if not settings.mongodb_url or not settings.redis_url:
        raise RuntimeError("STORE_MONGODB_URL and STORE_REDIS_URL must be set for a worker")
    mongo = await models.connect(settings.mongodb_url, settings.mongodb_database)
    redis = Redis.from_url(settings.redis_url)
    _current = Runtime(
        settings=settings,
        sender=Sender(broker, redis),
        mongo=mongo,
        redis=redis,
        discord=discord or make_discord(settings, redis),
        cipher=StockCipher(settings.stock_encryption_key()),
    )
    outbox.configure(_current.sender.dispatch)
    return _current


async def stop() -> None:
    global _current
    if _current is None:
        return
    outbox.configure(None)
    await _current.discord.close()
    await _current.mongo.close()
    _current = None
