"""Which queue each actor listens on. Separate queues keep a slow archive from delaying a delivery
and let operators see, per concern, what is waiting."""

from __future__ import annotations

ACTOR_QUEUES: dict[str, str] = {
    # Its own queue: a flash sale's channels wait on Discord's channel-creation limit, and
    # must not hold up deliveries or notices meanwhile.
    "open_ticket_channel": "opening",
    "verify_payment": "payments",
    "deliver_product": "delivery",
    "prompt_rating": "delivery",
    "notify_ticket": "notices",
    "settle_payment_prompt": "notices",
    "auto_close": "timers",
    "expire_unpaid": "timers",
    "archive_transcript": "archive",
}

QUEUES = sorted(set(ACTOR_QUEUES.values()))
