""" "Send again" on a delivered order in /orders: the order goes again to its buyer's DMs.

Only the buyer who bought it: the custom id carries the ticket, and `workflows.orders`
refuses anyone else (a forged or copied id included) before anything is queued. A buyer may
ask RESENDS_PER_HOUR times an hour in a store, counted in Redis with `limits` (as the
Discord request budget is, `workers.discord_budget`), so every bot process shares the count.
"""

from __future__ import annotations

import logging
import math
import time

import discord
from limits import RateLimitItemPerHour
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from bot import replies
from bot.people import as_buyer
from models.store import Store
from workflows import orders
from workflows.i18n import text

log = logging.getLogger(__name__)

RESENDS_PER_HOUR = 3
RESENDS = RateLimitItemPerHour(RESENDS_PER_HOUR)

_limiter = MovingWindowRateLimiter(MemoryStorage())  # until `configure` (a bot without Redis)


def configure(redis_url: str, namespace: str) -> None:
    """Count re-sends in the store's Redis, under this deployment's namespace."""
    global _limiter
    storage: Storage = RedisStorage(
        "async+redis://",
        implementation="redispy",
        connection_pool=Redis.from_url(redis_url).connection_pool,
        key_prefix=f"{namespace}:resend",
    )
    _limiter = MovingWindowRateLimiter(storage)


async def on_resend(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    """resend:<ticket>: check who asks, count the request, queue the re-send, say so."""
    await replies.ack(interaction)
    assert interaction.user is not None
    buyer = interaction.user.id
    try:
        ticket = await orders.resendable(ticket_id, store.guild_id, buyer)
        if not await _limiter.hit(RESENDS, str(store.guild_id), str(buyer)):
            stats = await _limiter.get_window_stats(RESENDS, str(store.guild_id), str(buyer))
            minutes = max(1, math.ceil((stats.reset_time - time.time()) / 60))
            raise orders.ResendRefused(key="too_often", count=RESENDS_PER_HOUR, minutes=minutes)
        await orders.resend(ticket, as_buyer(interaction.user))
    except orders.ResendRefused as refused:
        log.info("re-send of ticket %s for %s refused: %s", ticket_id, buyer, refused.key)
        await replies.say(interaction, refused.in_locale(store.locale))
        return
    log.info("re-send of ticket %s (#%s) queued for its buyer %s", ticket.id, ticket.number, buyer)
    await replies.say(interaction, text(store.locale, "orders.resend_queued", number=ticket.number))
