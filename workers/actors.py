"""The actors that move tickets on. Run them with `dramatiq workers.actors`.

Every actor is idempotent: it first looks at the ticket and does nothing when the work is
already done (delivery is at-least-once). Discord messages carry a nonce so a message re-sent
after a crash appears once. A transition another actor already made is a no-op, not an error.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from models import batch
from models.store import Store, utcnow
from models.ticket import Actor, DeliveryRecord, Ticket, TicketState, TranscriptRecord
from models.ticket_message import TicketMessage
from workers import (  # prompts, role_grants, ticket_opening: actors
    prompts,
    retry_policy,
    role_grants,
    runtime,
    ticket_opening,
)
from workers.discord import Attachment, ChannelOutsideStore, DiscordRejected, DMsClosed, OutgoingMessage
from workers.discord_budget import low_priority
from workers.ticket_actor import registered, with_ticket
from workflows import blacklist, delivery, orders, outbox, payments, saldo_payments, tickets, timers
from workflows import role_grants as grants
from workflows.discord_contract import components, custom_ids
from workflows.discord_contract.components import ButtonStyle
from workflows.discord_contract.custom_ids import Action
from workflows.discord_contract.embeds import Embed
from workflows.errors import TransitionNotAllowed
from workflows.i18n import text
from workflows.message_limits import UPLOAD_MAX_BYTES
from workflows.money import format_amount
from workflows.products import cached_store
from workflows.transcript import render_html

log = logging.getLogger(__name__)

# The posted transcript stays this far under the upload limit (reference.mdx, Uploading Files:
# 10 MiB a file) so the multipart request around it is never the one byte too many.
TRANSCRIPT_POSTED_MAX = UPLOAD_MAX_BYTES - 512 * 1024
# JSON error codes (topics/opcodes-and-status-codes.mdx) the seller can act on.
UNKNOWN_CHANNEL = 10003
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
FILE_TOO_LARGE = 40005


def _nonce(kind: str, *parts: object) -> str:
    return kind + hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:24]


@registered
@with_ticket([TicketState.OPEN], when=lambda ticket: ticket.payment_report is not None)
async def verify_payment(ticket: Ticket, outbox_entry_id: str | None = None) -> None:
    """A buyer reported a payment: verify it automatically if the money is seen, else ask sellers.
    A report from a blacklisted buyer or payer is never verified automatically: the sellers
    are asked, with a warning saying who it matched (`workflows.blacklist.flag_report`)."""
    flagged = await blacklist.flag_report(ticket)
    if flagged is None and await payments.verify_automatically(ticket, outbox_entry_id):
        return
    if ticket.channel_id is None:
        return await outbox.consume(ticket.id, outbox_entry_id)
    store = await cached_store(ticket.guild_id)
    report = ticket.payment_report
    assert report is not None  # `with_ticket`'s condition
    mentions = " ".join(f"<@&{role}>" for role in store.tickets.seller_role_ids)
    content = text(
        store.locale,
        "notice.payment_reported",
        number=ticket.number,
        amount=format_amount(ticket.amount_due, ticket.currency),
        reference=report.reference,
    )
    if flagged is not None:
        content += "\n" + blacklist.warning(flagged, store.locale)
    prompt_id = await runtime.current().discord.post(
        ticket.channel_id,
        OutgoingMessage(
            content=f"{mentions} {content}".strip(),
            components=[
                components.row(
                    components.button(
                        custom_ids.ticket(Action.VERIFY, ticket.id),
                        text(store.locale, "story.verify"),
                        ButtonStyle.SUCCESS,
                    ),
                    components.button(
                        custom_ids.ticket(Action.REJECT, ticket.id),
                        text(store.locale, "story.reject"),
                        ButtonStyle.DANGER,
                    ),
                )
            ],
            nonce=_nonce("p", ticket.id, report.reported_at.isoformat()),
        ),
    )
    await prompts.posted(ticket, prompt_id)
    await outbox.consume(ticket.id, outbox_entry_id)


@registered
@with_ticket([TicketState.PAID])
async def deliver_product(ticket: Ticket, outbox_entry_id: str | None = None) -> None:
    """Send the product to the buyer by DM (in the ticket when DMs are closed), then complete."""
    rt = runtime.current()
    store = await cached_store(ticket.guild_id)
    content = await delivery.compose(ticket, store, rt.cipher)
    # Before anything is sent: a seller cancelling from now on does not put these keys back
    # on sale (the buyer may already have them); one who cancelled already stops the delivery.
    if not await delivery.hand_over(ticket):
        log.info("ticket %s stopped waiting for delivery before it was sent; nothing sent", ticket.id)
        return await outbox.consume(ticket.id, outbox_entry_id)
    # A product that gives a role: its grant is written before the key leaves, so a worker that
    # dies after the DM still gives the role (the grant looks at the ticket when it comes due).
    grant = await grants.expect(ticket)
    receipt = orders.receipt(ticket, store, await orders.method_names([ticket]))
    try:
        message_id, via = await _send_product(ticket, store.locale, content, receipt)
    except Exception as error:
        if not retry_policy.is_transient(error):  # retrying will not help: tell the seller
            await _report_delivery_problem(ticket, store, error)
        raise
    record = DeliveryRecord(via=via, message_id=message_id, item_count=ticket.quantity, delivered_at=utcnow())
    result = await tickets.complete(ticket, record, consumed=outbox_entry_id, handed_over=True)
    if grant is not None and await grants.delivered(ticket.id):
        await rt.sender.relay(role_grants.settle_role_grant.actor_name, grant_id=str(grant.id))
    if not result.applied:
        if await tickets.record_delivery_after_close(result.ticket, record):
            log.warning("ticket %s was cancelled while its product was on its way (recorded)", ticket.id)
        else:
            log.info("ticket %s was completed by another delivery attempt", ticket.id)
        await outbox.consume(ticket.id, outbox_entry_id)


async def _send_product(ticket: Ticket, locale: str, content: str, receipt: Embed) -> tuple[int, str]:
    """By DM, else in the ticket channel when the buyer's DMs are closed: (id of the first
    message, where). A delivery too long for one message goes as several, or as a file; the
    receipt embed rides on the last one (issue 20, item 3)."""
    discord = runtime.current().discord
    try:
        parts = delivery.messages(ticket, locale, content)
        return await _send_parts(parts, lambda m: discord.send_dm(ticket.buyer_id, m), receipt), "dm"
    except DMsClosed:
        if ticket.channel_id is None:
            raise
    channel_id = ticket.channel_id
    notice = text(locale, "delivery.dm_closed", buyer=ticket.buyer_id)
    parts = delivery.messages(ticket, locale, content, notice)
    return await _send_parts(parts, lambda m: discord.post(channel_id, m), receipt), "ticket"


async def _send_parts(
    parts: list[delivery.DeliveryMessage],
    send: Callable[[OutgoingMessage], Awaitable[int]],
    receipt: Embed | None = None,
) -> int:
    """Send the parts in order (each with its own nonce), `receipt` with the last; the first
    one's id. A message's embeds count apart from its 2,000 characters of content
    (resources/message.mdx, "Embed Limits": 6,000 for the embeds of one message)."""
    ids = []
    for number, part in enumerate(parts, 1):
        files = (
            [Attachment(filename=part.file[0], content_type="text/plain", data=part.file[1])]
            if part.file
            else []
        )
        shown = [receipt] if receipt is not None and number == len(parts) else []
        outgoing = OutgoingMessage(content=part.content, embeds=shown, files=files, nonce=part.nonce)
        ids.append(await send(outgoing))
    return ids[0]


@registered
@with_ticket([TicketState.CLOSED])
async def refund_saldo(ticket: Ticket, outbox_entry_id: str | None = None) -> None:
    """A ticket paid from saldo was cancelled: the buyer ends with the product or the money,
    never neither, never both. Its keys still on the shelf (no delivery took them): the money
    goes back to the buyer's saldo and the buyer is told by DM
    (`workflows.saldo_payments.refund_cancelled`). Keys a delivery took off the shelf without a
    recorded delivery (a worker killed mid-send, a cancel while the DM was on its way): the
    delivery is finished with its own nonces, so a DM that did leave is not sent twice within
    Discord's nonce window, and recorded on the closed ticket; the money stays paid. A buyer
    Discord refuses DMs to, with no ticket channel (bought from the panel), cannot have had
    them: the money goes back."""
    # A seller who gave all the money back already decided: the key is not sent after it.
    owed = saldo_payments.paid_from_saldo(ticket) and saldo_payments.refundable(ticket) > 0
    unreachable = False
    if owed and ticket.delivery is None and await saldo_payments.handed_over(ticket):
        if await _finish_cancelled_delivery(ticket):
            return await outbox.consume(ticket.id, outbox_entry_id)
        unreachable = True  # Discord refuses the buyer's DMs and there is no channel
    record = await saldo_payments.refund_cancelled(ticket, unreachable=unreachable)
    if record is not None:
        store = await cached_store(ticket.guild_id)
        notice = text(
            store.locale,
            "saldo_s2.refunded_notice",
            amount=format_amount(record.amount, ticket.currency),
            number=ticket.number,
            store=store.name,
        )
        message = OutgoingMessage(content=notice, nonce=_nonce("w", record.wallet_entry_id))
        try:
            with low_priority():
                await runtime.current().discord.send_dm(ticket.buyer_id, message)
        except DMsClosed:
            log.info("ticket %s: refunded to saldo; the buyer's DMs are closed", ticket.id)
    await outbox.consume(ticket.id, outbox_entry_id)


@registered
@with_ticket()
async def tell_refund(ticket: Ticket, refund: str, outbox_entry_id: str | None = None) -> None:
    """A seller refunded the ticket to saldo: the buyer is told by DM how much and why, once
    (`refund` is the refund's ledger entry, whose id is the DM's nonce: a retried message
    sends a DM Discord drops)."""
    told = next((r for r in ticket.refunds if str(r.wallet_entry_id) == refund), None)
    if told is None:  # not a refund of this ticket (a forged or stale message): nothing to say
        return await outbox.consume(ticket.id, outbox_entry_id)
    store = await cached_store(ticket.guild_id)
    notice = text(
        store.locale,
        "saldo_s2.refund_dm",
        store=store.name,
        number=ticket.number,
        product=ticket.product.name,
        amount=format_amount(told.amount, ticket.currency),
        reason=told.reason or "—",
    )
    message = OutgoingMessage(content=notice, nonce=_nonce("w", told.wallet_entry_id))
    try:
        with low_priority():
            await runtime.current().discord.send_dm(ticket.buyer_id, message)
    except DMsClosed:
        log.info("ticket %s: refunded to saldo; the buyer's DMs are closed", ticket.id)
    await outbox.consume(ticket.id, outbox_entry_id)


async def _finish_cancelled_delivery(ticket: Ticket) -> bool:
    """Send the cancelled ticket's handed-over keys (same nonces as its delivery) and record
    it; False when Discord refuses the buyer's DMs and the ticket has no channel to post in."""
    rt = runtime.current()
    store = await cached_store(ticket.guild_id)
    content = await delivery.compose(ticket, store, rt.cipher)
    receipt = orders.receipt(ticket, store, await orders.method_names([ticket]))
    try:
        message_id, via = await _send_product(ticket, store.locale, content, receipt)
    except DMsClosed:
        log.warning("ticket %s: cancelled saldo purchase, keys handed over, buyer unreachable", ticket.id)
        return False
    record = DeliveryRecord(via=via, message_id=message_id, item_count=ticket.quantity, delivered_at=utcnow())
    await tickets.record_delivery_after_close(ticket, record)
    log.warning("ticket %s: cancelled after its keys left the shelf; delivered and recorded", ticket.id)
    return True


