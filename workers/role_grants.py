"""The actor that gives and takes back a role on purchase (`workflows.role_grants`).

`settle_role_grant` does whatever a grant is due for: give the role once the ticket's delivery
happened, or take it back once it expired. It is idempotent: Discord's Add/Remove Guild Member
Role answer 204 whether or not the member had the role, and every record is a conditional
update on the grant's status, so a message delivered twice (or a sweep after a crash) changes
nothing. A refusal is not an error for Dramatiq: it is recorded on the grant, which comes due
again later (backoff), and the seller is told once per kind of problem; only outages
(DiscordUnavailable) are raised, for Dramatiq's own retries.
"""

from __future__ import annotations

import hashlib
import logging

from models.role_grant import GrantStatus, RoleGrant, RoleProblem
from models.store import Store, utcnow
from models.ticket import TicketOutcome
from workers import runtime
from workers.discord import DiscordRejected, OutgoingMessage
from workers.ticket_actor import registered
from workflows import role_grants, tickets
from workflows.errors import TicketNotFound
from workflows.i18n import text
from workflows.products import cached_store

log = logging.getLogger(__name__)

# JSON error codes (topics/opcodes-and-status-codes.mdx).
UNKNOWN_MEMBER = 10007
UNKNOWN_ROLE = 10011
MISSING_PERMISSIONS = 50013


@registered
async def settle_role_grant(grant_id: str) -> None:
    """Give the grant's role, or take it back, whichever is due (nothing when neither is)."""
    grant = await role_grants.get(grant_id)
    if grant is None or grant.status in (GrantStatus.REMOVED, GrantStatus.DROPPED):
        return
    if grant.status is GrantStatus.WAITING:
        await _give(grant)
    else:
        await _take_back(grant)


async def _give(grant: RoleGrant) -> None:
    try:
        ticket = await tickets.get_ticket(grant.ticket_id)
    except TicketNotFound:
        return await role_grants.drop(grant)
    if ticket.delivery is None:
        if ticket.outcome is None:  # open or paid: the delivery is still to come
            return await role_grants.wait_for_delivery(grant)
        return await role_grants.drop(grant)  # closed without a delivery
    if ticket.outcome is TicketOutcome.CANCELLED:  # delivered while being cancelled (refunded)
        return await role_grants.drop(grant)
    store = await cached_store(grant.guild_id)
    reason = text(store.locale, "role_grants.audit_reason", number=grant.ticket_number)
    try:
        await runtime.current().discord.add_member_role(  # type: ignore[attr-defined]
            grant.guild_id, grant.buyer_id, grant.role_id, reason
        )
    except DiscordRejected as error:
        return await _refused(grant, store, error)
    await role_grants.granted(grant)
    log.info("ticket #%s: role %s given to %s", grant.ticket_number, grant.role_id, grant.buyer_id)


async def _take_back(grant: RoleGrant) -> None:
    if grant.expires_at is None or grant.expires_at > utcnow():
        return await role_grants.not_yet(grant)
    store = await cached_store(grant.guild_id)
    reason = text(store.locale, "role_grants.audit_expired", number=grant.ticket_number)
    try:
        await runtime.current().discord.remove_member_role(  # type: ignore[attr-defined]
            grant.guild_id, grant.buyer_id, grant.role_id, reason
        )
    except DiscordRejected as error:
        if _code(error) in (UNKNOWN_MEMBER, UNKNOWN_ROLE):  # nobody or nothing left to take back
            return await role_grants.removed(grant)
        return await _refused(grant, store, error)
    await role_grants.removed(grant)
    log.info("ticket #%s: role %s taken back from %s", grant.ticket_number, grant.role_id, grant.buyer_id)


async def _refused(grant: RoleGrant, store: Store, error: DiscordRejected) -> None:
    """Record why, retry later, and tell the seller the first time this problem is seen."""
    code = _code(error)
    bot_role = ""
    if code == MISSING_PERMISSIONS:
        problem, bot_role = await _diagnose(grant)
    else:
        problem = {UNKNOWN_ROLE: RoleProblem.ROLE_GONE, UNKNOWN_MEMBER: RoleProblem.BUYER_LEFT}.get(
            code, RoleProblem.REFUSED
        )
    log.warning(
        "ticket #%s: Discord refused role %s (%s): %s", grant.ticket_number, grant.role_id, problem, error
    )
    if problem is RoleProblem.ROLE_GONE and grant.status is GrantStatus.WAITING:
        await role_grants.drop(grant, problem)  # a deleted role never comes back
    else:
        await role_grants.refused(grant, problem, str(error), bot_role=bot_role)
    if problem in grant.told:
        return
    await _tell_seller(grant, store, problem, bot_role, str(error))
    await role_grants.told(grant, problem)


async def _diagnose(grant: RoleGrant) -> tuple[RoleProblem, str]:
    """Which of the two 50013 causes it is, read from the guild's roles and the bot's own."""
    discord = runtime.current().discord
    try:
        guild = await discord.guild(grant.guild_id)  # type: ignore[attr-defined]
        bot_id = await discord.bot_user_id()  # type: ignore[attr-defined]
        member = await discord.member(grant.guild_id, bot_id)  # type: ignore[attr-defined]
    except DiscordRejected:
        return RoleProblem.REFUSED, ""
    return role_grants.diagnose(guild, member, grant.role_id)


async def _tell_seller(
    grant: RoleGrant, store: Store, problem: RoleProblem, bot_role: str, detail: str
) -> None:
    """In the store's log channel (else in the ticket, while it has a channel)."""
    content = role_grants.explain(grant, problem, store.locale, bot_role, detail)
    nonce = "g" + hashlib.sha256(f"{grant.id}:{problem}".encode()).hexdigest()[:24]
    discord = runtime.current().discord
    try:
        if store.log_channel_id:
            await discord.post(
                store.log_channel_id, OutgoingMessage(content=content, nonce=nonce), guild_id=store.guild_id
            )
            return
        ticket = await tickets.get_ticket(grant.ticket_id)
        if ticket.channel_id is not None:
            await discord.post(ticket.channel_id, OutgoingMessage(content=content, nonce=nonce))
    except (DiscordRejected, TicketNotFound):  # the dashboard's ticket page shows it anyway
        log.exception("ticket #%s: could not tell the seller why the role was refused", grant.ticket_number)


def _code(error: DiscordRejected) -> int | None:
    return getattr(error.__cause__, "code", None)


__all__ = ["settle_role_grant"]
