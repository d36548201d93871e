"""/login: one button, "Log in with Discord"."""

from __future__ import annotations

import reflex as rx

REASONS = {
    "state": "The login link was stale or forged. Please try again.",
    "denied": "Discord did not grant access.",
    "discord": "Discord could not be reached or refused the login. Please try again.",
}


class LoginState(rx.State):
    @rx.var
    def login_error(self) -> str:
        return REASONS.get(self.router.url.query_parameters.get("error", ""), "")


def login() -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.heading("Discord Store", size="7"),
                rx.text("Run your shop: products, payments, tickets and the live panel."),
                rx.cond(
                    LoginState.login_error != "",
                    rx.callout(
                        LoginState.login_error, color_scheme="red", icon="triangle-alert", id="login-error"
                    ),
                ),
                # A full page load, not the single-page app's router: the browser leaves for Discord.
                rx.button(
                    "Log in with Discord",
                    size="3",
                    width="100%",
                    color_scheme="indigo",
                    on_click=rx.call_script("window.location.assign('/auth/login')"),
                    id="login",
                ),
                rx.text(
                    "We ask Discord for your name and your server list, nothing else.",
                    size="1",
                    color_scheme="gray",
                ),
                spacing="4",
                align="center",
            ),
            max_width="420px",
            padding="2em",
        ),
        height="100vh",
        padding="1em",
    )
