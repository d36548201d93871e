"""Which queue each actor listens on. Separate queues keep a slow archive from delaying a delivery
and let operators see, per concern, what is waiting."""

from __future__ import annotations

from workflows.actor_names import ActorName

ACTOR_QUEUES: dict[ActorName, str] = {
    # Its own queue: a flash sale's channels wait on Discord's channel-creation limit, and
    # must not hold up deliveries or notices meanwhile.
    ActorName.OPEN_TICKET_CHANNEL: "opening",
    ActorName.VERIFY_PAYMENT: "payments",
    ActorName.REFUND_SALDO: "payments",
    ActorName.DELIVER_PRODUCT: "delivery",
    ActorName.RESEND_PRODUCT: "delivery",
    ActorName.PROMPT_RATING: "delivery",
    ActorName.NOTIFY_TICKET: "notices",
    ActorName.TELL_REFUND: "notices",
    ActorName.SETTLE_PAYMENT_PROMPT: "notices",
    ActorName.AUTO_CLOSE: "timers",
    ActorName.EXPIRE_UNPAID: "timers",
    ActorName.ARCHIVE_TRANSCRIPT: "archive",
    ActorName.SETTLE_ROLE_GRANT: "timers",
}
assert set(ACTOR_QUEUES) == set(ActorName), "every actor has a queue"

QUEUES = sorted(set(ACTOR_QUEUES.values()))
