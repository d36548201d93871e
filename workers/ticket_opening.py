"""Opening a ticket's channel: the durable second half of the Buy button.

The bot reserves the stock, writes the ticket (with an `open_ticket_channel` outbox entry and
the opening watchdog, `workflows.tickets.OPENING_WATCHDOG`) and answers "being opened"; this
actor does the Discord work, each step found done when it runs again after a crash:

1. the channel: looked for among the guild's channels first (its topic carries the ticket's
   reference), made in a category with room otherwise, then attached to the ticket;
2. the instructions: posted with a nonce derived from the ticket, and recorded;
3. the buyer's reply edited with the channel link (by DM once the interaction's 15 minutes
   are over), then the opening is marked done and the ticket waits on its unpaid expiry.

Outages (DiscordUnavailable) are retried with backoff by Dramatiq; the watchdog re-sends the
work if every copy of the message is lost. When Discord refuses for good (the guild holds its
500 channels, the bot lacks a permission) the ticket is cancelled at once, so its stock is back
on sale within seconds, the buyer is told why and the seller alerted in the log channel.

Categories: the channel list is read and the channel made under one Redis lock per guild
(redis-py's `Lock`), so concurrent openings in every worker process see each other's channels
and n tickets fill ceil(n/50) categories. A lock rather than a per-category counter in
MongoDB because the count that matters is Discord's own (channels a seller made or deleted by
hand count too, and a counter would drift after a creation that failed halfway); Discord
limits channel creation per guild anyway (code 20029), so serialising it costs no throughput.
"""

from __future__ import annotations

import logging

import dramatiq
from redis.exceptions import LockError

from models.store import Store, utcnow
from models.ticket import Actor, Ticket, TicketState
from workers import runtime
from workers.broker import broker  # noqa: F401  (sets the global broker before the actor)
from workers.discord import DiscordRejected, DMsClosed, OutgoingMessage
from workers.queues import ACTOR_QUEUES
from workers.setup_check import tell_seller_tickets_blocked
from workers.ticket_instructions import instructions
from workers.ticket_instructions import nonce as _nonce
from workflows import outbox, ticket_channel, tickets, wallet
from workflows.actor_names import ActorName
from workflows.errors import TicketNotFound, TransitionNotAllowed
from workflows.i18n import text
from workflows.products import get_store

log = logging.getLogger(__name__)

# topics/opcodes-and-status-codes.mdx, JSON Error Codes.
MAX_GUILD_CHANNELS = 30013
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
INVALID_FORM_BODY = 50035  # also "Maximum number of channels in category reached (50)"
# The lock outlives the slowest allocation (a create waiting out Discord's per-guild limit)
# but not Dramatiq's 120 s time limit of the message holding it.
LOCK_HOLD_S = 100
LOCK_WAIT_S = 60


def _lock(guild_id: int):  # type: ignore[no-untyped-def]
    rt = runtime.current()
    name = f"{rt.settings.redis_namespace}:ticket-categories:{guild_id}"
    return rt.redis.lock(name, timeout=LOCK_HOLD_S, blocking_timeout=LOCK_WAIT_S)


@dramatiq.actor(
    queue_name=ACTOR_QUEUES[ActorName.OPEN_TICKET_CHANNEL], actor_name=ActorName.OPEN_TICKET_CHANNEL.value
)
async def open_ticket_channel(ticket_id: str, outbox_entry_id: str | None = None) -> None:
    """Make the ticket's channel, post its instructions and tell the buyer where it is."""
    try:
        ticket = await tickets.get_ticket(ticket_id)
    except TicketNotFound:
        log.warning("ticket %s does not exist; opening dropped", ticket_id)
        return
    opening = ticket.opening
    if opening is None or opening.done_at is not None:
        return await outbox.consume(ticket.id, outbox_entry_id)
    store = await get_store(ticket.guild_id)
    if ticket.state is TicketState.CLOSED:  # cancelled or expired before its channel was ready
        return await tickets.opening_done(ticket)
    if ticket.channel_id is None and ticket.expires_at and ticket.expires_at <= utcnow():
        return await _give_up(ticket, store, "expire", text(store.locale, "opening.expired"), None)
    try:
        channel_id = ticket.channel_id or await _make_channel(ticket, store)
        if opening.instructions_message_id is None:
            balance = await wallet.balance(ticket.guild_id, ticket.buyer_id)  # "Pay with saldo"?
            posted = instructions(store, ticket, balance)
            message_id = await runtime.current().discord.post(channel_id, posted)
            await tickets.note_instructions(ticket.id, message_id)
    except DiscordRejected as error:
        if _category_filled_meanwhile(error):
            raise TimeoutError("the ticket category filled up meanwhile; trying again") from error
        return await _refused(ticket, store, error)
    await _tell_buyer(ticket, store, text(store.locale, "buy.opened", channel=channel_id), channel_id)
    await tickets.opening_done(ticket)