@registered
@with_ticket(when=orders.can_resend)
async def resend_product(ticket: Ticket, outbox_entry_id: str | None = None) -> None:
    """A delivered order sent again by DM, at its buyer's request (`workflows.orders.resend`
    checked who asked): the same items with their receipt, under a line saying it is a
    re-send. Each request has its own nonces (from its outbox entry), so it is not taken for
    the first delivery, while a retry of the same request shows up once. Only by DM: the
    ticket channel may be gone, and a closed DM is logged (the buyer sees nothing arrive)."""
    rt = runtime.current()
    store = await cached_store(ticket.guild_id)
    content = await delivery.compose(ticket, store, rt.cipher)
    notice = text(store.locale, "orders.resent_notice", number=ticket.number)
    request = outbox_entry_id or "now"
    parts = [
        dataclasses.replace(part, nonce=_nonce("r", ticket.id, request, number))
        for number, part in enumerate(delivery.messages(ticket, store.locale, content, notice))
    ]
    receipt = orders.receipt(ticket, store, await orders.method_names([ticket]))
    try:
        await _send_parts(parts, lambda m: rt.discord.send_dm(ticket.buyer_id, m), receipt)
    except DMsClosed:
        log.info("ticket %s: re-send not sent, the buyer's DMs are closed", ticket.id)
    else:
        log.info("ticket %s: delivery sent again to its buyer %s", ticket.id, ticket.buyer_id)
    await outbox.consume(ticket.id, outbox_entry_id)


