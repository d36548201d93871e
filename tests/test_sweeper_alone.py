"""`./store sweeper` (python -m workers.sweeper): timers fire without any worker running, for
installs that dedicate worker machines to queues."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from redis import Redis

from models.store import utcnow
from models.ticket import Ticket
from tests.conftest import GUILD, ROOT, worker_env
from tests.helpers import buyer, manual_product
from tests.waiting import eventually
from workers import ops
from workflows import tickets


def _start(env, log):
    return subprocess.Popen(
        [sys.executable, "-m", "workers.sweeper"], cwd=ROOT, env=env, stdout=log, stderr=log
    )


async def test_a_sweeper_alone_sends_the_work_of_due_timers(store, settings, tmp_path):
    product = await manual_product(1)
    ticket = await tickets.open_ticket(GUILD, product.id, buyer())
    await Ticket.get_pymongo_collection().update_one(
        {"_id": ticket.id},
        {"$set": {"next_due_at": utcnow() - timedelta(seconds=1), "next_due_action": "expire_unpaid"}},
    )
    redis = Redis.from_url(settings.redis_url)
    log = (tmp_path / "sweeper.log").open("wb")
    sweeper = _start(worker_env(settings), log)
    try:

        async def expiry_queued():
            stats = {q.name: q for q in ops.queue_stats(redis, settings.redis_namespace)}
            return stats["timers"].ready == 1

        await eventually(expiry_queued, "the expiry sent to the timers queue")
        claimed = await Ticket.get(ticket.id)
        assert claimed.due_claim is not None and claimed.next_due_at > utcnow()  # leased, not resent
        assert ops.workers_alive(redis, settings.redis_namespace, settings.heartbeat_timeout_ms) == 1
    finally:
        sweeper.terminate()
        sweeper.wait(20)
        log.close()
        redis.close()
