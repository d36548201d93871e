"""/store/<guild>/settings: ticket rules, channels, roles, language and currency, and the
secrets automatic payments are checked with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx

from models.settings import get_settings
from models.store import Store, TicketSettings
from web import discord_api, guild_directory, styles
from web.components.frame import frame
from web.i18n import tx
from web.seller import SellerAccess, SellerState, page_entry, seller_action
from workflows import store_settings
from workflows.errors import InvalidInput, format_number

NUMBERS = ["max_open_tickets_per_buyer", "cooldown_s", "unpaid_expiry_s", "auto_close_s", "max_quantity"]
SECRETS = ["moota_secret", "tripay_private_key", "midtrans_server_key", "xendit_callback_token"]
SECRET_LENGTH = range(16, 201)  # as workflows.store_settings.set_payment_secrets checks them
WEBHOOKS = {"moota": "Moota", "tripay": "Tripay", "midtrans": "Midtrans", "xendit": "Xendit"}
CHANNELS = ["transcript_channel_id", "log_channel_id", "testimonial_channel_id"]
LOCALES = ["id", "en"]
CURRENCIES = ["IDR", "USD", "SGD", "MYR", "EUR"]
NONE = "none"  # the choice "no channel" / "no category"
LABEL = {"font_size": "var(--font-size-2)", "font_weight": "500"}


def _range(key: str) -> tuple[int, int]:
    """The allowed range of a ticket rule, as the model declares it (Field(ge=…, le=…))."""
    rules = TicketSettings.model_fields[key].metadata
    low = next(rule.ge for rule in rules if getattr(rule, "ge", None) is not None)
    high = next(rule.le for rule in rules if getattr(rule, "le", None) is not None)
    return int(low), int(high)


@dataclass
class StoreForm:
    """The saved settings, as the form shows them."""

    name: str = ""
    locale: str = "id"
    currency: str = "IDR"
    max_open_tickets_per_buyer: str = ""
    cooldown_s: str = ""
    unpaid_expiry_s: str = ""
    auto_close_s: str = ""
    max_quantity: str = ""
    transcript_channel_id: str = NONE
    log_channel_id: str = NONE
    testimonial_channel_id: str = NONE
    category_id: str = NONE
    seller_role_ids: str = ""


@dataclass
class Choice:
    """A channel or category to choose."""

    id: str = ""
    name: str = ""


@dataclass
class Webhook:
    name: str = ""
    url: str = ""


@dataclass
class SecretsHeld:
    """Whether each secret is saved (the secrets themselves never reach the browser)."""

    moota_secret: bool = False
    tripay_private_key: bool = False
    midtrans_server_key: bool = False
    xendit_callback_token: bool = False


def _form_of(store: Store) -> StoreForm:
    rules = store.tickets
    return StoreForm(
        name=store.name,
        locale=store.locale,
        currency=store.currency,
        **{k: str(getattr(rules, k)) for k in NUMBERS},
        **{k: str(getattr(store, k) or NONE) for k in CHANNELS},
        category_id=str(rules.category_ids[0]) if rules.category_ids else NONE,
        seller_role_ids=", ".join(str(r) for r in rules.seller_role_ids),
    )


class SettingsState(SellerState):
    form: StoreForm = StoreForm()
    secrets_set: SecretsHeld = SecretsHeld()
    secrets_key: int = 0
    form_key: int = 0
    webhook_urls: list[Webhook] = []
    text_channels: list[Choice] = []
    categories: list[Choice] = []

    @page_entry
    async def load(self, checked: SellerAccess):
        saved = _form_of(checked.store)
        # The form is drawn anew only when what is saved differs from what it shows: a seller
        # typing while the page loads keeps what they typed.
        if self.form_key == 0 or saved != self.form:
            self.form = saved
            self.form_key += 1
        self._show_secrets(checked.store)
        channels = await discord_api.guild_channels(checked.guild_id)
        self.text_channels = [
            Choice(str(c.id), "#" + c.name) for c in channels if c.type == discord_api.TEXT_CHANNEL
        ]
        self.categories = [Choice(str(c.id), c.name) for c in channels if c.type == discord_api.CATEGORY]

    def _show_secrets(self, store: Store) -> None:
        held = {"moota_secret": store.moota_secret, **store.gateways.model_dump()}
        self.secrets_set = SecretsHeld(**{k: bool(held.get(k)) for k in SECRETS})
        base = get_settings().public_url.rstrip("/")
        self.webhook_urls = [
            Webhook(name, f"{base}/webhooks/{slug}/{store.guild_id}") for slug, name in WEBHOOKS.items()
        ]

    @seller_action
    async def save_secrets(self, checked: SellerAccess, form: dict):
        given = {k: str(form.get(k) or "").strip() for k in SECRETS}
        cleared = {k for k in SECRETS if form.get(f"clear_{k}")}
        for key, value in given.items():
            if value and key not in cleared and len(value) not in SECRET_LENGTH:
                field_name = self._say(f"settings.secret.{key}")
                raise InvalidInput(self._say("settings.secret_length", field=field_name))
        store = await store_settings.set_payment_secrets(
            checked.guild_id,
            by=checked.actor,
            **{k: ("" if k in cleared else (v or None)) for k, v in given.items()},
        )
        self._show_secrets(store)
        self.secrets_key += 1
        return self._done(self._say("settings.secrets_saved"))

    def _number(self, form: dict, key: str) -> int:
        """A ticket rule as typed; refused naming the field and its range in the seller's
        language (issue 17, item 4: auto-close -1 used to say nothing)."""
        raw = str(form.get(key, "")).strip()
        low, high = _range(key)
        if raw.lstrip("-").isdigit() and low <= int(raw) <= high:
            return int(raw)
        raise InvalidInput(
            self._say(
                "settings.range",
                field=self._say(f"settings.number.{key}"),
                low=format_number(low, self.lang),
                high=format_number(high, self.lang),
            )
        )

    @seller_action
    async def save(self, checked: SellerAccess, form: dict):
        rules: dict[str, Any] = {key: self._number(form, key) for key in NUMBERS}
        roles = [r.strip() for r in str(form.get("seller_role_ids", "")).split(",") if r.strip()]
        if not all(r.isdigit() for r in roles):
            raise InvalidInput(self._say("settings.roles_refused"))
        rules["seller_role_ids"] = [int(r) for r in roles]
        category = str(form.get("category_id") or NONE)
        rest = checked.store.tickets.category_ids[1:]
        rules["category_ids"] = ([int(category)] if category.isdigit() else []) + rest
        channels = {k: (int(v) if (v := str(form.get(k) or NONE)).isdigit() else None) for k in CHANNELS}
        updated = await store_settings.update_store(
            checked.guild_id,
            tickets=rules,
            # Every id is checked against the guild's own channels and roles, read now.
            directory=await guild_directory.read(checked.guild_id),
            name=str(form.get("name", "")).strip(),
            locale=str(form.get("locale", "id")),
            currency=str(form.get("currency", "IDR")),
            by=checked.actor,
            **channels,
        )
        self.form = _form_of(updated)  # what the form shows now (not drawn anew: it shows it)
        return self._done(self._say("settings.saved"))


def _bound(key: str) -> dict[str, Any]:
    """A form control's name, id and saved value."""
    return {"name": key, "id": f"setting-{key}", "default_value": getattr(SettingsState.form, key)}


