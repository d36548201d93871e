"""Verify and Reject (sellers only): the payment arrived, or it did not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord

from bot import replies
from bot.people import actor, is_seller
from models.store import Store
from models.ticket import Actor
from workflows import tickets
from workflows.errors import TransitionNotAllowed
from workflows.i18n import text
from workflows.tickets import TransitionResult


async def _settled(ticket_id: str, trigger: str, store: Store) -> str | None:
    """The answer for a seller whose Verify/Reject came after someone else's (a double
    click, another seller, the automatic match): the ticket is as they asked, so it is a
    success, not an error (the prompt itself is edited by `workers.prompts`)."""
    ticket = await tickets.get_ticket(ticket_id)
    if not tickets.already_done(ticket, trigger):
        return None
    if trigger == "verify" and ticket.verification is not None:
        by = ticket.verification
        name = text(store.locale, "clicks.automatic_match") if by.automatic else by.by.name
        return text(store.locale, "clicks.already_verified", number=ticket.number, name=name)
    return text(store.locale, "clicks.already_rejected", number=ticket.number)


async def on_verify(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    await _answer(
        interaction,
        store,
        ticket_id,
        lambda seller: tickets.verify(ticket_id, seller),
        lambda done: text(store.locale, "ticket.verified", number=done.ticket.number),
        own_trigger="verify",
    )


async def on_reject(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    await _answer(
        interaction,
        store,
        ticket_id,
        lambda seller: tickets.reject_payment(ticket_id, seller, "payment not received"),
        lambda done: text(store.locale, "clicks.already_rejected", number=done.ticket.number),
        own_trigger="reject_payment",
    )


async def _answer(
    interaction: discord.Interaction,
    store: Store,
    ticket_id: str,
    attempt: Callable[[Actor], Awaitable[TransitionResult]],
    applied: Callable[[TransitionResult], str],
    own_trigger: str,
) -> None:
    """Sellers only; one answer whoever came first. A transition refused because the ticket
    was verified meanwhile, or a lost race that left the ticket as this seller asked, is
    answered as the success it is."""
    if not is_seller(interaction.user, store):
        await replies.say(interaction, text(store.locale, "ticket.not_seller"))
        return
    await replies.ack(interaction)
    try:
        result = await attempt(actor(interaction.user, store))
    except TransitionNotAllowed:
        message = await _settled(ticket_id, "verify", store)  # verified first: a Reject came too late
        if message is None:
            raise
        await replies.say(interaction, message)
        return
    if result.applied:
        message = applied(result)
    else:
        message = await _settled(ticket_id, own_trigger, store) or replies.lost_race(
            store.locale, result.ticket
        )
    await replies.say(interaction, message)
