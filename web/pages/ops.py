"""/ops: the worker queues for operators — ready, delayed, in flight and dead per queue, workers
alive, the oldest waiting message, recent failures with their error, dead letters to retry or
discard, and due timers. Refreshes itself every two seconds while open.

Operators are checked by `access.check_operator` (not a store's sellers): `operator_entry` and
`operator_action` carry that check the way `seller_action`/`page_entry` carry a seller's."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx
from babel.dates import format_time
from babel.numbers import format_decimal
from redis import Redis

from models.dashboard_session import DashboardSession
from models.settings import get_settings
from models.store import utcnow
from models.ticket import Ticket
from web import access, live
from web.components.frame import messages
from web.components.widgets import Said, both, confirm, data_table, said
from web.i18n import SHOWN_ZONE, language_switch, say, tx, when
from web.seller import SellerState, refusal_text
from workers import ops
from workers.sender import Sender

REFRESH_S = 2.0


def _redis() -> Redis:
    return Redis.from_url(get_settings().redis_url or "redis://127.0.0.1:6379/0")


@dataclass
class QueueRow:
    name: str
    ready: str
    delayed: str
    in_flight: str
    dead: str
    oldest: Said


@dataclass
class DeadLetter:
    queue: str
    id: str
    actor: str  # the actor's name, as the operator finds it in the code and the logs
    kwargs: str
    error: str
    failed: Said


@dataclass
class Failure:
    actor: str
    error: str
    at: Said


@dataclass
class Snapshot:
    alive: int = 0
    queues: list[QueueRow] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def _moment(epoch_s: float) -> Said:
    at = datetime.fromtimestamp(epoch_s, UTC)
    return both(lambda lang: when(at, lang))


def _age(seconds: float | None) -> Said:
    if seconds is None:
        return Said("—", "—")
    return both(lambda lang: say(lang, "ops.seconds", n=format_decimal(round(seconds, 1), locale=lang)))


def _snapshot() -> Snapshot:
    settings, redis = get_settings(), _redis()
    try:
        namespace = settings.redis_namespace
        stats = ops.queue_stats(redis, namespace)
        letters = [letter for q in stats for letter in ops.dead_letters(redis, namespace, q.name, limit=20)]
        return Snapshot(
            alive=ops.workers_alive(redis, namespace, settings.heartbeat_timeout_ms),
            queues=[
                QueueRow(
                    name=q.name,
                    ready=str(q.ready),
                    delayed=str(q.delayed),
                    in_flight=str(q.in_flight),
                    dead=str(q.dead),
                    oldest=_age(q.oldest_ready_age_s),
                )
                for q in stats
            ],
            dead=[
                DeadLetter(
                    queue=d.queue,
                    id=d.redis_message_id,
                    actor=d.actor,
                    kwargs=str(d.kwargs)[:200],
                    error=d.error[:300],
                    failed=_moment(d.failed_at),
                )
                for d in letters
            ],
            failures=[
                Failure(
                    actor=str(f.get("actor", "")),
                    error=str(f.get("error", ""))[:300],
                    at=_moment(float(f.get("at", 0) or 0)),
                )
                for f in ops.recent_failures(redis, namespace, limit=20)
            ],
        )
    finally:
        redis.close()


def operator_entry(
    handler: Callable[[Any, DashboardSession], Awaitable[Any]],
) -> Callable[[Any], Awaitable[Any]]:
    """An on_load handler for operators only: a visitor not logged in goes to /login, anyone
    else who is not an operator sees why; the handler gets the operator's session."""

    @functools.wraps(handler)
    async def run(self: SellerState) -> Any:
        self.error = self.notice = ""
        self._settle_language()
        try:
            session = await access.check_operator(self._cookie())
        except access.Refused as refused:
            if refused.why is access.Why.LOG_IN:
                return rx.redirect("/login")
            self.refusal = refused.why
            return None
        self.refusal, self.user_name = "", session.username
        return await handler(self, session)

    run.__signature__ = inspect.Signature([inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)])  # type: ignore[attr-defined]
    run.__annotations__ = {}
    return run


def operator_action(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """An event handler for operators only: the check is made first and the session handed to
    the handler as its second argument; a refusal becomes the red message, nothing changed."""

    @functools.wraps(handler)
    async def run(self: SellerState, *args: Any, **kwargs: Any) -> Any:
        try:
            session = await access.check_operator(self._cookie())
        except access.Refused as refused:
            return self._failed(refused)
        return await handler(self, session, *args, **kwargs)

    # Reflex binds a handler's arguments from its signature: it must not see the session.
    signature = inspect.signature(handler)
    second = list(signature.parameters)[1]
    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for name, p in signature.parameters.items() if name != second]
    )
    run.__annotations__ = {k: v for k, v in handler.__annotations__.items() if k != second}
    return run