def _labelled(label: rx.Var, key: str, control: rx.Component) -> rx.Component:
    """A control with its visible label tied to it (`get_by_label` and screen readers find it)."""
    return rx.vstack(rx.el.label(label, html_for=f"setting-{key}", style=LABEL), control, spacing="1")


def _number(key: str) -> rx.Component:
    # No `min`: the browser would refuse -1 in a bubble no one reads; the store says why instead.
    return _labelled(tx(f"settings.number.{key}"), key, rx.input(type="number", **_bound(key)))


def _choice(key: str, label: rx.Var, options: rx.Var) -> rx.Component:
    bound = _bound(key)
    return _labelled(
        label,
        key,
        rx.select.root(
            rx.select.trigger(id=bound.pop("id")),
            rx.select.content(
                rx.select.item(tx("settings.none"), value=NONE),
                rx.foreach(options, lambda c: rx.select.item(c.name, value=c.id)),
            ),
            **bound,
        ),
    )


def _fixed_choice(key: str, label: rx.Var, options: list[tuple[str, rx.Var | str]]) -> rx.Component:
    bound = _bound(key)
    return _labelled(
        label,
        key,
        rx.select.root(
            rx.select.trigger(id=bound.pop("id")),
            rx.select.content(*[rx.select.item(text, value=value) for value, text in options]),
            **bound,
        ),
    )


