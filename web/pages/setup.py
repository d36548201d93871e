"""/store/<guild>/setup: the setup check ("Cek pengaturan"): what the bot may do where the store
needs it, read from Discord on every load, with the one-sentence fix for what it may not, in
the seller's language. The same report as `/setup-check` in Discord and
`python -m workers.setup_check`."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from web.components.frame import frame
from web.i18n import LanguageState, tx
from web.seller import SellerAccess, SellerState, page_entry, seller_action
from workers.discord import DiscordUnavailable
from workers.setup_check import check_store


@dataclass
class FindingRow:
    """One line of the report, in both languages: the language switch shows the other at once."""

    purpose: str = ""
    status: str = ""  # ok, missing, not_set, gone, elsewhere
    line_id: str = ""
    line_en: str = ""


class SetupState(SellerState):
    summary_id: str = ""
    summary_en: str = ""
    all_ok: bool = False
    unavailable: bool = False
    findings: list[FindingRow] = []

    async def _check(self, checked: SellerAccess) -> None:
        try:
            report = await check_store(checked.store)
        except DiscordUnavailable:
            self.unavailable, self.summary_id, self.summary_en, self.findings = True, "", "", []
            return
        self.unavailable = False
        self.all_ok = report.ok
        self.summary_id, self.summary_en = (report.summary(lang) for lang in ("id", "en"))
        self.findings = [
            FindingRow(f.purpose.value, f.status, f.line("id"), f.line("en")) for f in report.findings
        ]

    @page_entry
    async def load(self, checked: SellerAccess):
        await self._check(checked)

    @seller_action
    async def recheck(self, checked: SellerAccess):
        await self._check(checked)


def _in_language(indonesian: rx.Var, english: rx.Var) -> rx.Var:
    return rx.cond(LanguageState.lang == "en", english, indonesian)


def _finding(finding: rx.Var) -> rx.Component:
    color = rx.cond(finding.status == "ok", "green", rx.cond(finding.status == "not_set", "gray", "red"))
    return rx.text(
        _in_language(finding.line_id, finding.line_en),
        color_scheme=color,
        class_name="setup-finding",
        custom_attrs={"data-status": finding.status},
    )


def setup_page() -> rx.Component:
    summary = _in_language(SetupState.summary_id, SetupState.summary_en)
    return frame(
        "setup",
        tx("setup.title"),
        rx.text(tx("setup.intro"), color_scheme="gray"),
        rx.cond(
            SetupState.unavailable,
            rx.callout(
                tx("setup.unavailable"), icon="cloud-off", color_scheme="orange", id="setup-unavailable"
            ),
        ),
        rx.card(
            rx.vstack(
                rx.heading(tx("setup.report"), size="4"),
                rx.cond(
                    SetupState.all_ok,
                    rx.callout(summary, icon="check", color_scheme="green", id="setup-summary"),
                    rx.callout(summary, icon="triangle-alert", color_scheme="red", id="setup-summary"),
                ),
                rx.foreach(SetupState.findings, _finding),
                spacing="2",
            ),
            id="setup-report",
            width="100%",
        ),
        rx.button(tx("setup.recheck"), on_click=SetupState.recheck, id="setup-recheck"),
    )
