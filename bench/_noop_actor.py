"""A no-op actor on the store's own broker: the raw Dramatiq baseline of bench/engine.py."""

from __future__ import annotations

import dramatiq

from workers.broker import broker  # noqa: F401  (the same broker and middleware as the engine)


@dramatiq.actor(queue_name="bench_noop")
async def noop(n: int) -> None:
    return None
