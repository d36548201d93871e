"""Close (buyer or seller), with a confirmation: a completed ticket closes and is archived;
an unpaid one is cancelled."""

from __future__ import annotations

import discord

from bot import replies
from bot.people import actor
from models.store import Store
from models.ticket import TicketState
from workflows import tickets
from workflows.discord_contract.components import ButtonStyle
from workflows.discord_contract.custom_ids import Action
from workflows.i18n import text


async def on_close(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    ticket = await tickets.get_ticket(ticket_id)
    question = text(store.locale, "ticket.close_question", number=ticket.number)
    close = (Action.CLOSE_CONFIRM, text(store.locale, "ticket.close_confirm"), ButtonStyle.DANGER)
    await replies.ask(interaction, question, ticket_id, close)


async def on_close_confirm(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    await replies.ack(interaction)
    ticket = await tickets.get_ticket(ticket_id)
    by = actor(interaction.user, store)
    if by.kind == "buyer" and interaction.user.id != ticket.buyer_id:
        await replies.say(interaction, text(store.locale, "ticket.not_seller"))
        return
    if ticket.state is TicketState.COMPLETED:
        result = await tickets.close(ticket, by, "closed in Discord")
    else:
        result = await tickets.cancel(ticket, by, "closed in Discord before completion")
    if not result.applied:
        await replies.say(interaction, replies.lost_race(store.locale, result.ticket))
        return
    await replies.say(interaction, text(store.locale, "ticket.closing"))
