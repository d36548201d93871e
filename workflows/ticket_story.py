"""A ticket's history told in the shop's words ("Budi chose BCA", "The seller verified the
payment"), with people's names instead of ids and store times instead of UTC timestamps.

The history entries (`models.ticket.HistoryEntry`) keep the machine's trigger names and
free-form reasons for the engine and for audits; sellers and buyers read this instead, on the
dashboard's ticket page and in the transcript.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from models.ticket import Actor, HistoryEntry, Ticket, TicketState
from workflows.i18n import text

# Indonesian sellers and buyers read times in Western Indonesia Time; the store has no time
# zone setting of its own yet, so every store tells time in WIB.
STORE_ZONE = ZoneInfo("Asia/Jakarta")

# Triggers made by the store itself (timers, payment matching, workers): the story says what
# happened, not which internal part did it.
_AUTOMATIC = "system"

# The reasons the store's own buttons record when a person cancels without saying why
# (workflows/tickets.py, bot/buttons/cancel.py and close.py, web/pages/ticket.py): not news.
_UNSAID = frozenset(
    {"cancelled", "cancelled in Discord", "cancelled by the seller", "closed in Discord before completion"}
)


@dataclass(frozen=True)
class Chapter:
    """One line of the story: when (already in the store's time) and what happened."""

    at: str
    says: str


def local_time(at: datetime, locale: str) -> str:
    """`2026-12-03 10:05 UTC` → "3 Des 2026 17.05 WIB" (id) / "3 Dec 2026, 17:05 WIB" (en)."""
    if at.tzinfo is None:  # MongoDB hands datetimes back naive, in UTC
        at = at.replace(tzinfo=UTC)
    local = at.astimezone(STORE_ZONE)
    months = text(locale, "story.months").split()
    written = text(
        locale,
        "story.time",
        day=local.day,
        month=months[local.month - 1],
        year=local.year,
        hour=f"{local.hour:02d}",
        minute=f"{local.minute:02d}",
    )
    return f"{written} {text(locale, 'story.zone')}"


def who(actor: Actor, ticket: Ticket, locale: str) -> str:
    """The person behind an entry by name: the buyer's name on the ticket, a seller's Discord
    name, or "the seller" when none was recorded."""
    if actor.kind == "buyer":
        return actor.name or ticket.buyer_name or text(locale, "story.someone")
    if actor.kind == _AUTOMATIC:
        return text(locale, "story.store")
    return actor.name or text(locale, "story.seller").capitalize()


def _method(reason: str) -> str:
    # `choose_payment_method` records "<kind>: <provider>" (workflows/tickets.py).
    return reason.split(": ", 1)[1] if ": " in reason else reason


def tell_entry(entry: HistoryEntry, ticket: Ticket, locale: str) -> str:
    """One history entry as a sentence a seller or buyer understands."""
    by = who(entry.by, ticket, locale)
    automatic = entry.by.kind == _AUTOMATIC
    say = lambda key, **values: text(locale, f"story.history.{key}", who=by, **values)  # noqa: E731
    match entry.trigger:
        case "open":
            return say("open", number=ticket.number, product=f"{ticket.product.name} × {ticket.quantity}")
        case "choose_payment_method":
            return say("choose_payment_method", method=_method(entry.reason))
        case "report_payment":
            return say("report_payment")
        case "reject_payment":
            return say("reject_payment", reason=entry.reason)
        case "verify" if entry.reason == "paid from saldo":  # `workflows.saldo_payments.pay`
            return text(locale, "saldo_s2.history_paid", who=by)
        case "verify":
            return say("verify_auto") if automatic else say("verify")
        case "complete":
            return say("complete") if automatic else say("complete_by")
        case "close":
            return say("close_auto") if automatic else say("close")
        case "cancel":
            if automatic:
                return say("cancel_auto")
            # A person's own words are kept.
            custom = entry.reason and entry.reason not in _UNSAID
            return say("cancel_reason", reason=entry.reason) if custom else say("cancel")
        case "expire":
            return say("expire")
        case "apply_coupon":  # `workflows.tickets.apply_coupon`: the reason is the code
            return text(locale, "coupons.history", who=by, code=entry.reason)
        case "refund":  # `workflows.saldo_payments.refund`: the reason is the amount
            return text(locale, "saldo_s2.history_refund", who=by, amount=entry.reason)
        case "resend":  # `workflows.orders.resend`: the buyer had the delivery sent again
            return text(locale, "orders.history", who=by)
    return say("other")


def tell(ticket: Ticket, locale: str) -> list[Chapter]:
    """The ticket's whole history, oldest first."""
    return [Chapter(local_time(h.at, locale), tell_entry(h, ticket, locale)) for h in ticket.history]


def awaiting_verification(ticket: Ticket) -> bool:
    """The buyer said "I have paid" and no seller has answered yet: only an open ticket can be
    waiting (a verified, closed or cancelled one is past that)."""
    return ticket.payment_report is not None and ticket.state is TicketState.OPEN
