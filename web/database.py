"""The web process's database connection: Beanie on the serving event loop, and transitions
made here relayed to the workers. Used by the dashboard app and by the webhooks served alone."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import models
from models.settings import get_settings
from workers.sender import Sender
from workflows import outbox


@contextlib.asynccontextmanager
async def connected() -> AsyncIterator[None]:
    settings = get_settings()
    client = await models.connect(settings.mongodb_url or "", settings.mongodb_database)
    outbox.configure(Sender.for_redis(settings.redis_url or "", settings.redis_namespace).dispatch)
    try:
        yield
    finally:
        outbox.configure(None)
        await client.close()
