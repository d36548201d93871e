"""What operators watch: per-queue counts, live workers, dead letters (with their error),
and retrying or discarding a dead letter. Reads Dramatiq's Redis keys directly (the
`dramatiq-dashboard` package pins dramatiq<2).

`python -m workers.ops` prints the overview.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import dramatiq
from redis import Redis

from workers.failure_log import dead_key, recent_key
from workers.queues import QUEUES
from workers.sweeper import workers_key


@dataclass(frozen=True)
class QueueStats:
    name: str
    ready: int
    delayed: int
    in_flight: int
    dead: int
    oldest_ready_age_s: float | None


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    redis_message_id: str
    actor: str
    kwargs: dict[str, object]
    retries: int
    failed_at: float
    error: str
    traceback: str


def _age(redis: Redis, key: str, message_id: bytes | None, now_ms: int) -> float | None:
    if message_id is None:
        return None
    raw = redis.hget(f"{key}.msgs", message_id)
    if raw is None:
        return None
    return max(0.0, (now_ms - json.loads(raw)["message_timestamp"]) / 1000)


def queue_stats(redis: Redis, namespace: str, queues: list[str] = QUEUES) -> list[QueueStats]:
    """Ready, delayed, in-flight and dead-letter counts of each queue."""
    now_ms = int(time.time() * 1000)
    ack_keys = [k.decode() for k in redis.scan_iter(f"{namespace}:__acks__.*", count=1000)]
    stats = []
    for queue in queues:
        key = f"{namespace}:{queue}"
        in_flight = sum(
            redis.scard(k) for k in ack_keys if k.endswith(f".{queue}") or k.endswith(f".{queue}.DQ")
        )
        stats.append(
            QueueStats(
                name=queue,
                ready=redis.llen(key),
                delayed=redis.llen(f"{key}.DQ"),
                in_flight=in_flight,
                dead=redis.zcard(f"{key}.XQ"),
                oldest_ready_age_s=_age(redis, key, redis.lindex(key, 0), now_ms),
            )
        )
    return stats


def workers_alive(redis: Redis, namespace: str, heartbeat_timeout_ms: int) -> int:
    """Worker processes that beat within the timeout (Dramatiq's own heartbeats also count
    processes that only send, so workers keep a set of their own; see `workers.sweeper`)."""
    since = int(time.time() * 1000) - heartbeat_timeout_ms
    return int(redis.zcount(workers_key(namespace), since, "+inf"))


def dead_letters(redis: Redis, namespace: str, queue: str, limit: int = 50) -> list[DeadLetter]:
    """The most recent dead letters of a queue, newest first, with the error that killed them."""
    key = f"{namespace}:{queue}.XQ"
    letters = []
    for message_id, score in redis.zrevrange(key, 0, limit - 1, withscores=True):
        raw = redis.hget(f"{key}.msgs", message_id)
        if raw is None:
            continue
        data = json.loads(raw)
        failure_raw = redis.hget(dead_key(namespace), message_id)
        failure = json.loads(failure_raw) if failure_raw else {}
        letters.append(
            DeadLetter(
                queue=queue,
                redis_message_id=message_id.decode(),
                actor=data["actor_name"],
                kwargs=data.get("kwargs", {}),
                retries=failure.get("retries", 0),
                failed_at=score / 1000,
                error=failure.get("error", ""),
                traceback=failure.get("traceback", ""),
            )
        )
    return letters


def recent_failures(redis: Redis, namespace: str, limit: int = 50) -> list[dict[str, object]]:
    """The latest failures of any actor (retried or dead), newest first."""
    return [json.loads(raw) for raw in redis.lrange(recent_key(namespace), 0, limit - 1)]


def retry_dead_letter(
    broker: dramatiq.Broker, redis: Redis, namespace: str, queue: str, redis_message_id: str
) -> bool:
    """Put a dead letter back on its queue with a fresh retry count."""
    key = f"{namespace}:{queue}.XQ"
    raw = redis.hget(f"{key}.msgs", redis_message_id)
    if raw is None:
        return False
    message = dramatiq.Message.decode(raw)
    options = {
        k: v for k, v in message.options.items() if k not in ("retries", "traceback", "redis_message_id")
    }
    broker.enqueue(
        dramatiq.Message(
            queue_name=queue,
            actor_name=message.actor_name,
            args=message.args,
            kwargs=message.kwargs,
            options=options,
        )
    )
    return discard_dead_letter(redis, namespace, queue, redis_message_id)


def discard_dead_letter(redis: Redis, namespace: str, queue: str, redis_message_id: str) -> bool:
    """Remove a dead letter for good."""
    key = f"{namespace}:{queue}.XQ"
    removed = redis.zrem(key, redis_message_id)
    redis.hdel(f"{key}.msgs", redis_message_id)
    redis.hdel(dead_key(namespace), redis_message_id)
    return bool(removed)


if __name__ == "__main__":
    from models.settings import get_settings

    settings = get_settings()
    client = Redis.from_url(settings.redis_url or "redis://127.0.0.1:6379/0")
    print(f"workers alive: {workers_alive(client, settings.redis_namespace, settings.heartbeat_timeout_ms)}")
    for row in queue_stats(client, settings.redis_namespace):
        print(row)
        for letter in dead_letters(client, settings.redis_namespace, row.name, limit=5):
            print(f"   dead: {letter.actor} {letter.kwargs} — {letter.error}")
