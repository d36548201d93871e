"""Sending actor messages by name, from any process (worker, bot, dashboard, tests).

Senders need no actor objects: a message names its actor and queue (`workers.queues`).
"""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from models.ticket import OutboxEntry
from workers.queues import ACTOR_QUEUES


class Sender:
    """Enqueues actor messages on a broker.

    Parameters:
      broker: the Dramatiq broker to enqueue on.
    """

    def __init__(self, broker: dramatiq.Broker) -> None:
        self.broker = broker

    @classmethod
    def for_redis(cls, url: str, namespace: str) -> Sender:
        """A sender for a process that only sends (no worker middleware)."""
        return cls(RedisBroker(url=url, namespace=namespace, middleware=[]))

    def send(self, actor: str, **kwargs: Any) -> None:
        """Enqueue a message for `actor`."""
        self.broker.enqueue(
            dramatiq.Message(
                queue_name=ACTOR_QUEUES[actor], actor_name=actor, args=(), kwargs=kwargs, options={}
            )
        )

    async def dispatch(self, ticket_id: Any, entry: OutboxEntry) -> None:
        """The outbox dispatcher (`workflows.outbox.configure`): a follow-up becomes a message."""
        self.send(entry.actor, ticket_id=str(ticket_id), outbox_entry_id=entry.id, **entry.kwargs)
