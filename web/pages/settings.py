"""/store/<guild>/settings: ticket rules, channels, roles, language and currency."""

from __future__ import annotations

from typing import Any

import reflex as rx

from models.settings import get_settings
from web import access, discord_api, guild_directory, styles
from web.components.frame import frame
from web.seller import SellerState
from workflows import store_settings
from workflows.errors import InvalidInput, Problem, StoreError

NUMBERS = {
    "max_open_tickets_per_buyer": "Open tickets per buyer",
    "cooldown_s": "Cooldown between tickets (s)",
    "unpaid_expiry_s": "Unpaid ticket expires after (s)",
    "auto_close_s": "Auto-close after completion (s)",
    "max_quantity": "Most units per ticket",
}
SECRETS = {
    "moota_secret": "Moota webhook secret",
    "tripay_private_key": "Tripay private key",
    "midtrans_server_key": "Midtrans server key",
    "xendit_callback_token": "Xendit callback token",
}
WEBHOOKS = {"moota": "Moota", "tripay": "Tripay", "midtrans": "Midtrans", "xendit": "Xendit"}
CHANNELS = {
    "transcript_channel_id": "Transcript channel",
    "log_channel_id": "Log channel",
    "testimonial_channel_id": "Testimonial channel",
}


class SettingsState(SellerState):
    values: dict[str, str] = {}
    secrets_set: dict[str, str] = {}
    secrets_key: int = 0
    webhook_urls: list[dict[str, str]] = []
    text_channels: list[dict[str, str]] = []
    categories: list[dict[str, str]] = []

    async def load(self):
        checked = await self._enter()
        if not isinstance(checked, access.SellerAccess):
            return checked
        store, rules = checked.store, checked.store.tickets
        self.values = {
            "name": store.name,
            "locale": store.locale,
            "currency": store.currency,
            **{k: str(getattr(rules, k)) for k in NUMBERS},
            **{k: str(getattr(store, k) or "none") for k in CHANNELS},
            "category_id": str(rules.category_ids[0]) if rules.category_ids else "none",
            "seller_role_ids": ", ".join(str(r) for r in rules.seller_role_ids),
        }
        self._show_secrets(checked.store)
        channels = await discord_api.guild_channels(checked.guild_id)
        self.text_channels = [{"id": "none", "name": "— none —"}] + [
            {"id": str(c.id), "name": "#" + c.name} for c in channels if c.type == discord_api.TEXT_CHANNEL
        ]
        self.categories = [{"id": "none", "name": "— none —"}] + [
            {"id": str(c.id), "name": c.name} for c in channels if c.type == discord_api.CATEGORY
        ]
        return None

    def _show_secrets(self, store) -> None:
        # Secrets are never sent back to the browser: only whether each one is set.
        held = {"moota_secret": store.moota_secret, **store.gateways.model_dump()}
        self.secrets_set = {k: ("set" if held.get(k) else "not set") for k in SECRETS}
        base = get_settings().public_url.rstrip("/")
        self.webhook_urls = [
            {"name": name, "url": f"{base}/webhooks/{slug}/{store.guild_id}"}
            for slug, name in WEBHOOKS.items()
        ]

    async def save_secrets(self, form: dict):
        try:
            checked = await self._access()
            given = {k: str(form.get(k) or "").strip() for k in SECRETS}
            cleared = {k for k in SECRETS if form.get(f"clear_{k}")}
            store = await store_settings.set_payment_secrets(
                checked.guild_id,
                **{k: ("" if k in cleared else (v or None)) for k, v in given.items()},
            )
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        self._show_secrets(store)
        self.secrets_key += 1
        return self._done("Payment secrets saved")

    async def save(self, form: dict):
        try:
            checked = await self._access()
            rules = {}
            for key in NUMBERS:
                raw = str(form.get(key, "")).strip()
                if not raw.lstrip("-").isdigit():
                    raise InvalidInput(problems=(Problem(key, "whole_number"),))
                # Out of range (auto-close -1) is the model's to refuse, naming its limits.
                rules[key] = int(raw)
            roles = [r.strip() for r in str(form.get("seller_role_ids", "")).split(",") if r.strip()]
            if not all(r.isdigit() for r in roles):
                raise InvalidInput("seller roles: role ids separated by commas")
            rules["seller_role_ids"] = [int(r) for r in roles]
            category = str(form.get("category_id") or "none")
            rest = checked.store.tickets.category_ids[1:]
            rules["category_ids"] = ([int(category)] if category != "none" else []) + rest
            channels = {
                k: (int(v) if (v := str(form.get(k) or "none")) != "none" else None) for k in CHANNELS
            }
            await store_settings.update_store(
                checked.guild_id,
                tickets=rules,
                # Every id is checked against the guild's own channels and roles, read now.
                directory=await guild_directory.read(checked.guild_id),
                name=str(form.get("name", "")).strip(),
                locale=str(form.get("locale", "id")),
                currency=str(form.get("currency", "IDR")),
                **channels,
            )
        except (access.Refused, StoreError, ValueError) as error:
            return self._failed(error)
        return self._done("Settings saved")


