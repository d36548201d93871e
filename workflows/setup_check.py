"""The setup check: from what Discord says about a guild (its roles and owner, the bot's member,
the channels with their overwrites), what the bot may do where the store needs it, and for each
thing it may not, the one-sentence fix in the seller's language.

Pure: the reading from Discord is `workers.setup_check`; the permission arithmetic is
`workflows.discord_permissions` (Discord's own algorithm).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from models.store import Store
from workflows.discord_permissions import (
    TICKET_CHANNEL_GRANTS,
    Permission,
    base_permissions,
    channel_permissions,
    names,
)
from workflows.i18n import text

P = Permission
CATEGORY = 4


class Purpose(StrEnum):
    """What the store uses a place for (the keys of `setup_check.purpose.*`)."""

    PANEL = "panel"
    TICKETS = "tickets"
    TICKETS_SERVER = "tickets_server"  # no ticket category: channels open at the server's top
    LOG = "log"
    TRANSCRIPTS = "transcripts"
    TESTIMONIALS = "testimonials"


# The panel is posted and edited with embeds, and its old messages cleaned up; a ticket
# category is where channels are created with overwrites (Manage Roles) and the opening
# message is sent; log, transcript and testimonial channels get embeds and files.
NOTHING = P(0)
POSTING = P.VIEW_CHANNEL | P.SEND_MESSAGES | P.ATTACH_FILES | P.EMBED_LINKS
PANEL = P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS | P.READ_MESSAGE_HISTORY | P.MANAGE_MESSAGES
TICKET_CATEGORY = (
    P.MANAGE_CHANNELS
    | P.MANAGE_ROLES
    | P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.ATTACH_FILES
    | TICKET_CHANNEL_GRANTS
)
NEEDS: dict[Purpose, Permission] = {
    Purpose.PANEL: PANEL,
    Purpose.TICKETS: TICKET_CATEGORY,
    Purpose.LOG: POSTING,
    Purpose.TRANSCRIPTS: POSTING,
    Purpose.TESTIMONIALS: POSTING,
}
NEEDS[Purpose.TICKETS_SERVER] = NEEDS[Purpose.TICKETS]

Status = Literal["ok", "missing", "not_set", "gone", "elsewhere"]


@dataclass(frozen=True)
class Finding:
    """What the check found for one purpose in one place.

    Parameters:
      purpose: what the store uses the place for.
      status: ok; missing (permissions); not_set (optional and not configured); gone (the
        channel no longer exists); elsewhere (it belongs to another server).
      place: the channel's or category's name as the seller sees it ("#shop"), "" when unknown.
      missing_in_server: permissions the bot's roles lack in the whole server.
      missing_here: permissions the server grants but this channel's overwrites take away.
      bot_role: the name of the bot's own role (where server permissions are fixed).
    """

    purpose: Purpose
    status: Status
    place: str = ""
    missing_in_server: Permission = NOTHING
    missing_here: Permission = NOTHING
    bot_role: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "not_set")

    @property
    def missing(self) -> Permission:
        return self.missing_in_server | self.missing_here

    @property
    def _in_channel(self) -> bool:
        # A category's and the server's settings name permissions as the server does.
        return self.purpose not in (Purpose.TICKETS, Purpose.TICKETS_SERVER)

    def fix(self, locale: str) -> str:
        """The one sentence that fixes this, in `locale` ("" when nothing is to fix)."""
        role = self.bot_role or text(locale, "setup_check.bot_role")
        server = ", ".join(names(self.missing_in_server, in_channel=False))
        here = ", ".join(names(self.missing_here, in_channel=self._in_channel))
        category = self.purpose is Purpose.TICKETS
        if self.status != "missing":
            return ""
        if self.missing_in_server and self.missing_here:
            return text(
                locale,
                "setup_check.fix_role_and_channel",
                role=role,
                server_permissions=server,
                place=self.place,
                permissions=here,
            )
        if self.missing_in_server:
            return text(locale, "setup_check.fix_role", role=role, permissions=server)
        key = "setup_check.fix_category" if category else "setup_check.fix_channel"
        return text(locale, key, place=self.place, permissions=here)

    def line(self, locale: str) -> str:
        """One line of the report in `locale`."""
        purpose = text(locale, f"setup_check.purpose.{self.purpose.value}")
        place = self.place or text(locale, "setup_check.place_server")
        if self.status == "ok":
            can = ", ".join(names(NEEDS[self.purpose], in_channel=self._in_channel))
            return text(locale, "setup_check.ok_line", purpose=purpose, place=place, permissions=can)
        if self.status == "missing":
            cannot = ", ".join(names(self.missing, in_channel=self._in_channel))
            return text(
                locale,
                "setup_check.missing_line",
                purpose=purpose,
                place=place,
                permissions=cannot,
                fix=self.fix(locale),
            )
        return text(locale, f"setup_check.{self.status}_line", purpose=purpose)


@dataclass(frozen=True)
class SetupReport:
    """Every finding of one check, in the order the store uses the places."""

    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    def problems(self) -> list[Finding]:
        return [f for f in self.findings if not f.ok]

    def for_purposes(self, *purposes: Purpose) -> SetupReport:
        return SetupReport([f for f in self.findings if f.purpose in purposes])

    def summary(self, locale: str) -> str:
        if self.ok:
            return text(locale, "setup_check.all_ok")
        return text(locale, "setup_check.problems", count=len(self.problems()))

    def lines(self, locale: str) -> list[str]:
        """The summary, then one line per finding."""
        return [self.summary(locale), *(f.line(locale) for f in self.findings)]


def _bot_role(guild: dict, member: dict) -> str:
    """The name of the bot's highest role: where a seller turns its server permissions on."""
    mine = {str(r) for r in member.get("roles") or []}
    roles = [r for r in guild.get("roles") or [] if str(r["id"]) in mine]
    return max(roles, key=lambda r: int(r.get("position", 0)))["name"] if roles else ""


