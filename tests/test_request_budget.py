"""Several processes sending with one bot token share one request budget (through Redis) and
stay inside Discord's limits as the sandbox enforces them: the global 50 requests a second
and the per-route buckets it announces in its headers; a buyer's request overtakes a flood of
panel edits and notices.

The processes are real (`tests/budget_client.py`, posting through `RestDiscord` as a worker
does) against the sandbox over HTTP, with the session's redis-server.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import pytest

from discord_sandbox.ratelimits import RouteLimit
from launcher.embedded import free_port
from tests.conftest import ROOT
from tests.waiting import eventually
from workers.discord_budget import GLOBAL_PER_S, LOW_PER_S, route_of

pytestmark = pytest.mark.timeout(180)


@dataclass
class Sender:
    """One worker-like process, logged in and waiting for "go"."""

    process: subprocess.Popen[str]

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def result(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        self.process.wait(30)
        assert line, f"the sender printed nothing (exit {self.process.returncode})"
        return json.loads(line)


@pytest.fixture
def senders(sandbox, world, redis_server, tmp_path) -> Iterator[Any]:
    started: list[Sender] = []

    def start(
        channels: list[int], priority: str = "high", budget: bool = True, redis_url: str | None = None
    ) -> Sender:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.budget_client"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(tmp_path / f"sender-{len(started)}.log").open("w"),
            text=True,
        )
        assert process.stdin is not None and process.stdout is not None
        job = {
            "api_base": sandbox.api_base,
            "redis_url": redis_url or redis_server.url,
            "token": world["token"],
            "priority": priority,
            "channels": channels,
            "budget": budget,
        }
        process.stdin.write(json.dumps(job) + "\n")
        process.stdin.flush()
        assert process.stdout.readline().strip() == "ready"
        sender = Sender(process)
        started.append(sender)
        return sender

    yield start
    for sender in started:
        if sender.process.poll() is None:
            sender.process.kill()
            sender.process.wait()


def _channels(sandbox, world, count: int) -> list[int]:
    server, guild = sandbox.server, world["guild"]
    return sandbox.call(lambda: [server.add_channel(guild, f"c{i}").id for i in range(count)])


def _posts(sandbox, channels: list[int]) -> int:
    server = sandbox.server
    return sandbox.call(lambda: sum(len(server.messages.get(c, {})) for c in channels))


async def _state(sandbox) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"{sandbox.base_url}/_sandbox/state") as response:
        return await response.json()


async def test_three_workers_posting_200_messages_at_once_get_no_429(sandbox, world, senders):
    channels = _channels(sandbox, world, 201)
    group = [senders(channels[i::3]) for i in range(3)]
    for sender in group:
        sender.go()
    results = [sender.result() for sender in group]

    assert [r["errors"] for r in results] == [[], [], []]
    assert _posts(sandbox, channels) == 201  # every post arrived, each exactly once
    state = await _state(sandbox)
    assert state["rejections_by_route"].get("global", 0) == 0, state["rejections_by_route"]
    assert state["rate_limited"] == 0, state["rejections_by_route"]
    # Shared, not three budgets of 45: together they took at least what 45 a second allows.
    slowest = max(max(r["latencies_s"]) for r in results)
    assert slowest >= 201 / GLOBAL_PER_S - 1.2, slowest


async def test_a_buyers_request_overtakes_a_flood_of_panel_edits(sandbox, world, senders):
    flood_channels, buyer_channels = _channels(sandbox, world, 150), _channels(sandbox, world, 5)
    flood = senders(flood_channels, priority="low")
    buyer = senders(buyer_channels, priority="high")
    flood.go()
    # The buyer's requests leave once the flood is well under way (a second's worth of it).
    await eventually(lambda: _async(_posts(sandbox, flood_channels) >= LOW_PER_S), "the flood to be going")
    buyer.go()
    flooded, bought = flood.result(), buyer.result()

    assert flooded["errors"] == [] and bought["errors"] == []
    assert flooded["posted"] == 150 and bought["posted"] == 5
    assert max(flooded["latencies_s"]) > 150 / LOW_PER_S - 1  # the flood is held to its share
    assert max(bought["latencies_s"]) < 0.5, bought["latencies_s"]  # the buyer did not wait for it
    assert (await _state(sandbox))["rate_limited"] == 0


async def test_a_channels_announced_bucket_is_shared_by_every_process(sandbox, world, senders):
    """Discord lets 3 posts a second into this channel; 3 processes post 4 each at once."""
    server = sandbox.server
    three_a_second = replace(server.rate_limits, message_posts=RouteLimit(3, 1.0))
    sandbox.call(lambda: setattr(server, "rate_limits", three_a_second))
    (channel,) = _channels(sandbox, world, 1)
    group = [senders([channel] * 4) for _ in range(3)]
    for sender in group:
        sender.go()
    results = [sender.result() for sender in group]

    assert [r["errors"] for r in results] == [[], [], []]
    assert _posts(sandbox, [channel]) == 12
    state = await _state(sandbox)
    assert state["rejections_by_route"].get("POST /channels/{channel_id}/messages", 0) == 0, state[
        "rejections_by_route"
    ]
    assert state["rate_limited"] == 0


async def test_the_dashboard_draws_on_the_same_budget_as_the_workers(
    sandbox, world, senders, settings, monkeypatch
):
    """While three workers flood Discord, a seller's dashboard pages still list the guild's
    channels: its calls wait for their turn instead of being refused."""
    from pydantic import SecretStr

    from web import discord_api

    dashboard = settings.model_copy(
        update={"discord_token": SecretStr(world["token"]), "discord_api_base_url": sandbox.api_base}
    )
    monkeypatch.setattr(discord_api, "get_settings", lambda: dashboard)
    channels = _channels(sandbox, world, 150)
    group = [senders(channels[i::3]) for i in range(3)]
    for sender in group:
        sender.go()
    await eventually(lambda: _async(_posts(sandbox, channels) >= 60), "the flood to be going")
    listed = await asyncio.gather(*(discord_api.guild_channels(world["guild"].id) for _ in range(20)))
    results = [sender.result() for sender in group]

    assert all(len(page) > 150 for page in listed), [len(page) for page in listed]
    assert [r["errors"] for r in results] == [[], [], []]
    assert (await _state(sandbox))["rate_limited"] == 0


async def test_without_redis_the_posts_still_go_out_and_the_outage_is_logged_once(
    sandbox, world, senders, tmp_path
):
    channels = _channels(sandbox, world, 20)
    nobody_listens = f"redis://127.0.0.1:{free_port()}/0"
    sender = senders(channels, redis_url=nobody_listens)
    sender.go()
    result = sender.result()

    assert result["errors"] == [] and result["posted"] == 20
    assert _posts(sandbox, channels) == 20
    log = (tmp_path / "sender-0.log").read_text()
    assert log.count("Redis unreachable") == 1, log


async def _async(value: Any) -> Any:
    return value


def test_requests_are_counted_on_their_route_and_top_level_resource():
    assert route_of("POST", "http://x/api/v10/channels/12/messages") == route_of(
        "POST", "http://x/api/v10/channels/12/messages"
    )
    post = route_of("POST", "http://x/api/v10/channels/12/messages")
    assert (post.route, post.resource, post.exempt) == ("POST channels/{id}/messages", "channels/12", False)
    edit = route_of("PATCH", "https://discord.com/api/v10/channels/12/messages/99?x=1")
    assert (edit.route, edit.resource) == ("PATCH channels/{id}/messages/{id}", "channels/12")
    dm = route_of("POST", "http://x/api/v10/users/@me/channels")
    assert (dm.route, dm.resource, dm.exempt) == ("POST users/@me/channels", "", False)
    follow_up = route_of("POST", "http://x/api/v10/webhooks/5/tok-en/messages")
    assert (follow_up.route, follow_up.resource, follow_up.exempt) == (
        "POST webhooks/{id}/{token}/messages",
        "webhooks/5/tok-en",
        True,
    )
