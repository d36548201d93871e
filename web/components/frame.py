"""The frame every store page shares: a sidebar of sections, the store's name, log out.

On a phone (390 px) the sidebar becomes a header whose sections wrap onto as many rows as they
need, so every section stays in sight and reachable, and the page's content may shrink to the
screen: a wide table scrolls inside its own box (widgets.data_table), never the page."""

from __future__ import annotations

import reflex as rx

from web import styles
from web.components.widgets import logout_button
from web.i18n import language_switch, tx
from web.seller import SellerState, refusal_text

SECTIONS = [
    ("tickets", "ticket"),
    ("products", "package"),
    ("payment-methods", "wallet"),
    ("payments", "banknote"),
    ("wallets", "piggy-bank"),
    ("coupons", "ticket-percent"),
    ("blacklist", "user-x"),
    ("audit", "history"),
    ("panel", "layout-panel-top"),
    ("analytics", "chart-line"),
    ("export", "download"),
    ("settings", "settings"),
    ("setup", "shield-check"),
]


def _link(slug: str, icon: str, active: str, href: str = "") -> rx.Component:
    label = tx(f"frame.nav.{slug}")
    return rx.link(
        # The icon keeps its size beside a long name ("Metode pembayaran" in the 220 px sidebar).
        rx.hstack(
            rx.icon(icon, size=16, flex_shrink="0"),
            rx.text(label, white_space=rx.breakpoints(initial="nowrap", md="normal")),
            align="center",
        ),
        href=href or f"/store/{SellerState.store_guild}/{slug}",
        id=f"nav-{slug}",
        weight="bold" if slug == active else "regular",
        underline="none",
        padding="0.4em 0.6em",
        border_radius="6px",
        background="var(--accent-3)" if slug == active else "transparent",
        width=rx.breakpoints(initial="auto", md="100%"),
        flex_shrink="0",
    )


def _sidebar(active: str) -> rx.Component:
    """A column on wide screens; on a phone a header with one scrolling row of sections."""
    return rx.flex(
        rx.hstack(
            rx.link(rx.heading(tx("frame.brand"), size="4"), href="/", underline="none"),
            rx.text(SellerState.store_name, size="2", color_scheme="gray", id="store-name"),
            align="baseline",
            wrap="wrap",
        ),
        rx.flex(
            *[_link(slug, icon, active) for slug, icon in SECTIONS],
            _link("ops", "activity", active, href="/ops"),
            _link("sandbox", "gamepad-2", active, href="/sandbox"),
            direction=rx.breakpoints(initial="row", md="column"),
            wrap=rx.breakpoints(initial="wrap", md="nowrap"),
            spacing="1",
            width="100%",
            id="nav",
        ),
        rx.spacer(),
        rx.hstack(
            rx.text(SellerState.user_name, size="2"),
            logout_button(),
            language_switch(),
            align="center",
            wrap="wrap",
        ),
        direction="column",
        spacing="3",
        padding="1em",
        border_right=rx.breakpoints(initial="none", md="1px solid var(--gray-5)"),
        border_bottom=rx.breakpoints(initial="1px solid var(--gray-5)", md="none"),
        min_height=rx.breakpoints(initial="auto", md="100vh"),
        width=rx.breakpoints(initial="100%", md=styles.SIDEBAR_WIDTH),
        min_width=rx.breakpoints(initial="0", md=styles.SIDEBAR_WIDTH),
        flex_shrink="0",
    )


def refused() -> rx.Component:
    return rx.center(
        rx.callout(refusal_text(SellerState.refusal), icon="shield-alert", color_scheme="red", id="refusal"),
        rx.link(tx("access.back_to_stores"), href="/"),
        language_switch(),
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


def frame(active: str, title: str | rx.Var, *content: rx.Component) -> rx.Component:
    """A store page: refused as a whole when this seller may not run this store."""
    return rx.cond(
        SellerState.refusal != "",
        refused(),
        rx.flex(
            _sidebar(active),
            # min_width 0: a flex item may otherwise grow to its widest table and widen the page.
            rx.vstack(
                rx.heading(title, size="6", id="page-title"),
                messages(),
                *content,
                style=styles.page,
                spacing="4",
                min_width="0",
            ),
            direction=rx.breakpoints(initial="column", md="row"),
            width="100%",
            max_width="100vw",
        ),
    )