def _place(channel: dict) -> str:
    name = str(channel.get("name") or "")
    return name if int(channel.get("type", 0)) == CATEGORY else f"#{name}"


def check(
    store: Store,
    guild: dict,
    bot_member: dict,
    channels: list[dict],
    outside: dict[int, dict | None] | None = None,
) -> SetupReport:
    """What the bot may do where `store` needs it.

    Parameters:
      store: the store, whose settings name the panel, ticket categories and channels.
      guild: the guild object of GET /guilds/{id} (owner_id and roles).
      bot_member: the bot's guild member object (GET /guilds/{id}/members/{bot id}).
      channels: the guild's channels (GET /guilds/{id}/channels), with their overwrites.
      outside: configured channels not among `channels`, read one by one (GET /channels/{id}):
        the channel object when Discord still knows it (then it is in another guild), None when
        it is gone or the bot cannot see it at all.
    """
    by_id = {int(c["id"]): c for c in channels}
    outside = outside or {}
    role = _bot_role(guild, bot_member)
    base = base_permissions(guild, bot_member)

    def finding(purpose: Purpose, channel_id: int | None) -> Finding:
        if channel_id is None:
            return Finding(purpose, "not_set")
        channel = by_id.get(channel_id)
        if channel is None:
            foreign = outside.get(channel_id)
            elsewhere = foreign is not None and str(foreign.get("guild_id")) != str(guild["id"])
            return Finding(purpose, "elsewhere" if elsewhere else "gone")
        return _judge(purpose, _place(channel), channel_permissions(guild, bot_member, channel))

    def _judge(purpose: Purpose, place: str, has: Permission) -> Finding:
        needed = NEEDS[purpose]
        missing = needed & ~has
        if not missing:
            return Finding(purpose, "ok", place)
        return Finding(
            purpose,
            "missing",
            place,
            missing_in_server=missing & ~base,
            missing_here=missing & base,
            bot_role=role,
        )

    findings = [finding(Purpose.PANEL, store.panel.channel_id)]
    if store.tickets.category_ids:
        findings += [finding(Purpose.TICKETS, c) for c in store.tickets.category_ids]
    else:
        findings.append(_judge(Purpose.TICKETS_SERVER, "", base))
    findings += [
        finding(Purpose.LOG, store.log_channel_id),
        finding(Purpose.TRANSCRIPTS, store.transcript_channel_id),
        finding(Purpose.TESTIMONIALS, store.testimonial_channel_id),
    ]
    return SetupReport(findings)


def configured_channel_ids(store: Store) -> list[int]:
    """Every channel or category the store's settings name (what the check looks at)."""
    ids = [store.panel.channel_id, *store.tickets.category_ids]
    ids += [store.log_channel_id, store.transcript_channel_id, store.testimonial_channel_id]
    return [i for i in ids if i is not None]