async def _report_delivery_problem(ticket: Ticket, store: Store, error: Exception) -> None:
    """On the ticket (dashboard) and, the first time, in the store's log channel."""
    dms_closed = isinstance(error, DMsClosed)
    problem = (
        "the buyer does not accept direct messages and the ticket has no channel"
        if dms_closed
        else f"Discord refused the delivery ({type(error).__name__}: {error})"
    )
    if not await tickets.note_delivery_problem(ticket.id, problem) or not store.log_channel_id:
        return
    reason = (
        text(store.locale, "delivery.problem_dms_closed")
        if dms_closed
        else text(store.locale, "delivery.problem_refused", error=str(error)[:300])
    )
    content = text(
        store.locale,
        "delivery.failed",
        number=ticket.number,
        product=ticket.product.name,
        buyer=ticket.buyer_id,
        reason=reason,
    )
    try:
        await runtime.current().discord.post(
            store.log_channel_id,
            OutgoingMessage(content=content, nonce=_nonce("f", ticket.id, problem)),
            guild_id=store.guild_id,
        )
    except Exception:  # the dashboard shows it anyway; the delivery's own error is what matters
        log.exception("ticket %s: could not tell the log channel about its failed delivery", ticket.id)


@registered
@with_ticket(when=lambda ticket: ticket.delivery is not None and ticket.rating is None)
async def prompt_rating(ticket: Ticket, by_dm: bool = False, outbox_entry_id: str | None = None) -> None:
    """Ask the buyer for 1–5 stars: in the ticket when it completes, and by DM (`by_dm`, sent
    when the ticket closes unrated) since the ticket's channel, and the prompt in it, is deleted
    then. The star buttons work in a DM: the router finds the store from the ticket."""
    in_channel = ticket.channel_id is not None and ticket.state is TicketState.COMPLETED
    if not by_dm and not in_channel and ticket.state is TicketState.CLOSED:
        # Closed before this prompt went out: the close asks by DM itself (one DM, not two).
        return await outbox.consume(ticket.id, outbox_entry_id)
    store = await cached_store(ticket.guild_id)
    stars = components.row(
        *(
            components.button(custom_ids.stars(Action.RATE, ticket.id, n), "⭐" * n, ButtonStyle.SECONDARY)
            for n in custom_ids.STARS
        )
    )
    discord = runtime.current().discord
    if in_channel and not by_dm:
        message = OutgoingMessage(
            content=text(store.locale, "rating.prompt", number=ticket.number),
            components=[
                stars,
                components.row(
                    components.button(
                        custom_ids.ticket(Action.CLOSE, ticket.id),
                        text(store.locale, "ticket.close"),
                        ButtonStyle.DANGER,
                    )
                ),
            ],
            nonce=_nonce("r", ticket.id),
        )
        await discord.post(ticket.channel_id, message)
    else:
        message = OutgoingMessage(
            content=text(
                store.locale,
                "story.rating_dm",
                store=store.name,
                number=ticket.number,
                product=ticket.product.name,
            ),
            components=[stars],  # no Close button: in a DM the ticket is closed or closing
            nonce=_nonce("s", ticket.id),  # Discord: a nonce is at most 25 characters
        )
        try:
            await discord.send_dm(ticket.buyer_id, message)
        except DMsClosed:
            log.info("ticket %s: DMs closed, no rating prompt by DM", ticket.id)
    await outbox.consume(ticket.id, outbox_entry_id)


