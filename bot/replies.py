"""Answering an interaction in the store's language, ephemerally, within Discord's 3 s."""

from __future__ import annotations

import discord

from bot.components import view
from models.ticket import Ticket
from workflows.blacklist import Blacklisted
from workflows.discord_contract import components, custom_ids
from workflows.discord_contract.components import ButtonStyle
from workflows.discord_contract.custom_ids import Action
from workflows.errors import CooldownActive, InvalidInput, SoldOut, StoreError, TooManyOpenTickets
from workflows.i18n import text


async def ack(interaction: discord.Interaction) -> None:
    """Acknowledge at once (the real work may take longer than 3 s)."""
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True)


async def say(interaction: discord.Interaction, message: str, **extra: object) -> None:
    """An ephemeral answer, whether or not the interaction was acknowledged already."""
    if interaction.response.is_done():
        await interaction.followup.send(message, ephemeral=True, **extra)
    else:
        await interaction.response.send_message(message, ephemeral=True, **extra)


Answer = tuple[Action, str, ButtonStyle]  # what the button does, its label, its style


async def ask(interaction: discord.Interaction, question: str, ticket_id: str, *answers: Answer) -> None:
    """An ephemeral question about a ticket with its answers as buttons (a confirmation before
    something that cannot be undone); the router answers the buttons by their custom ids."""
    buttons = [
        components.button(custom_ids.ticket(does, ticket_id), label, style) for does, label, style in answers
    ]
    await say(interaction, question, view=view([components.row(*buttons)]))


def lost_race(locale: str, ticket: Ticket) -> str:
    """Someone else moved the ticket first: where it is now, in the store's words (the
    transition's own message is English, for logs)."""
    state = text(locale, f"lost_race.state.{ticket.state.value}")
    return text(locale, "lost_race.said", number=ticket.number, state=state)


def refusal(locale: str, error: StoreError) -> str:
    """A domain refusal in the buyer's words."""
    if isinstance(error, SoldOut):
        return text(locale, "error.sold_out", product=error.product)
    if isinstance(error, TooManyOpenTickets):
        return text(locale, "error.too_many_open_tickets")
    if isinstance(error, CooldownActive):
        return text(locale, "error.cooldown", seconds=error.retry_after_s)
    if isinstance(error, Blacklisted):  # said whole, politely, without the sellers' reason
        return error.in_locale(locale)
    if isinstance(error, InvalidInput):  # a field named in the shop's words, in the store's language
        return text(locale, "error.generic", reason=error.in_locale(locale))
    return text(locale, "error.generic", reason=error.in_locale(locale))  # keyed: in the buyer's words
