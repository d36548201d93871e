"""The sellers' "please verify" prompt ends with its report: once the ticket is verified or the
report rejected (by a seller in Discord, on the dashboard, or by an automatic match), the
prompt is edited to say who did it and its Verify/Reject buttons go, so nobody presses a
button whose work is already done."""

from __future__ import annotations

import logging

from models.ticket import Ticket
from workers import runtime
from workers.discord import DiscordRejected
from workers.ticket_actor import registered, with_ticket
from workflows import outbox, tickets
from workflows.i18n import text
from workflows.products import cached_store

log = logging.getLogger(__name__)


def outcome(ticket: Ticket, locale: str) -> str | None:
    """What the prompt says once its report is settled; None while sellers still have to
    look (the latest report is neither verified nor rejected)."""
    if ticket.verification is not None:
        by = ticket.verification.by
        name = text(locale, "clicks.automatic_match") if ticket.verification.automatic else by.name
        return text(locale, "clicks.prompt_verified", number=ticket.number, name=name or "?")
    if tickets.already_done(ticket, "reject_payment"):
        entry = next(h for h in reversed(ticket.history) if h.trigger == "reject_payment")
        name = entry.by.name or "?"
        return text(locale, "clicks.prompt_rejected", number=ticket.number, name=name, reason=entry.reason)
    return None


async def settle(ticket: Ticket) -> bool:
    """Edit the ticket's prompt to its outcome, without buttons. Idempotent (an edit to the
    same text changes nothing). False when there is no prompt or nothing to say yet."""
    if ticket.verify_prompt_id is None or ticket.channel_id is None:
        return False
    store = await cached_store(ticket.guild_id)
    said = outcome(ticket, store.locale)
    if said is None:
        return False
    try:
        await runtime.current().discord.edit_message(ticket.channel_id, ticket.verify_prompt_id, said, [])
    except DiscordRejected as error:  # the channel or the prompt is gone: nothing left to edit
        log.info("ticket %s: its verify prompt could not be edited (%s)", ticket.id, error)
    return True


@registered
@with_ticket()
async def settle_payment_prompt(ticket: Ticket, outbox_entry_id: str | None = None) -> None:
    """The ticket was verified or its report rejected: its prompt says so (`settle`)."""
    # A prompt still being posted (verify_payment) has no id yet: that actor settles it
    # itself right after noting the id, so nothing is missed.
    await settle(ticket)
    await outbox.consume(ticket.id, outbox_entry_id)


async def posted(ticket: Ticket, message_id: int) -> None:
    """verify_payment posted the prompt: note it, then settle it at once if the report was
    verified or rejected while it was being posted (the settle actor found no prompt then)."""
    await tickets.note_verify_prompt(ticket.id, message_id)
    await settle(await tickets.get_ticket(ticket.id))