async def _make_channel(ticket: Ticket, store: Store) -> int:
    """The ticket's channel, found or made, and attached to the ticket."""
    discord = runtime.current().discord
    try:
        async with _lock(ticket.guild_id):
            fresh = await tickets.get_ticket(ticket.id)
            if fresh.channel_id is not None:  # another copy of this message made it meanwhile
                return fresh.channel_id
            store = await get_store(ticket.guild_id)  # its categories as they are now
            channels = await discord.guild_channels(ticket.guild_id)  # type: ignore[attr-defined]
            channel = ticket_channel.find_ticket_channel(channels, ticket.id)
            if channel is None:
                category_id = await _category(store, channels)
                heading = text(
                    store.locale, "opening.topic", number=ticket.number, product=ticket.product.name
                )
                channel = await discord.create_channel(  # type: ignore[attr-defined]
                    ticket.guild_id,
                    ticket_channel.TEXT_CHANNEL,
                    name=ticket_channel.channel_name(
                        ticket.buyer_name or str(ticket.buyer_id), ticket.product.name
                    ),
                    parent_id=category_id,
                    topic=ticket_channel.topic(heading, ticket.id),
                    permission_overwrites=ticket_channel.overwrites(
                        ticket.guild_id,
                        ticket.buyer_id,
                        await discord.bot_user_id(),  # type: ignore[attr-defined]
                        store.tickets.seller_role_ids,
                    ),
                )
            parent = channel.get("parent_id")
            channel_id = int(channel["id"])
            await tickets.attach_channel(ticket.id, channel_id, int(parent) if parent else None)
            return channel_id
    except LockError as error:  # waited too long for the guild: Dramatiq tries again later
        raise TimeoutError(f"ticket categories of guild {ticket.guild_id} busy") from error


async def _category(store: Store, channels: list[dict]) -> int | None:
    """The store's first category with room; a new overflow category when all are full (none
    when the store has no ticket category: the channel goes at the top of the guild)."""
    configured = store.tickets.category_ids
    if not configured:
        return None
    found = ticket_channel.category_with_room(channels, configured)
    if found is not None:
        return found
    made = ticket_channel.unrecorded_overflow(channels, configured)
    if made is None:
        category = await runtime.current().discord.create_channel(  # type: ignore[attr-defined]
            store.guild_id, ticket_channel.CATEGORY, name=ticket_channel.overflow_name(configured)
        )
        made = int(category["id"])
    await Store.get_pymongo_collection().update_one(
        {"_id": store.id},
        {"$addToSet": {"tickets.category_ids": made, "tickets.overflow_category_ids": made}},
    )
    log.info("guild %s: ticket categories full, opened overflow category %s", store.guild_id, made)
    return made


async def remove_empty_overflow(guild_id: int, category_id: int) -> bool:
    """After a ticket channel was deleted: remove its category if the bot made it as overflow
    and it holds no channel any more (under the guild's lock, so no opening is putting a
    channel in it right now). True when removed."""
    store = await get_store(guild_id)
    if category_id not in store.tickets.overflow_category_ids:
        return False
    discord = runtime.current().discord
    try:
        async with _lock(guild_id):
            channels = await discord.guild_channels(guild_id)  # type: ignore[attr-defined]
            if ticket_channel.children(channels).get(category_id, 0):
                return False
            await discord.delete_channel(category_id)
            await Store.get_pymongo_collection().update_one(
                {"_id": store.id},
                {
                    "$pull": {
                        "tickets.category_ids": category_id,
                        "tickets.overflow_category_ids": category_id,
                    }
                },
            )
    except LockError:
        log.info("guild %s busy; overflow category %s left for later", guild_id, category_id)
        return False
    log.info("guild %s: removed empty overflow category %s", guild_id, category_id)
    return True