@registered
@with_ticket(when=lambda ticket: ticket.channel_id is not None)
async def notify_ticket(
    ticket: Ticket,
    notice: str,
    reason: str = "",
    nonce: str | None = None,
    outbox_entry_id: str | None = None,
) -> None:
    """Tell the people in a ticket what happened (e.g. a rejected payment)."""
    assert ticket.channel_id is not None  # `with_ticket`'s condition
    store = await cached_store(ticket.guild_id)
    content = text(
        store.locale,
        f"notice.{notice}",
        buyer=ticket.buyer_id,
        number=ticket.number,
        reason=reason,
        amount=format_amount(ticket.amount_due, ticket.currency),
    )
    with low_priority():  # a notice waits behind what a paying buyer waits for
        await runtime.current().discord.post(
            ticket.channel_id,
            OutgoingMessage(content=content, nonce=nonce or _nonce("n", ticket.id, notice, reason)),
        )
    await outbox.consume(ticket.id, outbox_entry_id)


@registered
@with_ticket([TicketState.COMPLETED])
async def auto_close(ticket: Ticket) -> None:
    """Close a completed ticket once the store's auto-close delay has passed."""
    if ticket.auto_close_at and ticket.auto_close_at > utcnow():
        return
    try:
        await tickets.close(ticket, Actor.system("auto-close timer"), "closed automatically after completion")
    except TransitionNotAllowed:
        pass


