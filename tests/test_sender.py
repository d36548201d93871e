"""Relaying actor messages from a worker's event loop: pipelined, in Dramatiq's own format."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from dramatiq.brokers.redis import RedisBroker
from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import ConnectionError as RedisConnectionError

from launcher.embedded import free_port
from models.settings import Settings
from workers.sender import Sender


class CountingRedis(AsyncRedis):
    """A real asyncio client that counts the pipelines it runs."""

    pipelines = 0

    def pipeline(self, *args: Any, **kwargs: Any) -> Any:
        type(self).pipelines += 1
        return super().pipeline(*args, **kwargs)


def received(broker: RedisBroker, queue: str, count: int) -> list[Any]:
    """Take `count` messages off `queue` the way a Dramatiq worker does."""
    consumer = broker.consume(queue, prefetch=count, timeout=1000)
    messages = []
    for message in consumer:
        if message is None:
            break
        messages.append(message)
        consumer.ack(message)
        if len(messages) == count:
            break
    consumer.close()
    return messages


async def test_concurrent_relays_share_a_pipeline_and_each_arrive_once(settings: Settings) -> None:
    broker = RedisBroker(url=settings.redis_url, namespace=settings.redis_namespace, middleware=[])
    client = CountingRedis.from_url(settings.redis_url)
    sender = Sender(broker, client)
    CountingRedis.pipelines = 0

    await asyncio.gather(*(sender.relay("deliver_product", ticket_id=f"t{n}") for n in range(40)))

    assert 1 <= CountingRedis.pipelines <= 3  # sent one by one: 40 round trips
    messages = received(broker, "delivery", 40)
    assert sorted(m.kwargs["ticket_id"] for m in messages) == sorted(f"t{n}" for n in range(40))
    assert {m.actor_name for m in messages} == {"deliver_product"}
    assert received(broker, "delivery", 1) == []  # nothing twice
    await client.aclose()


async def test_relay_still_works_after_redis_forgot_its_scripts(settings: Settings) -> None:
    broker = RedisBroker(url=settings.redis_url, namespace=settings.redis_namespace, middleware=[])
    client = AsyncRedis.from_url(settings.redis_url)
    sender = Sender(broker, client)
    await client.script_flush()  # as after a Redis restart

    await asyncio.gather(
        sender.relay("archive_transcript", ticket_id="a"), sender.relay("auto_close", ticket_id="b")
    )

    assert [m.kwargs["ticket_id"] for m in received(broker, "archive", 1)] == ["a"]
    assert [m.kwargs["ticket_id"] for m in received(broker, "timers", 1)] == ["b"]
    await client.aclose()


async def test_relay_failure_reaches_every_caller(settings: Settings) -> None:
    broker = RedisBroker(url=settings.redis_url, namespace=settings.redis_namespace, middleware=[])
    unreachable = AsyncRedis(port=free_port(), socket_connect_timeout=1)
    sender = Sender(broker, unreachable)

    outcomes = await asyncio.gather(
        *(sender.relay("deliver_product", ticket_id=f"t{n}") for n in range(5)), return_exceptions=True
    )

    assert all(isinstance(o, RedisConnectionError) for o in outcomes), outcomes
    await unreachable.aclose()


@pytest.mark.parametrize("pipelined", [True, False])
async def test_dispatch_relays_an_outbox_entry_with_its_ticket(settings: Settings, pipelined: bool) -> None:
    from workflows import outbox

    broker = RedisBroker(url=settings.redis_url, namespace=settings.redis_namespace, middleware=[])
    client = AsyncRedis.from_url(settings.redis_url)
    sender = Sender(broker, client if pipelined else None)
    entry = outbox.entry("notify_ticket", notice="payment_rejected", reason="no transfer seen")

    await sender.dispatch("65f0c0ffee0000000000abcd", entry)

    (message,) = received(broker, "notices", 1)
    assert message.actor_name == "notify_ticket"
    assert message.kwargs == {
        "ticket_id": "65f0c0ffee0000000000abcd",
        "outbox_entry_id": entry.id,
        "notice": "payment_rejected",
        "reason": "no transfer seen",
    }
    await client.aclose()


ECHO = """
if ARGV[1] == 'bad' then return redis.error_reply('refused: ' .. ARGV[1]) end
redis.call('rpush', KEYS[1], ARGV[1])
return ARGV[1]
"""


async def test_a_failing_script_call_fails_alone(settings: Settings, aredis: AsyncRedis) -> None:
    from redis.exceptions import ResponseError

    from workers.pipelined_script import PipelinedScript

    script = PipelinedScript(aredis, ECHO)
    key = f"{settings.redis_namespace}:echo"

    outcomes = await asyncio.gather(
        *(script([key], [word]) for word in ["one", "bad", "two"]), return_exceptions=True
    )

    assert outcomes[0] == b"one" and outcomes[2] == b"two"
    assert isinstance(outcomes[1], ResponseError) and "refused: bad" in str(outcomes[1])
    assert await aredis.lrange(key, 0, -1) == [b"one", b"two"]
