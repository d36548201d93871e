"""Sending actor messages by name, from any process (worker, bot, dashboard, tests).

Senders need no actor objects: a message names its actor and queue (`workers.queues`).
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis
from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from models.batch import Coalescer
from models.ticket import OutboxEntry
from workers.queues import ACTOR_QUEUES


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
        self._pipelined: Coalescer[dramatiq.Message, None] | None = None
        if redis is not None and isinstance(broker, RedisBroker):
            self._pipelined = Coalescer(_PipelinedEnqueue(broker, redis))

    @classmethod
    def for_redis(cls, url: str, namespace: str) -> Sender:
        """A sender for a process that only sends (no worker middleware)."""
        return cls(RedisBroker(url=url, namespace=namespace, middleware=[]))

    def send(self, actor: str, **kwargs: Any) -> None:
        """Enqueue a message for `actor`."""
        self.broker.enqueue(_message(actor, kwargs))

    async def relay(self, actor: str, **kwargs: Any) -> None:
        """Enqueue a message for `actor` from a coroutine (pipelined when the sender has an
        asyncio client; else the plain, blocking enqueue)."""
        if self._pipelined is None:
            return self.send(actor, **kwargs)
        await self._pipelined.submit(_message(actor, kwargs))

    async def dispatch(self, ticket_id: Any, entry: OutboxEntry) -> None:
        """The outbox dispatcher (`workflows.outbox.configure`): a follow-up becomes a message."""
        await self.relay(entry.actor, ticket_id=str(ticket_id), outbox_entry_id=entry.id, **entry.kwargs)


def _message(actor: str, kwargs: dict[str, Any]) -> dramatiq.Message:
    return dramatiq.Message(
        queue_name=ACTOR_QUEUES[actor], actor_name=actor, args=(), kwargs=kwargs, options={}
    )


class _PipelinedEnqueue:
    """`RedisBroker.enqueue` for a batch of messages in one pipeline: each message gets its own
    Redis id and runs Dramatiq's own `dispatch` script with the arguments the broker would pass
    (see `RedisBroker._dispatch`); the broker's middleware sees every enqueue as usual."""

    def __init__(self, broker: RedisBroker, redis: Redis) -> None:
        self.broker = broker
        self.redis = redis
        self.script = broker.scripts["dispatch"]

    async def __call__(self, messages: list[dramatiq.Message]) -> list[BaseException | None]:
        broker = self.broker
        prepared = [m.copy(options={"redis_message_id": str(uuid4())}) for m in messages]
        for message in prepared:
            broker.emit_before("enqueue", message, None)
        results = await self._run(prepared)
        if any(isinstance(r, NoScriptError) for r in results):  # Redis restarted or flushed
            await self.redis.script_load(self.script.script)
            retry = [m for m, r in zip(prepared, results, strict=True) if isinstance(r, NoScriptError)]
            again = iter(await self._run(retry))
            results = [next(again) if isinstance(r, NoScriptError) else r for r in results]
        outcome: list[BaseException | None] = []
        for message, result in zip(prepared, results, strict=True):
            if isinstance(result, BaseException):
                outcome.append(result)
            else:
                broker.emit_after("enqueue", message, None)
                outcome.append(None)
        return outcome

    async def _run(self, messages: list[dramatiq.Message]) -> list[Any]:
        broker = self.broker
        async with self.redis.pipeline(transaction=False) as pipe:
            for message in messages:
                pipe.evalsha(
                    self.script.sha,
                    1,
                    broker.namespace,
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
                )
            return await pipe.execute(raise_on_error=False)


__all__ = ["Sender"]