@registered
@with_ticket([TicketState.OPEN])
async def expire_unpaid(ticket: Ticket) -> None:
    """Expire an unpaid ticket whose time ran out; its stock goes back on the shelf."""
    try:
        await tickets.expire(ticket)
    except TransitionNotAllowed:
        pass  # not due yet (the expiry was moved) or already moved on


@registered
@with_ticket([TicketState.CLOSED])
async def archive_transcript(ticket: Ticket, outbox_entry_id: str | None = None) -> None:
    """Render the closed ticket's transcript, keep it, post it to the log, DM the buyer a copy,
    then delete the ticket channel. A log channel that refuses the post (the bot cannot see it,
    may not post there, it is gone) does not stop the rest: the refusal is recorded on the
    ticket for the dashboard and the seller is alerted once in the log channel."""
    rt = runtime.current()
    store = await cached_store(ticket.guild_id)
    path = _transcript_path(rt.settings.data_dir, ticket)
    record = ticket.transcript
    data = await asyncio.to_thread(_read_if_exists, Path(record.path)) if record else None
    messages: list[TicketMessage] | None = None
    if data is None:
        messages = await _ticket_messages(ticket)
        data = render_html(store, ticket, messages, rt.settings.public_url.rstrip("/")).encode()
        record = await asyncio.to_thread(_write_transcript, path, data)
    assert record is not None
    posted = data
    if len(data) > TRANSCRIPT_POSTED_MAX:  # a huge chat: Discord gets the start, the end and a link
        messages = messages if messages is not None else await _ticket_messages(ticket)
        base_url = rt.settings.public_url.rstrip("/")
        posted = render_html(store, ticket, messages, base_url, max_bytes=TRANSCRIPT_POSTED_MAX).encode()
    outcome = text(store.locale, f"outcome.{ticket.outcome.value if ticket.outcome else 'completed'}")
    file = Attachment(filename=f"ticket-{ticket.number}.html", content_type="text/html", data=posted)
    log_channel = store.transcript_channel_id or store.log_channel_id
    problem = None
    if log_channel:
        content = text(
            store.locale,
            "transcript.log",
            number=ticket.number,
            product=ticket.product.name,
            outcome=outcome,
            buyer=ticket.buyer_id,
        )
        try:
            await rt.discord.post(
                log_channel,
                OutgoingMessage(content=content, files=[file], nonce=_nonce("t", ticket.id)),
                guild_id=store.guild_id,
            )
        except DiscordRejected as error:  # outages (DiscordUnavailable) are retried instead
            problem = await _transcript_refused(ticket, store, log_channel, error)
    copy_id = None
    try:
        content = text(
            store.locale,
            "transcript.buyer_copy",
            number=ticket.number,
            store=store.name,
            outcome=outcome,
        )
        copy_id = await rt.discord.send_dm(
            ticket.buyer_id,
            OutgoingMessage(content=content, files=[file], nonce=_nonce("b", ticket.id)),
        )
    except DMsClosed:
        log.info("ticket %s: buyer's DMs are closed, no transcript copy", ticket.id)
    except DiscordRejected as error:
        log.warning("ticket %s: Discord refused the buyer's transcript copy: %s", ticket.id, error)
    if ticket.channel_id is not None:
        await rt.discord.delete_channel(ticket.channel_id)
        if ticket.opening and ticket.opening.category_id:  # an overflow category may now be empty
            await ticket_opening.remove_empty_overflow(ticket.guild_id, ticket.opening.category_id)
    record = record.model_copy(update={"post_problem": problem, "buyer_copy_id": copy_id})
    # One write: the transcript is recorded, the archive watchdog ends, the message is consumed.
    update: dict[str, object] = {"$set": {"transcript": record.model_dump(), **timers.CLEARED}}
    if outbox_entry_id:
        update["$pull"] = {"outbox": {"id": outbox_entry_id}}
    await batch.update_by_id(Ticket.get_pymongo_collection(), ticket.id, update)