def _code(error: DiscordRejected) -> int | None:
    return getattr(error.__cause__, "code", None)


def _category_filled_meanwhile(error: DiscordRejected) -> bool:
    """Someone filled the chosen category by hand between our read and our create."""
    return _code(error) == INVALID_FORM_BODY and "parent_id" in str(error)


async def _refused(ticket: Ticket, store: Store, error: DiscordRejected) -> None:
    """Discord will not open this ticket's channel: cancel, tell the buyer, alert the seller."""
    code = _code(error)
    log.warning("ticket %s: Discord refused its channel: %s", ticket.id, error)
    if code in (MISSING_PERMISSIONS, MISSING_ACCESS):
        buyer_text = text(store.locale, "setup_check.buy_blocked")
    elif code == MAX_GUILD_CHANNELS:
        buyer_text = text(store.locale, "opening.guild_full")
    else:
        buyer_text = text(store.locale, "opening.failed")
    await _give_up(ticket, store, "cancel", buyer_text, error)


async def _give_up(
    ticket: Ticket, store: Store, how: str, buyer_text: str, error: DiscordRejected | None
) -> None:
    try:
        if how == "expire":
            await tickets.expire(ticket)
        else:
            # The cancel releases the stock at once: a buyer told "sold out" a moment later
            # would be told wrong otherwise.
            await tickets.cancel(
                ticket, Actor.system("ticket opening"), "ticket channel could not be created"
            )
    except TransitionNotAllowed:
        pass  # moved on meanwhile (paid, cancelled): nothing to undo
    await _tell_buyer(ticket, store, buyer_text, None)
    if error is not None:
        await _alert_seller(ticket, store, error)
    await tickets.opening_done(ticket)  # also consumes the opening's outbox entries


async def _tell_buyer(ticket: Ticket, store: Store, content: str, channel_id: int | None) -> None:
    """Edit the buyer's "being opened" reply while its token is valid, else DM them."""
    discord = runtime.current().discord
    opening = ticket.opening
    assert opening is not None
    if opening.interaction_token and opening.token_expires_at and opening.token_expires_at > utcnow():
        try:
            await discord.edit_interaction_reply(  # type: ignore[attr-defined]
                opening.application_id, opening.interaction_token, content
            )
            return
        except DiscordRejected as error:  # expired or gone: the DM below says it instead
            log.info("ticket %s: could not edit the buyer's reply (%s); sending a DM", ticket.id, error)
    if channel_id is not None:
        content = text(
            store.locale, "opening.ready_dm", number=ticket.number, store=store.name, channel=channel_id
        )
    try:
        await discord.send_dm(ticket.buyer_id, OutgoingMessage(content=content, nonce=_nonce("q", ticket)))
    except DMsClosed:
        log.info("ticket %s: the buyer's DMs are closed; they find the ticket in the server", ticket.id)


async def _alert_seller(ticket: Ticket, store: Store, error: DiscordRejected) -> None:
    """One alert in the store's log channel, in the store's language."""
    if _code(error) in (MISSING_PERMISSIONS, MISSING_ACCESS):
        discord = runtime.current().discord
        await tell_seller_tickets_blocked(
            discord.http,  # type: ignore[attr-defined]
            store,
            await discord.bot_user_id(),  # type: ignore[attr-defined]
            ticket.buyer_id,
            ticket.number,
        )
        return
    if not store.log_channel_id:
        return
    if _code(error) == MAX_GUILD_CHANNELS:
        content = text(store.locale, "opening.seller_guild_full", buyer=ticket.buyer_id, number=ticket.number)
    else:
        reason = str(error)[:200]
        content = text(
            store.locale, "opening.seller_failed", buyer=ticket.buyer_id, number=ticket.number, reason=reason
        )
    try:
        await runtime.current().discord.post(
            store.log_channel_id,
            OutgoingMessage(content=content, nonce=_nonce("a", ticket)),
            guild_id=store.guild_id,
        )
    except Exception:  # the ticket's history says why it was cancelled anyway
        log.exception("ticket %s: could not alert the seller", ticket.id)
