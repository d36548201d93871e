"""The names of the Dramatiq actors that move tickets on (not the people who act on a ticket:
those are `models.ticket.Actor`). The domain names them in outbox entries and timers
(`workflows.tickets`), the workers register under them and route them to their queues
(`workers.queues`); one enum, so a misspelt name fails at import, not in a queue."""

from __future__ import annotations

from enum import StrEnum


class ActorName(StrEnum):
    OPEN_TICKET_CHANNEL = "open_ticket_channel"
    VERIFY_PAYMENT = "verify_payment"
    DELIVER_PRODUCT = "deliver_product"
    RESEND_PRODUCT = "resend_product"  # a delivered order sent again at its buyer's request
    PROMPT_RATING = "prompt_rating"
    NOTIFY_TICKET = "notify_ticket"
    SETTLE_PAYMENT_PROMPT = "settle_payment_prompt"
    AUTO_CLOSE = "auto_close"
    EXPIRE_UNPAID = "expire_unpaid"
    ARCHIVE_TRANSCRIPT = "archive_transcript"
    # A ticket paid from saldo was cancelled: its money back to the buyer's saldo (issue 21).
    REFUND_SALDO = "refund_saldo"
    TELL_REFUND = "tell_refund"  # a seller refunded a ticket to saldo: the buyer is told by DM
    SETTLE_ROLE_GRANT = "settle_role_grant"  # a role on purchase (takes a grant id, not a ticket's)