def _secret(key: str) -> rx.Component:
    held = getattr(SettingsState.secrets_set, key)
    return rx.vstack(
        rx.hstack(
            rx.el.label(tx(f"settings.secret.{key}"), html_for=f"secret-{key}", style=LABEL),
            rx.badge(
                rx.cond(held, tx("settings.secret_set"), tx("settings.secret_not_set")),
                color_scheme=rx.cond(held, "green", "gray"),
                id=f"secret-state-{key}",
                custom_attrs={"data-set": rx.cond(held, "yes", "no")},
            ),
        ),
        rx.input(
            name=key,
            type="password",
            placeholder=tx("settings.secret_placeholder"),
            id=f"secret-{key}",
            min_width="260px",
        ),
        rx.el.label(
            rx.hstack(
                rx.checkbox(name=f"clear_{key}", id=f"clear-{key}"),
                rx.text(tx("settings.secret_remove"), size="2"),
                spacing="1",
                align="center",
            ),
        ),
        spacing="1",
    )


def _payment_secrets() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tx("settings.payments"), size="4"),
                rx.text(tx("settings.payments_intro"), size="2", color_scheme="gray"),
                rx.foreach(
                    SettingsState.webhook_urls,
                    lambda w: rx.hstack(rx.text(w.name, weight="bold", min_width="90px"), rx.code(w.url)),
                ),
                rx.flex(*[_secret(k) for k in SECRETS], spacing="3", wrap="wrap"),
                rx.button(tx("settings.save_secrets"), type="submit", id="save-secrets"),
                width="100%",
            ),
            on_submit=SettingsState.save_secrets,
            key=SettingsState.secrets_key,
            width="100%",
        ),
        style=styles.card,
    )


def _store_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.card(
                rx.vstack(
                    rx.heading(tx("settings.store"), size="4"),
                    rx.flex(
                        _labelled(tx("settings.name"), "name", rx.input(**_bound("name"))),
                        _fixed_choice(
                            "locale",
                            tx("settings.language"),
                            [(code, tx(f"settings.languages.{code}")) for code in LOCALES],
                        ),
                        _fixed_choice("currency", tx("settings.currency"), [(c, c) for c in CURRENCIES]),
                        spacing="3",
                        wrap="wrap",
                    ),
                ),
                style=styles.card,
            ),
            rx.card(
                rx.vstack(
                    rx.heading(tx("settings.tickets"), size="4"),
                    rx.flex(*[_number(k) for k in NUMBERS], spacing="3", wrap="wrap"),
                    rx.flex(
                        _choice("category_id", tx("settings.category_id"), SettingsState.categories),
                        _labelled(
                            tx("settings.seller_role_ids"),
                            "seller_role_ids",
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
                    rx.heading(tx("settings.channels"), size="4"),
                    rx.flex(
                        *[
                            _choice(k, tx(f"settings.channel.{k}"), SettingsState.text_channels)
                            for k in CHANNELS
                        ],
                        spacing="3",
                        wrap="wrap",
                    ),
                ),
                style=styles.card,
            ),
            rx.button(tx("settings.save"), type="submit", id="save-settings"),
            width="100%",
            spacing="3",
        ),
        on_submit=SettingsState.save,
        key=SettingsState.form_key,
        width="100%",
    )


def settings_page() -> rx.Component:
    return frame(
        "settings",
        tx("settings.title"),
        # Until the first load the form has nothing to show (and nothing to keep).
        rx.cond(SettingsState.form_key > 0, _store_form(), rx.spinner(id="settings-loading")),
        _payment_secrets(),
    )
