"""Cancel (buyer before payment, or seller), only once confirmed: the first click asks, Yes
cancels (the stock goes back on the shelf), No leaves the ticket as it was. The question is
ephemeral, shown to the one who clicked, in the store's language."""

from __future__ import annotations

import discord

from bot import replies
from bot.people import actor
from models.store import Store
from models.ticket import TicketOutcome, TicketState
from workflows import tickets
from workflows.discord_contract.components import ButtonStyle
from workflows.discord_contract.custom_ids import Action
from workflows.errors import TransitionNotAllowed
from workflows.i18n import text


async def on_cancel(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    """cancel:<ticket>: ask first (nothing changes yet)."""
    ticket = await tickets.get_ticket(ticket_id)
    await replies.ask(
        interaction,
        text(store.locale, "contract.cancel_question", number=ticket.number),
        ticket_id,
        (Action.CANCEL_CONFIRM, text(store.locale, "contract.cancel_yes"), ButtonStyle.DANGER),
        (Action.CANCEL_KEEP, text(store.locale, "contract.cancel_no"), ButtonStyle.SECONDARY),
    )


async def on_cancel_confirm(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    """cancel_confirm:<ticket>: Yes. Clicked twice (or after a seller cancelled meanwhile), the
    ticket is cancelled once and both clicks are told so."""
    await replies.ack(interaction)
    by = actor(interaction.user, store)
    try:
        result = await tickets.cancel(ticket_id, by, "cancelled in Discord")
        ticket, lost_race = result.ticket, replies.lost_race(store.locale, result.ticket)
    except TransitionNotAllowed:  # already closed: cancelled by the first click, or otherwise
        ticket, lost_race = await tickets.get_ticket(ticket_id), ""
        if ticket.outcome is not TicketOutcome.CANCELLED:
            raise
    if ticket.state is TicketState.CLOSED and ticket.outcome is TicketOutcome.CANCELLED:
        await replies.say(interaction, text(store.locale, "contract.cancelled", number=ticket.number))
    else:  # a lost race that left it otherwise (a seller verified it first)
        await replies.say(interaction, lost_race)


async def on_cancel_keep(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    """cancel_keep:<ticket>: No; the ticket stays as it was."""
    ticket = await tickets.get_ticket(ticket_id)
    await replies.say(interaction, text(store.locale, "contract.kept", number=ticket.number))
