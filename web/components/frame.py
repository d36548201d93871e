"""The frame every store page shares: a sidebar of sections, the store's name, log out."""

from __future__ import annotations

import reflex as rx

from web import styles
from web.components.widgets import logout_button
from web.seller import SellerState

SECTIONS = [
    ("Tickets", "tickets", "ticket"),
    ("Products", "products", "package"),
    ("Payment methods", "payment-methods", "wallet"),
    ("Payments", "payments", "banknote"),
    ("Panel", "panel", "layout-panel-top"),
    ("Analytics", "analytics", "chart-line"),
    ("Settings", "settings", "settings"),
]


def _link(label: str, slug: str, icon: str, active: str) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(label), align="center"),
        href=f"/store/{SellerState.store_guild}/{slug}",
        id=f"nav-{slug}",
        weight="bold" if slug == active else "regular",
        underline="none",
        padding="0.4em 0.6em",
        border_radius="6px",
        background="var(--accent-3)" if slug == active else "transparent",
        width="100%",
    )


def _sidebar(active: str) -> rx.Component:
    return rx.vstack(
        rx.link(rx.heading("Discord Store", size="4"), href="/", underline="none"),
        rx.text(SellerState.store_name, size="2", color_scheme="gray", id="store-name"),
        rx.divider(),
        *[_link(label, slug, icon, active) for label, slug, icon in SECTIONS],
        rx.link(
            rx.hstack(rx.icon("activity", size=16), rx.text("Ops")),
            href="/ops",
            underline="none",
            padding="0.4em 0.6em",
        ),
        rx.link(
            rx.hstack(rx.icon("gamepad-2", size=16), rx.text("Sandbox")),
            href="/sandbox",
            underline="none",
            padding="0.4em 0.6em",
            id="nav-sandbox",
        ),
        rx.spacer(),
        rx.text(SellerState.user_name, size="2"),
        logout_button(),
        min_width=styles.SIDEBAR_WIDTH,
        padding="1em",
        border_right="1px solid var(--gray-5)",
        min_height=["auto", "auto", "100vh"],
        width=["100%", "100%", styles.SIDEBAR_WIDTH],
    )


def refused() -> rx.Component:
    return rx.center(
        rx.callout(SellerState.refusal, icon="shield-alert", color_scheme="red", id="refusal"),
        rx.link("Back to my stores", href="/"),
        direction="column",
        spacing="3",
        padding="3em",
    )


def messages() -> rx.Component:
    return rx.fragment(
        rx.cond(
            SellerState.error != "",
            rx.callout(
                SellerState.error, icon="triangle-alert", color_scheme="red", id="error", width="100%"
            ),
        ),
        rx.cond(
            SellerState.notice != "",
            rx.callout(SellerState.notice, icon="check", color_scheme="green", id="notice", width="100%"),
        ),
    )


def frame(active: str, title: str, *content: rx.Component) -> rx.Component:
    """A store page: refused as a whole when this seller may not run this store."""
    return rx.cond(
        SellerState.refusal != "",
        refused(),
        rx.flex(
            _sidebar(active),
            rx.vstack(rx.heading(title, size="6"), messages(), *content, style=styles.page, spacing="4"),
            direction=rx.breakpoints(initial="column", md="row"),
            width="100%",
        ),
    )
