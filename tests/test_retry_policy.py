"""Retries with backoff for I/O errors only (fast: Dramatiq's StubBroker, no services)."""

from __future__ import annotations

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries
from pymongo.errors import AutoReconnect

from workers import retry_policy
from workers.discord import DiscordRejected, DiscordUnavailable, DMsClosed


@pytest.fixture
def stub_broker():
    broker = StubBroker(
        middleware=[Retries(retry_when=retry_policy.should_retry, min_backoff=1, max_backoff=5)]
    )
    broker.emit_after("process_boot")
    worker = dramatiq.Worker(broker, worker_timeout=10)
    worker.start()
    yield broker
    worker.stop()
    broker.close()


@pytest.mark.parametrize(
    "error", [AutoReconnect("primary stepped down"), DiscordUnavailable("502"), ConnectionError()]
)
def test_io_errors_are_retried_until_they_pass(stub_broker, error):
    attempts: list[int] = []

    @dramatiq.actor(broker=stub_broker, queue_name="q")
    def flaky() -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise error

    flaky.send()
    stub_broker.join("q", fail_fast=False)
    assert len(attempts) == 3
    assert stub_broker.dead_letters == []


@pytest.mark.parametrize("error", [ValueError("bug"), DMsClosed("50007"), DiscordRejected("missing access")])
def test_other_errors_go_straight_to_the_dead_letters(stub_broker, error):
    attempts: list[int] = []

    @dramatiq.actor(broker=stub_broker, queue_name="q")
    def broken() -> None:
        attempts.append(1)
        raise error

    broken.send()
    stub_broker.join("q", fail_fast=False)
    assert len(attempts) == 1
    assert [m.actor_name for m in stub_broker.dead_letters] == ["broken"]
    assert type(error).__name__ in stub_broker.dead_letters[0].options["traceback"]


def test_retries_stop_after_the_limit():
    assert retry_policy.should_retry(retry_policy.MAX_RETRIES - 1, TimeoutError())
    assert not retry_policy.should_retry(retry_policy.MAX_RETRIES, TimeoutError())
