"""Retries with backoff for I/O errors only.

A database blip, a Redis reconnect or Discord being down is worth retrying; a bug or a
refusal (unknown channel, missing access) is not: it goes straight to the dead-letter queue,
where operators see it with its traceback and can retry it by hand.
"""

from __future__ import annotations

import redis.exceptions
from pymongo.errors import AutoReconnect, ConnectionFailure, NetworkTimeout, WTimeoutError

from workers.discord import DiscordUnavailable

MAX_RETRIES = 12
MIN_BACKOFF_MS = 500
MAX_BACKOFF_MS = 5 * 60_000

TRANSIENT: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    AutoReconnect,
    ConnectionFailure,
    NetworkTimeout,
    WTimeoutError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    DiscordUnavailable,
)


def is_transient(error: BaseException) -> bool:
    """True for failures of the outside world that a later attempt may not meet."""
    return isinstance(error, TRANSIENT)


def should_retry(retries: int, error: BaseException) -> bool:
    """Dramatiq's `retry_when`: transient errors, up to MAX_RETRIES times."""
    return retries < MAX_RETRIES and is_transient(error)