class OpsState(SellerState):
    alive: int = 0
    queues: list[QueueRow] = []
    dead: list[DeadLetter] = []
    failures: list[Failure] = []
    due_now: int = 0
    due_soon: int = 0
    updated: Said = Said()
    watching: int = 0

    async def _refresh(self) -> None:
        snapshot = await asyncio.to_thread(_snapshot)
        now = utcnow()
        timers = Ticket.get_pymongo_collection()
        due_now = await timers.count_documents({"next_due_at": {"$lte": now}})
        due_soon = await timers.count_documents(
            {"next_due_at": {"$gt": now, "$lte": now + timedelta(hours=1)}}
        )
        self.alive, self.queues = snapshot.alive, snapshot.queues
        self.dead, self.failures = snapshot.dead, snapshot.failures
        self.due_now, self.due_soon = due_now, due_soon
        at = datetime.now(UTC)
        self.updated = both(
            lambda lang: say(
                lang, "ops.updated", at=format_time(at, "medium", tzinfo=ZoneInfo(SHOWN_ZONE), locale=lang)
            )
        )

    @operator_entry
    async def load(self, session: DashboardSession):
        await self._refresh()
        return OpsState.tick

    @rx.event(background=True)
    async def tick(self):
        async with self:
            self.watching += 1
            generation, token = self.watching, self.router.session.client_token
        while live.connected(token):
            await asyncio.sleep(REFRESH_S)
            async with self:
                if self.watching != generation:
                    return
                await self._refresh()

    async def _dead_letter(self, queue: str, message_id: str, retry: bool):
        settings, redis = get_settings(), _redis()
        try:
            if retry:
                sender = Sender.for_redis(settings.redis_url or "", settings.redis_namespace)
                done = await asyncio.to_thread(
                    ops.retry_dead_letter, sender.broker, redis, settings.redis_namespace, queue, message_id
                )
            else:
                done = await asyncio.to_thread(
                    ops.discard_dead_letter, redis, settings.redis_namespace, queue, message_id
                )
        finally:
            redis.close()
        await self._refresh()
        if not done:
            self.notice, self.error = "", self._say("ops.gone")
            return rx.toast.error(self.error)
        return self._done(self._say("ops.retried" if retry else "ops.discarded"))

    @operator_action
    async def retry(self, session: DashboardSession, queue: str, message_id: str):
        return await self._dead_letter(queue, message_id, True)

    @operator_action
    async def discard(self, session: DashboardSession, queue: str, message_id: str):
        return await self._dead_letter(queue, message_id, False)


def _table(keys: list[str], rows, cells, table_id: str) -> rx.Component:
    headers = [tx(f"ops.column.{k}") if k else "" for k in keys]
    return data_table(headers, rows, lambda r: rx.table.row(*cells(r)), table_id)


def _count(key: str, value: rx.Var, value_id: str = "") -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(tx(f"ops.{key}"), color_scheme="gray"),
            rx.heading(value, **({"id": value_id} if value_id else {})),
        ),
        flex="1 1 150px",
    )


def ops_page() -> rx.Component:
    return rx.cond(
        OpsState.refusal != "",
        rx.center(
            rx.callout(refusal_text(OpsState.refusal), color_scheme="red", icon="shield-alert", id="refusal"),
            rx.link(tx("access.back_to_stores"), href="/"),
            language_switch(),
            direction="column",
            spacing="3",
            padding="3em",
        ),
        rx.vstack(
            rx.flex(
                rx.link(tx("ops.back"), href="/"),
                rx.heading(tx("ops.title"), size="6"),
                rx.spacer(),
                rx.text(said(OpsState.updated), size="1", color_scheme="gray", id="ops-updated"),
                language_switch(),
                spacing="3",
                align="center",
                wrap="wrap",
                width="100%",
            ),
            messages(),
            rx.flex(
                _count("workers_alive", OpsState.alive, "workers-alive"),
                _count("due_now", OpsState.due_now),
                _count("due_soon", OpsState.due_soon),
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
            _table(
                ["queue", "ready", "delayed", "in_flight", "dead", "oldest"],
                OpsState.queues,
                lambda q: [
                    rx.table.cell(q.name),
                    rx.table.cell(q.ready),
                    rx.table.cell(q.delayed),
                    rx.table.cell(q.in_flight),
                    rx.table.cell(q.dead),
                    rx.table.cell(said(q.oldest), white_space="nowrap"),
                ],
                "queues",
            ),
            rx.heading(tx("ops.dead_letters"), size="4"),
            _table(
                ["failed", "queue", "actor", "arguments", "error", ""],
                OpsState.dead,
                lambda d: [
                    rx.table.cell(said(d.failed), white_space="nowrap"),
                    rx.table.cell(d.queue),
                    rx.table.cell(d.actor),
                    rx.table.cell(rx.code(d.kwargs)),
                    rx.table.cell(rx.text(d.error, color_scheme="red", size="2")),
                    rx.table.cell(
                        rx.hstack(
                            rx.button(tx("ops.retry"), size="1", on_click=OpsState.retry(d.queue, d.id)),
                            confirm(
                                rx.button(
                                    tx("ops.discard"),
                                    size="1",
                                    color_scheme="red",
                                    variant="soft",
                                    class_name="discard-dead-letter",
                                ),
                                tx("ops.discard_question", actor=d.actor),
                                tx("ops.discard_detail"),
                                rx.button(
                                    tx("ops.discard"),
                                    color_scheme="red",
                                    on_click=OpsState.discard(d.queue, d.id),
                                    id="confirm-discard",
                                ),
                                tx("ops.keep"),
                            ),
                        )
                    ),
                ],
                "dead-letters",
            ),
            rx.cond(OpsState.dead.length() == 0, rx.text(tx("ops.no_dead_letters"), color_scheme="gray")),
            rx.heading(tx("ops.recent_failures"), size="4"),
            _table(
                ["at", "actor", "error"],
                OpsState.failures,
                lambda f: [
                    rx.table.cell(said(f.at), white_space="nowrap"),
                    rx.table.cell(f.actor),
                    rx.table.cell(rx.text(f.error, size="2")),
                ],
                "failures",
            ),
            rx.cond(OpsState.failures.length() == 0, rx.text(tx("ops.no_failures"), color_scheme="gray")),
            padding="1.5em",
            spacing="4",
            width="100%",
            max_width="1200px",
            min_width="0",
        ),
    )
