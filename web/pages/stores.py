"""/: the stores this seller may run (guilds where they manage the server or hold a seller role
and the bot is present), and the ones that still need the bot."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from web import access
from web.components.widgets import logout_button
from web.i18n import LanguageState, language_switch, tx


@dataclass
class StoreCard:
    id: str  # the guild's id: the store's address is /store/<id>/tickets
    name: str  # the server's name
    store: str  # the store's name


class StoresState(LanguageState):
    user_name: str = ""
    stores: list[StoreCard] = []
    without_bot: list[str] = []

    async def load(self):
        self._settle_language()
        try:
            session = await access.logged_in(self.router.headers.cookie)
        except access.Refused:  # not logged in (the only refusal here)
            return rx.redirect("/login")
        self.user_name = session.username
        pairs = await access.manageable(session)
        self.stores = [
            StoreCard(id=str(g.id), name=g.name, store=s.name)
            for g, s in pairs
            if s is not None and access.may_manage(g, s)
        ]
        self.without_bot = [
            g.name for g, s in pairs if s is None and (g.owner or g.permissions & access.MANAGE_GUILD)
        ]
        if len(self.stores) == 1 and not self.without_bot:
            return rx.redirect(f"/store/{self.stores[0].id}/tickets")
        return None


def stores() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.flex(
                rx.heading(tx("stores.title"), size="6"),
                rx.spacer(),
                rx.text(StoresState.user_name),
                logout_button(),
                language_switch(),
                width="100%",
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            rx.foreach(
                StoresState.stores,
                lambda s: rx.link(
                    rx.card(rx.vstack(rx.heading(s.name, size="4"), rx.text(s.store, color_scheme="gray"))),
                    href=f"/store/{s.id}/tickets",
                    id="store-" + s.id,
                    width="100%",
                    underline="none",
                ),
            ),
            rx.cond(
                StoresState.stores.length() == 0,
                rx.callout(tx("stores.none"), icon="info", id="no-store"),
            ),
            rx.cond(
                StoresState.without_bot.length() > 0,
                rx.vstack(
                    rx.text(tx("stores.without_bot"), weight="bold"),
                    rx.foreach(StoresState.without_bot, lambda name: rx.text("• " + name)),
                ),
            ),
            width="100%",
            max_width="640px",
            spacing="4",
            padding="2em",
        ),
    )
