"""The Reflex app. For now one page saying what runs; the dashboard issue fills it in."""

from __future__ import annotations

import reflex as rx

from web.webhooks import webhooks


def index() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("Discord Store"),
            rx.text("The engine and the bot are running. The seller dashboard comes next."),
        ),
        height="100vh",
    )


app = rx.App(api_transformer=webhooks)
app.add_page(index, route="/", title="Discord Store")