def _bound(key: str) -> dict[str, Any]:
    """A form control's name and its saved value (re-rendered when the value loads)."""
    return {"name": key, "default_value": SettingsState.values[key], "key": SettingsState.values[key]}


def _labelled(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2"), control, spacing="1")


def _number(key: str, label: str) -> rx.Component:
    # No `min`: the browser would refuse -1 in a bubble no one reads; the store says why instead.
    return _labelled(label, rx.input(type="number", id=f"setting-{key}", **_bound(key)))


def _choice(key: str, label: str, options) -> rx.Component:
    return _labelled(
        label,
        rx.select.root(
            rx.select.trigger(),
            rx.select.content(rx.foreach(options, lambda c: rx.select.item(c["name"], value=c["id"]))),
            **_bound(key),
        ),
    )


def _secret(key: str, label: str) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(label, size="2"),
            rx.badge(
                SettingsState.secrets_set[key],
                color_scheme=rx.cond(SettingsState.secrets_set[key] == "set", "green", "gray"),
                id=f"secret-state-{key}",
            ),
        ),
        rx.input(
            name=key,
            type="password",
            placeholder="paste to set or replace",
            id=f"secret-{key}",
            min_width="260px",
        ),
        rx.checkbox("remove", name=f"clear_{key}"),
        spacing="1",
    )


def _payment_secrets() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Automatic payments", size="4"),
                rx.text(
                    "Give each provider its webhook address; notifications are accepted only when "
                    "signed with the secret saved here.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.foreach(
                    SettingsState.webhook_urls,
                    lambda w: rx.hstack(
                        rx.text(w["name"], weight="bold", min_width="90px"), rx.code(w["url"])
                    ),
                ),
                rx.flex(*[_secret(k, label) for k, label in SECRETS.items()], spacing="3", wrap="wrap"),
                rx.button("Save payment secrets", type="submit", id="save-secrets"),
                width="100%",
            ),
            on_submit=SettingsState.save_secrets,
            key=SettingsState.secrets_key,
            width="100%",
        ),
        style=styles.card,
    )


def settings_page() -> rx.Component:
    return frame(
        "settings",
        "Settings",
        rx.form(
            rx.vstack(
                rx.card(
                    rx.vstack(
                        rx.heading("Store", size="4"),
                        rx.flex(
                            _labelled("Name", rx.input(**_bound("name"))),
                            _labelled("Language", rx.select(["id", "en"], **_bound("locale"))),
                            _labelled(
                                "Currency",
                                rx.select(["IDR", "USD", "SGD", "MYR", "EUR"], **_bound("currency")),
                            ),
                            spacing="3",
                            wrap="wrap",
                        ),
                    ),
                    style=styles.card,
                ),
                rx.card(
                    rx.vstack(
                        rx.heading("Tickets", size="4"),
                        rx.flex(
                            *[_number(k, label) for k, label in NUMBERS.items()], spacing="3", wrap="wrap"
                        ),
                        rx.flex(
                            _choice("category_id", "Ticket category", SettingsState.categories),
                            _labelled(
                                "Seller role ids (comma-separated)",
                                rx.input(min_width="260px", **_bound("seller_role_ids")),
                            ),
                            spacing="3",
                            wrap="wrap",
                        ),
                    ),
                    style=styles.card,
                ),
                rx.card(
                    rx.vstack(
                        rx.heading("Channels", size="4"),
                        rx.flex(
                            *[
                                _choice(k, label, SettingsState.text_channels)
                                for k, label in CHANNELS.items()
                            ],
                            spacing="3",
                            wrap="wrap",
                        ),
                    ),
                    style=styles.card,
                ),
                rx.button("Save settings", type="submit", id="save-settings"),
                width="100%",
                spacing="3",
            ),
            on_submit=SettingsState.save,
            width="100%",
        ),
        _payment_secrets(),
    )
