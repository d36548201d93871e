"""How every ticket actor opens: registered under its `ActorName` on its queue, then "load the
ticket, stop if it is gone or has no work for this actor", in one place.

Delivery is at-least-once and the outbox relays a message again when nobody consumed it, so an
actor often runs for a ticket that has moved on (a second copy, a cancel in between). Stopping
then is the normal case, not an error: the message's outbox entry is consumed (it is handled:
there is nothing left to do) and the actor returns.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import dramatiq

from models.ticket import Ticket, TicketState
from workers.broker import broker  # noqa: F401  (sets the global broker before the actors)
from workers.queues import ACTOR_QUEUES
from workflows import outbox, tickets
from workflows.actor_names import ActorName
from workflows.errors import TicketNotFound

log = logging.getLogger(__name__)

Body = Callable[..., Awaitable[None]]


def registered(fn: Body) -> dramatiq.Actor:  # type: ignore[type-arg]
    """`fn` as the Dramatiq actor of its name (an `ActorName`), on that actor's queue."""
    name = ActorName(fn.__name__)
    return dramatiq.actor(fn, queue_name=ACTOR_QUEUES[name], actor_name=name.value)


def with_ticket(
    states: Collection[TicketState] = tuple(TicketState),
    when: Callable[[Ticket], bool] = lambda ticket: True,
) -> Callable[[Body], Body]:
    """The body runs as `body(ticket, **kwargs)` for a ticket in one of `states` for which
    `when(ticket)` holds; otherwise the actor stops: a ticket that does not exist is logged
    and its message dropped, one with no work for this actor has the message's outbox entry
    (`outbox_entry_id`, when the message came from the outbox) consumed."""

    def wrap(body: Body) -> Body:
        @functools.wraps(body)
        async def opened(ticket_id: str, **kwargs: Any) -> None:
            try:
                ticket = await tickets.get_ticket(ticket_id)
            except TicketNotFound:
                log.warning("ticket %s does not exist; %s message dropped", ticket_id, body.__name__)
                return
            if ticket.state not in states or not when(ticket):
                await outbox.consume(ticket.id, kwargs.get("outbox_entry_id"))
                return
            await body(ticket, **kwargs)

        return opened

    return wrap
