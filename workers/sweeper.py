"""The sweeper: turns due times in MongoDB into actor messages, and repairs after crashes.

Every `interval` it relays outbox entries a dead process left behind, or that could not reach
the queues when their transition was made, and sends the work of tickets whose timer is due;
every minute it releases reservations and buyer slots held by tickets that were never written
or have closed. Every step is a guarded update, so several
sweepers (one per worker process) can run at once without doing anything twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time

from redis.exceptions import RedisError

from workers import saldo_notices
from workers import stock_alerts as stock_alert_sender
from workers.runtime import Runtime
from workflows import coupons, outbox, role_grants, stock, timers
from workflows.actor_names import ActorName

log = logging.getLogger(__name__)

REPAIR_EVERY_S = 60.0


def workers_key(namespace: str) -> str:
    """Sorted set of live worker processes (`host:pid`), scored by their last beat in ms."""
    return f"{namespace}:__store_workers__"


async def beat(runtime: Runtime) -> None:
    """Announce this worker process as alive (the ops view counts these)."""
    member = f"{socket.gethostname()}:{os.getpid()}"
    await runtime.redis.zadd(workers_key(runtime.settings.redis_namespace), {member: int(time.time() * 1000)})


async def sweep_once(runtime: Runtime) -> int:
    """One pass: stale outboxes, then due timers. Returns how many messages were sent."""
    sent = await outbox.relay_stale()
    due = await timers.claim_due()
    await asyncio.gather(*(runtime.sender.relay(w.action, ticket_id=str(w.ticket_id)) for w in due))
    sent += len(due)
    grants = await role_grants.claim_due()  # roles on purchase: to give, retry or take back
    await asyncio.gather(*(runtime.sender.relay(ActorName.SETTLE_ROLE_GRANT, grant_id=g) for g in grants))
    sent += len(grants)
    await stock.settle_deliveries()
    try:
        sent += await stock_alert_sender.send_due(runtime)
    except Exception:  # a Discord outage: claimed messages are sent again after their lease
        log.exception("stock alerts: a pass failed; retried on a later pass")
    try:
        sent += await saldo_notices.send_due(runtime)
    except Exception:  # a Discord outage: the top-ups stay untold and are told on a later pass
        log.exception("saldo notices: a pass failed; retried on a later pass")
    return sent


async def repair_once() -> int:
    """Release stock that crashed ticket openings and closings left reserved, and coupon uses
    they left held (buyer slots repair themselves: see `workflows.buyers.prune_closed`)."""
    return await stock.release_orphans() + await coupons.release_orphans()


async def run_forever(runtime: Runtime, interval: float) -> None:
    """Sweep until cancelled; a failed pass is logged and the next one tries again.

    The beat goes first and doubles as the check that the broker's Redis answers: while it
    does not, no pass runs (nothing would reach the queues), and the outage is logged once,
    not every `interval`. The first pass after it relays what transitions could not
    (`outbox.UNSENT`)."""
    last_repair = 0.0
    redis_away = False
    fingerprinted = False  # stock items saved before fingerprints: given one on the first pass
    while True:
        try:
            try:
                await beat(runtime)
            except RedisError as error:
                if not redis_away:
                    log.warning("Redis unreachable (%s); sweeping resumes when it answers", error)
                redis_away = True
                await asyncio.sleep(interval)
                continue
            if redis_away:
                log.info("Redis answers again; relaying what waited")
                redis_away = False
            sent = await sweep_once(runtime)
            if sent:
                log.info("sweeper sent %d messages", sent)
            if time.monotonic() - last_repair >= REPAIR_EVERY_S:
                last_repair = time.monotonic()
                if not fingerprinted:  # once per start (every product; `stock.backfill`)
                    await stock.backfill(runtime.cipher)
                    fingerprinted = True
                repaired = await repair_once()
                if repaired:
                    log.warning("sweeper released %d orphaned reservations/slots", repaired)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sweep failed; retrying in %.1f s", interval)
        await asyncio.sleep(interval)


async def _run_alone() -> None:
    from models.settings import load_settings
    from workers import runtime as runtimes
    from workers.sender import Sender

    settings = load_settings()
    sender = Sender.for_redis(settings.redis_url or "", settings.redis_namespace)
    started = await runtimes.start(settings, sender.broker)
    log.info("sweeper running alone every %.1f s", settings.sweep_interval_s)
    try:
        await run_forever(started, settings.sweep_interval_s)
    finally:
        await runtimes.stop()


if __name__ == "__main__":  # `python -m workers.sweeper`: a sweeper without workers
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(_run_alone())
    except KeyboardInterrupt:
        pass
