"""/store/<guild>/setup: the setup check ("Cek setup"): what the bot may do where the store
needs it, read from Discord on every load, with the one-sentence fix for what it may not, in
the store's language. The same report as `/setup-check` in Discord and
`python -m workers.setup_check`."""

from __future__ import annotations

import reflex as rx

from web import access
from web.components.frame import frame
from web.seller import SellerState
from workers.discord import DiscordUnavailable
from workers.setup_check import check_store
from workflows.i18n import text


class SetupState(SellerState):
    heading: str = ""
    summary: str = ""
    all_ok: bool = False
    unavailable: str = ""
    findings: list[dict[str, str]] = []

    async def _check(self, checked: access.SellerAccess) -> None:
        locale = checked.store.locale
        self.heading = text(locale, "setup_check.title")
        try:
            report = await check_store(checked.store)
        except DiscordUnavailable:
            self.unavailable = text(locale, "setup_check.unavailable")
            self.summary, self.findings = "", []
            return
        self.unavailable = ""
        self.all_ok = report.ok
        self.summary = report.summary(locale)
        self.findings = [
            {"purpose": f.purpose.value, "status": f.status, "line": f.line(locale)} for f in report.findings
        ]

    async def load(self):
        checked = await self._enter()
        if not isinstance(checked, access.SellerAccess):
            return checked
        await self._check(checked)
        return None

    async def recheck(self):
        try:
            checked = await self._access()
        except access.Refused as error:
            return self._failed(error)
        await self._check(checked)
        return None


def _finding(finding: dict) -> rx.Component:
    color = rx.cond(
        finding["status"] == "ok", "green", rx.cond(finding["status"] == "not_set", "gray", "red")
    )
    return rx.text(
        finding["line"],
        color_scheme=color,
        class_name="setup-finding",
        custom_attrs={"data-status": finding["status"]},
    )


def setup_page() -> rx.Component:
    return frame(
        "setup",
        "Setup check",
        rx.text(
            "What the bot may do in the channels the store uses, read from Discord now. "
            "Fix what is red in Discord, then check again.",
            color_scheme="gray",
        ),
        rx.cond(
            SetupState.unavailable != "",
            rx.callout(
                SetupState.unavailable, icon="cloud-off", color_scheme="orange", id="setup-unavailable"
            ),
        ),
        rx.card(
            rx.vstack(
                rx.heading(SetupState.heading, size="4"),
                rx.cond(
                    SetupState.all_ok,
                    rx.callout(SetupState.summary, icon="check", color_scheme="green", id="setup-summary"),
                    rx.callout(
                        SetupState.summary, icon="triangle-alert", color_scheme="red", id="setup-summary"
                    ),
                ),
                rx.foreach(SetupState.findings, _finding),
                spacing="2",
            ),
            id="setup-report",
            width="100%",
        ),
        rx.button("Check again", on_click=SetupState.recheck, id="setup-recheck"),
    )
