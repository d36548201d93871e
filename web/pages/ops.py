"""/ops: the worker queues for operators — ready, delayed, in flight and dead per queue, workers
alive, the oldest waiting message, recent failures with their error, dead letters to retry or
discard, and due timers. Refreshes itself every two seconds while open."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import reflex as rx
from redis import Redis

from models.settings import get_settings
from models.store import utcnow
from models.ticket import Ticket
from web import access, live
from web.components.frame import messages
from web.components.widgets import data_table
from web.seller import SellerState
from workers import ops
from workers.sender import Sender

REFRESH_S = 2.0


def _redis() -> Redis:
    return Redis.from_url(get_settings().redis_url or "redis://127.0.0.1:6379/0")


def _snapshot() -> dict:
    settings, redis = get_settings(), _redis()
    try:
        namespace = settings.redis_namespace
        stats = ops.queue_stats(redis, namespace)
        letters = [letter for q in stats for letter in ops.dead_letters(redis, namespace, q.name, limit=20)]
        return {
            "alive": ops.workers_alive(redis, namespace, settings.heartbeat_timeout_ms),
            "queues": [
                {
                    "name": q.name,
                    "ready": str(q.ready),
                    "delayed": str(q.delayed),
                    "in_flight": str(q.in_flight),
                    "dead": str(q.dead),
                    "oldest": f"{q.oldest_ready_age_s:.1f} s" if q.oldest_ready_age_s is not None else "—",
                }
                for q in stats
            ],
            "dead": [
                {
                    "queue": d.queue,
                    "id": d.redis_message_id,
                    "actor": d.actor,
                    "kwargs": str(d.kwargs)[:200],
                    "error": d.error[:300],
                    "failed": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(d.failed_at)),
                }
                for d in letters
            ],
            "failures": [
                {
                    "actor": str(f.get("actor", "")),
                    "error": str(f.get("error", ""))[:300],
                    "at": time.strftime("%H:%M:%S", time.gmtime(float(f.get("at", 0) or 0))),
                }
                for f in ops.recent_failures(redis, namespace, limit=20)
            ],
        }
    finally:
        redis.close()


class OpsState(SellerState):
    alive: int = 0
    queues: list[dict[str, str]] = []
    dead: list[dict[str, str]] = []
    failures: list[dict[str, str]] = []
    due_now: int = 0
    due_soon: int = 0
    updated: str = ""
    watching: int = 0

    async def _refresh(self) -> None:
        snapshot = await asyncio.to_thread(_snapshot)
        now = utcnow()
        timers = Ticket.get_pymongo_collection()
        due_now = await timers.count_documents({"next_due_at": {"$lte": now}})
        due_soon = await timers.count_documents(
            {"next_due_at": {"$gt": now, "$lte": now + timedelta(hours=1)}}
        )
        self.alive, self.queues = snapshot["alive"], snapshot["queues"]
        self.dead, self.failures = snapshot["dead"], snapshot["failures"]
        self.due_now, self.due_soon = due_now, due_soon
        self.updated = time.strftime("%H:%M:%S", time.gmtime())

    async def load(self):
        self.error = self.notice = ""
        try:
            session = await access.check_operator(self._cookie())
        except access.Refused as refused:
            if "log in" in str(refused):
                return rx.redirect("/login")
            self.refusal = str(refused)
            return None
        self.refusal, self.user_name = "", session.username
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
        try:
            await access.check_operator(self._cookie())
        except access.Refused as refused:
            return self._failed(refused)
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
            return self._failed(Exception("that message is no longer dead-lettered"))
        return self._done("Message put back on its queue" if retry else "Message discarded")

    async def retry(self, queue: str, message_id: str):
        return await self._dead_letter(queue, message_id, True)

    async def discard(self, queue: str, message_id: str):
        return await self._dead_letter(queue, message_id, False)


def _table(headers: list[str], rows, cells) -> rx.Component:
    return data_table(headers, rows, lambda r: rx.table.row(*cells(r)))


def ops_page() -> rx.Component:
    return rx.cond(
        OpsState.refusal != "",
        rx.center(
            rx.callout(OpsState.refusal, color_scheme="red", icon="shield-alert", id="refusal"), padding="3em"
        ),
        rx.vstack(
            rx.hstack(
                rx.link("← Stores", href="/"),
                rx.heading("Ops: worker queues", size="6"),
                rx.spacer(),
                rx.text("updated ", OpsState.updated, size="1", color_scheme="gray"),
            ),
            messages(),
            rx.flex(
                rx.card(
                    rx.vstack(
                        rx.text("Workers alive", color_scheme="gray"),
                        rx.heading(OpsState.alive, id="workers-alive"),
                    )
                ),
                rx.card(
                    rx.vstack(rx.text("Timers due now", color_scheme="gray"), rx.heading(OpsState.due_now))
                ),
                rx.card(
                    rx.vstack(
                        rx.text("Timers due within an hour", color_scheme="gray"),
                        rx.heading(OpsState.due_soon),
                    )
                ),
                spacing="3",
                wrap="wrap",
            ),
            _table(
                ["Queue", "Ready", "Delayed", "In flight", "Dead", "Oldest waiting"],
                OpsState.queues,
                lambda q: [
                    rx.table.cell(q["name"]),
                    rx.table.cell(q["ready"]),
                    rx.table.cell(q["delayed"]),
                    rx.table.cell(q["in_flight"]),
                    rx.table.cell(q["dead"]),
                    rx.table.cell(q["oldest"]),
                ],
            ),
            rx.heading("Dead letters", size="4"),
            _table(
                ["Failed (UTC)", "Queue", "Actor", "Arguments", "Error", ""],
                OpsState.dead,
                lambda d: [
                    rx.table.cell(d["failed"]),
                    rx.table.cell(d["queue"]),
                    rx.table.cell(d["actor"]),
                    rx.table.cell(rx.code(d["kwargs"])),
                    rx.table.cell(rx.text(d["error"], color_scheme="red", size="2")),
                    rx.table.cell(
                        rx.hstack(
                            rx.button("Retry", size="1", on_click=OpsState.retry(d["queue"], d["id"])),
                            rx.button(
                                "Discard",
                                size="1",
                                color_scheme="red",
                                variant="soft",
                                on_click=OpsState.discard(d["queue"], d["id"]),
                            ),
                        )
                    ),
                ],
            ),
            rx.heading("Recent failures", size="4"),
            _table(
                ["At (UTC)", "Actor", "Error"],
                OpsState.failures,
                lambda f: [
                    rx.table.cell(f["at"]),
                    rx.table.cell(f["actor"]),
                    rx.table.cell(rx.text(f["error"], size="2")),
                ],
            ),
            padding="1.5em",
            spacing="4",
            width="100%",
            max_width="1200px",
        ),
    )