async def _ticket_messages(ticket: Ticket) -> list[TicketMessage]:
    raw = await batch.find_all(TicketMessage.get_pymongo_collection(), {"ticket_id": ticket.id}, "created_at")
    return [TicketMessage.model_validate(doc) for doc in raw]


async def _transcript_refused(ticket: Ticket, store: Store, channel_id: int, error: DiscordRejected) -> str:
    """Why the transcript channel refused the post, in the store's language (kept on the ticket
    for the dashboard); the seller is told once in the log channel when that is another
    channel, since a refusal there means the seller has to change something in Discord."""
    channel = await _channel_label(store, channel_id)
    code = getattr(error.__cause__, "code", None)
    # topics/opcodes-and-status-codes.mdx, JSON Error Codes.
    reason = "limits.channel_elsewhere" if isinstance(error, ChannelOutsideStore) else {
        MISSING_ACCESS: "limits.cannot_see",
        MISSING_PERMISSIONS: "limits.cannot_post",
        UNKNOWN_CHANNEL: "limits.channel_gone",
        FILE_TOO_LARGE: "limits.file_too_large",
    }.get(code, "limits.refused")
    problem = text(
        store.locale,
        "limits.transcript_not_posted",
        reason=text(store.locale, reason, channel=channel, error=str(error)[:200]),
    )
    log.warning("ticket %s: transcript not posted in %s: %s", ticket.id, channel_id, error)
    if store.log_channel_id and store.log_channel_id != channel_id:
        alert = text(store.locale, "limits.transcript_alert", number=ticket.number, problem=problem)
        try:
            await runtime.current().discord.post(
                store.log_channel_id,
                OutgoingMessage(content=alert, nonce=_nonce("x", ticket.id)),
                guild_id=store.guild_id,
            )
        except Exception:  # the dashboard shows it anyway
            log.exception(
                "ticket %s: could not tell the log channel the transcript was not posted", ticket.id
            )
    return problem


async def _channel_label(store: Store, channel_id: int) -> str:
    """'#name' of a guild channel, read from the guild's channel list (resources/guild.mdx, Get
    Guild Channels), which also holds the channels the bot may not view; a generic label when
    Discord cannot say."""
    find_name = getattr(runtime.current().discord, "channel_name", None)
    name = None
    if find_name is not None:
        try:
            name = await find_name(store.guild_id, channel_id)
        except Exception:  # only a label: a generic one will do
            log.warning("could not read the name of channel %s", channel_id, exc_info=True)
    return f"#{name}" if name else text(store.locale, "limits.the_transcript_channel")


def _write_transcript(path: Path, data: bytes) -> TranscriptRecord:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)  # atomic: a reader never sees half a transcript
    return TranscriptRecord(path=str(path), size=len(data), archived_at=utcnow())


def _read_if_exists(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _transcript_path(data_dir: Path, ticket: Ticket) -> Path:
    return data_dir / "transcripts" / str(ticket.guild_id) / f"{ticket.number:06d}-{ticket.id}.html"


__all__ = [
    "archive_transcript",
    "auto_close",
    "deliver_product",
    "expire_unpaid",
    "notify_ticket",
    "prompt_rating",
    "refund_saldo",
    "resend_product",
    "tell_refund",
    "verify_payment",
]
