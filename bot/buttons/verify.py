"""Verify and Reject (sellers only): the payment arrived, or it did not."""

from __future__ import annotations

import discord

from bot import replies
from bot.people import actor, is_seller
from models.store import Store
from workflows import tickets
from workflows.i18n import text


async def on_verify(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    if not is_seller(interaction.user, store):
        await replies.say(interaction, text(store.locale, "ticket.not_seller"))
        return
    await replies.ack(interaction)
    result = await tickets.verify(ticket_id, actor(interaction.user, store))
    message = (
        text(store.locale, "ticket.verified", number=result.ticket.number)
        if result.applied
        else result.message
    )
    await replies.say(interaction, message)


async def on_reject(interaction: discord.Interaction, store: Store, ticket_id: str) -> None:
    if not is_seller(interaction.user, store):
        await replies.say(interaction, text(store.locale, "ticket.not_seller"))
        return
    await replies.ack(interaction)
    result = await tickets.reject_payment(ticket_id, actor(interaction.user, store), "payment not received")
    await replies.say(interaction, result.message or "ok")
