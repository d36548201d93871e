"""The FailureLog middleware: remembers why messages failed, for operators.

Dramatiq's Redis broker keeps a dead letter exactly as it was enqueued, without the error
that killed it. This middleware records every failure (actor, arguments, error, whether it
will be retried) in a capped list, and the error of each dead letter by its Redis message id.
"""

from __future__ import annotations

import json
import time
import traceback

import dramatiq
from dramatiq.middleware import Middleware
from redis import Redis

RECENT_LIMIT = 200


def recent_key(namespace: str) -> str:
    return f"{namespace}:__failures__"


def dead_key(namespace: str) -> str:
    return f"{namespace}:__dead_errors__"


class FailureLog(Middleware):
    """Records failures in Redis; place it *before* Retries in the middleware list (after-hooks
    run in reverse) so it knows whether a retry follows.

    Parameters:
      client: a Redis client.
      namespace: the broker's key namespace.
    """

    def __init__(self, client: Redis, namespace: str) -> None:
        self.client = client
        self.namespace = namespace

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: dramatiq.MessageProxy,
        *,
        result=None,
        exception=None,
    ) -> None:
        if exception is None:
            return
        record = {
            "at": time.time(),
            "queue": message.queue_name,
            "actor": message.actor_name,
            "kwargs": message.kwargs,
            "message_id": message.message_id,
            "redis_message_id": message.options.get("redis_message_id"),
            "retries": message.options.get("retries", 0),
            "dead": message.failed,
            "error": f"{type(exception).__name__}: {exception}",
            "traceback": "".join(traceback.format_exception(exception))[-4000:],
        }
        data = json.dumps(record, default=str)
        pipe = self.client.pipeline()
        pipe.lpush(recent_key(self.namespace), data)
        pipe.ltrim(recent_key(self.namespace), 0, RECENT_LIMIT - 1)
        if message.failed and record["redis_message_id"]:
            pipe.hset(dead_key(self.namespace), record["redis_message_id"], data)
        pipe.execute()
