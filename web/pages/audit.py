"""/store/<guild>/audit: the audit log, who changed what in the shop and when (issue 20, item 6).
Written by the workflows (`workflows.audit`), whether the change came from the dashboard or from
a button in Discord; here the sellers read it, newest first, filtered by person, by kind of
change and by dates. Values are shown as the seller wrote them ("Rp 45.000", "ya"); a secret is
only said to have changed."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import reflex as rx

from models.audit_entry import AuditEntry, FieldChange
from web.components.frame import frame
from web.components.widgets import data_table
from web.i18n import SHOWN_ZONE, catalogue, tx, when
from web.seller import SellerAccess, SellerState, page_entry, seller_action
from workflows import audit, money
from workflows.errors import StoreError

EVERYONE = "all"
# Stored in the currency's smallest unit (a saldo's balance and amounts too).
MONEY_FIELDS = {"price", "min_amount", "unit_price", "balance", "amount"}


@dataclasses.dataclass
class AuditRow:
    at: str = ""
    who: str = ""
    what: str = ""
    subject: str = ""
    changes: str = ""


@dataclasses.dataclass
class PersonChoice:
    id: str = ""
    name: str = ""


def _day(value: str, end: bool = False) -> datetime | None:
    """A day picked in the filter, in the shop's time (WIB): its start, or with `end` the start
    of the next day (so "until 3 Dec" includes all of 3 Dec)."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=ZoneInfo(SHOWN_ZONE))
    except ValueError:
        raise StoreError("dates: use the date picker (YYYY-MM-DD)", key="date_picker") from None
    return day + timedelta(days=1) if end else day


class AuditState(SellerState):
    rows: list[AuditRow] = []
    people: list[PersonChoice] = []
    who: str = EVERYONE
    area: str = EVERYONE
    since: str = ""
    until: str = ""

    def _value(self, field: str, value: str | None) -> str:
        if not value:
            return "—"
        if value in ("yes", "no"):
            return self._say(f"audit.{value}")
        if f"audit.word.{value}" in catalogue(self.lang):  # a ticket's state, a delivery mode…
            return self._say(f"audit.word.{value}")
        if field.rsplit(".", 1)[-1] in MONEY_FIELDS and value.lstrip("-").isdigit():
            return money.format_amount(int(value), self._currency)
        return value

    def _field(self, field: str) -> str:
        key = f"audit.field.{field.replace('.', '_')}"
        if key in catalogue(self.lang):
            return self._say(key)
        return field.replace("_", " ").replace(".", " › ")  # a rarely changed setting, by its name

    def _change(self, change: FieldChange) -> str:
        if change.secret:
            return self._say("audit.secret_changed", field=self._field(change.field))
        before, after = self._value(change.field, change.before), self._value(change.field, change.after)
        return f"{self._field(change.field)}: {before} → {after}"

    def _row(self, entry: AuditEntry) -> AuditRow:
        who = entry.by.name or self._say("audit.someone")
        if entry.by.kind == "system":
            who = self._say("audit.system")
        return AuditRow(
            at=when(entry.at, self.lang),
            who=who,
            what=self._say(f"audit.action.{entry.action.replace('.', '_')}")
            if f"audit.action.{entry.action.replace('.', '_')}" in catalogue(self.lang)
            else entry.action,
            subject=entry.subject or "—",
            changes="; ".join(self._change(c) for c in entry.changes) or "—",
        )

    async def _reload(self, guild_id: int) -> None:
        who = int(self.who) if self.who.isdigit() else None
        area = self.area if self.area in audit.AREAS else None
        found = await audit.entries(
            guild_id, who=who, area=area, since=_day(self.since), until=_day(self.until, end=True)
        )
        self.rows = [self._row(e) for e in found]
        self.people = [PersonChoice(id=str(i), name=name) for i, name in await audit.people(guild_id)]

    @page_entry
    async def load(self, checked: SellerAccess):
        self.who = self.area = EVERYONE
        self.since = self.until = ""
        await self._reload(checked.guild_id)

    @seller_action
    async def filter(self, checked: SellerAccess, form: dict):
        self.who = str(form.get("who") or EVERYONE)
        self.area = str(form.get("area") or EVERYONE)
        self.since, self.until = str(form.get("since") or ""), str(form.get("until") or "")
        await self._reload(checked.guild_id)

    @seller_action
    async def clear(self, checked: SellerAccess):
        self.who = self.area = EVERYONE
        self.since = self.until = ""
        await self._reload(checked.guild_id)


def _labelled(label_key: str, field_id: str, control: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.el.label(tx(label_key), html_for=field_id, font_size="0.875em", font_weight="500"),
        control,
        spacing="1",
        min_width="160px",
    )


def _native_select(field_id: str, value: rx.Var, *options: rx.Component) -> rx.Component:
    # A plain <select>: its value goes with the form and its <label> names it.
    return rx.el.select(
        *options,
        id=field_id,
        name=field_id.removeprefix("audit-"),
        default_value=value,
        style={"padding": "0.35em", "border_radius": "6px", "border": "1px solid var(--gray-7)"},
    )


def _date(name: str) -> rx.Component:
    field = rx.input(type="date", id=f"audit-{name}", name=name)
    return _labelled(f"audit.filter.{name}", f"audit-{name}", field)


def _filters() -> rx.Component:
    return rx.form(
        rx.flex(
            _labelled(
                "audit.filter.who",
                "audit-who",
                _native_select(
                    "audit-who",
                    AuditState.who,
                    rx.el.option(tx("audit.filter.everyone"), value=EVERYONE),
                    rx.foreach(AuditState.people, lambda p: rx.el.option(p.name, value=p.id)),
                ),
            ),
            _labelled(
                "audit.filter.what",
                "audit-area",
                _native_select(
                    "audit-area",
                    AuditState.area,
                    rx.el.option(tx("audit.filter.everything"), value=EVERYONE),
                    *[rx.el.option(tx(f"audit.area.{area}"), value=area) for area in audit.AREAS],
                ),
            ),
            _date("since"),
            _date("until"),
            rx.hstack(
                rx.button(tx("audit.filter.show"), type="submit", id="audit-filter"),
                rx.button(
                    tx("audit.filter.clear"), type="reset", variant="soft", on_click=AuditState.clear,
                    id="audit-clear",
                ),
                align="end",
            ),
            spacing="3",
            wrap="wrap",
            align="end",
        ),
        on_submit=AuditState.filter,
        width="100%",
    )


def _row(r: AuditRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r.at, white_space="nowrap"),
        rx.table.cell(rx.text(r.who, weight="bold")),
        rx.table.cell(r.what),
        rx.table.cell(r.subject),
        rx.table.cell(rx.text(r.changes, size="2")),
        custom_attrs={"data-audit": r.what},
    )


def audit_page() -> rx.Component:
    headers = ["at", "who", "what", "subject", "changes"]
    return frame(
        "audit",
        tx("audit.title"),
        rx.text(tx("audit.intro"), color_scheme="gray"),
        _filters(),
        rx.cond(
            AuditState.rows.length() > 0,
            data_table([tx(f"audit.column.{h}") for h in headers], AuditState.rows, _row, "audit"),
            rx.text(tx("audit.none"), color_scheme="gray", id="no-audit"),
        ),
    )
