"""Sending actor messages by name, from any process (worker, bot, dashboard, tests).

Senders need no actor objects: a message names its actor and queue (`workers.queues`).
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis
from redis.asyncio import Redis

from models.ticket import OutboxEntry
from workers.pipelined_script import PipelinedScript
from workers.queues import ACTOR_QUEUES

SEND_TIMEOUT_S = 2.0


class Sender:
    """Enqueues actor messages on a broker.

    Parameters:
      broker: the Dramatiq broker to enqueue on.
      redis: an asyncio client of the broker's Redis, on the loop that relays (a worker's).
        With it, messages sent from coroutines at the same moment share one Redis pipeline
        instead of each blocking the event loop for its own round trip.
    """

    def __init__(self, broker: dramatiq.Broker, redis: Redis | None = None) -> None:
        self.broker = broker
        self._dispatch_script: PipelinedScript | None = None
        if redis is not None and isinstance(broker, RedisBroker):
            self._dispatch_script = PipelinedScript(redis, broker.scripts["dispatch"].script)

    @classmethod
    def for_redis(cls, url: str, namespace: str) -> Sender:
        """A sender for a process that only sends (no worker middleware).

        Its enqueue blocks the caller's event loop (the bot's, the dashboard's), so a Redis
        that stops answering must fail it quickly rather than hang it: the outbox keeps the
        message and the sweeper relays it later (`workflows.outbox.relay`)."""
        pool = redis.ConnectionPool.from_url(
            url, socket_connect_timeout=SEND_TIMEOUT_S, socket_timeout=SEND_TIMEOUT_S
        )
        return cls(RedisBroker(connection_pool=pool, namespace=namespace, middleware=[]))

    def send(self, actor: str, **kwargs: Any) -> None:
        """Enqueue a message for `actor`."""
        self.broker.enqueue(_message(actor, kwargs))

    async def relay(self, actor: str, **kwargs: Any) -> None:
        """Enqueue a message for `actor` from a coroutine (pipelined when the sender has an
        asyncio client; else the plain, blocking enqueue)."""
        if self._dispatch_script is None:
            return self.send(actor, **kwargs)
        await self._enqueue(self._dispatch_script, _message(actor, kwargs))

    async def dispatch(self, ticket_id: Any, entry: OutboxEntry) -> None:
        """The outbox dispatcher (`workflows.outbox.configure`): a follow-up becomes a message."""
        await self.relay(entry.actor, ticket_id=str(ticket_id), outbox_entry_id=entry.id, **entry.kwargs)

    async def _enqueue(self, script: PipelinedScript, message: dramatiq.Message) -> None:
        """`RedisBroker.enqueue` through the pipelined script: the message gets its own Redis
        id and runs Dramatiq's `dispatch` script with the arguments the broker itself passes
        (`RedisBroker._dispatch`); the broker's middleware sees the enqueue as usual."""
        broker = self.broker
        assert isinstance(broker, RedisBroker)
        message = message.copy(options={"redis_message_id": str(uuid4())})
        broker.emit_before("enqueue", message, None)
        await script(
            [broker.namespace],
            [
                "enqueue",
                current_millis(),
                message.queue_name,
                broker.broker_id,
                broker.heartbeat_timeout,
                broker.dead_message_ttl,
                broker._should_do_maintenance("enqueue"),
                broker._max_unpack_size(),
                message.options["redis_message_id"],
                message.encode(),
            ],
        )
        broker.emit_after("enqueue", message, None)


def _message(actor: str, kwargs: dict[str, Any]) -> dramatiq.Message:
    return dramatiq.Message(
        queue_name=ACTOR_QUEUES[actor], actor_name=actor, args=(), kwargs=kwargs, options={}
    )


__all__ = ["Sender"]
