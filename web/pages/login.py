"""/login: one button, "Log in with Discord", in the visitor's language (their earlier choice,
remembered in a cookie, else Indonesian) with the switch to change it."""

from __future__ import annotations

import reflex as rx

from web.i18n import LanguageState, language_switch, tx

REASONS = ("state", "denied", "discord")  # why the OAuth callback sent the browser back here


class LoginState(LanguageState):
    @rx.var
    def login_error(self) -> str:
        """The reason in the address (`/login?error=state`), if it is one we know."""
        reason = self.router.url.query_parameters.get("error", "")
        return reason if reason in REASONS else ""


def login() -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.heading(tx("frame.brand"), size="7"),
                rx.text(tx("login.tagline"), text_align="center"),
                rx.cond(
                    LoginState.login_error != "",
                    rx.callout(
                        rx.match(LoginState.login_error, *[(r, tx(f"login.error.{r}")) for r in REASONS], ""),
                        color_scheme="red",
                        icon="triangle-alert",
                        id="login-error",
                    ),
                ),
                # A full page load, not the single-page app's router: the browser leaves for Discord.
                rx.button(
                    tx("login.log_in"),
                    size="3",
                    width="100%",
                    color_scheme="indigo",
                    on_click=rx.call_script("window.location.assign('/auth/login')"),
                    id="login",
                ),
                rx.text(tx("login.privacy"), size="1", color_scheme="gray", text_align="center"),
                language_switch(),
                spacing="4",
                align="center",
            ),
            max_width="420px",
            width="100%",
            padding="2em",
        ),
        # The page has no on_load of its own (web/app.py): the remembered language is settled
        # once the page is shown.
        on_mount=LanguageState.settle_language,
        min_height="100vh",
        padding="1em",
    )
