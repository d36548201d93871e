"""Changing a store's settings and its panel's design, validated as a whole before saving.

The bot watches the stores collection: a changed panel design or a newly chosen panel channel
reaches Discord within a second (`bot.refresh`), so "Publish" is a setting, not a Discord call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from models.store import GatewayCredentials, PanelSettings, Store, TicketSettings, utcnow
from models.ticket import Actor
from workflows import audit, emoji, payment_secrets
from workflows.errors import InvalidInput
from workflows.i18n import text
from workflows.products import get_store

STORE_FIELDS = {
    "name",
    "currency",
    "locale",
    "log_channel_id",
    "transcript_channel_id",
    "testimonial_channel_id",
    "auto_credit_overpayments",
}


GATEWAY_KEYS = set(GatewayCredentials.model_fields)
CHANNEL_FIELDS = ("transcript_channel_id", "log_channel_id", "testimonial_channel_id")


@dataclass(frozen=True)
class GuildDirectory:
    """The ids a guild holds, as Discord lists them to the bot (read by the caller over REST).

    Parameters:
      guild_id: the guild listed.
      text_channel_ids: its channels that are not categories.
      category_ids: its categories.
      role_ids: its roles.
    """

    guild_id: int
    text_channel_ids: frozenset[int]
    category_ids: frozenset[int]
    role_ids: frozenset[int]


class NotTheGuilds(InvalidInput):
    """A channel, category or role that is not the store's guild's, or a guild Discord could not
    list: said in the language of whoever reads it (`in_locale`), naming the field; `str()` in
    the store's language."""

    def __init__(self, locale: str, field: str = "") -> None:
        self.field = field
        super().__init__(self.in_locale(locale))

    def in_locale(self, locale: str, currency: str = "IDR") -> str:
        if not self.field:
            return text(locale, "security.cannot_check")
        return text(locale, "security.not_in_guild", field=text(locale, f"security.field.{self.field}"))


def _own_ids_only(store: Store, directory: GuildDirectory | None, chosen: dict[str, list[int]]) -> None:
    """Refuse any channel, category or role id that is not the store's own guild's: a seller of
    guild A must not send A's transcripts (or anything else) into guild B."""
    chosen = {name: ids for name, ids in chosen.items() if ids}
    if not chosen:
        return
    if directory is None or directory.guild_id != store.guild_id:
        raise NotTheGuilds(store.locale)
    held = {
        "category_ids": directory.category_ids,
        "seller_role_ids": directory.role_ids,
    }
    for name, ids in chosen.items():
        if not set(ids) <= held.get(name, directory.text_channel_ids):
            raise NotTheGuilds(store.locale, name)


async def update_store(
    guild_id: int,
    tickets: dict[str, Any] | None = None,
    *,
    directory: GuildDirectory | None = None,
    by: Actor | None = None,
    **changes: Any,
) -> Store:
    """Change store-wide settings and ticket rules (`tickets`: fields of TicketSettings).
    Channels, categories and roles must be in `directory`, the store's guild as Discord lists
    it (required as soon as one of them is set)."""
    store = await get_store(guild_id)
    unknown = set(changes) - STORE_FIELDS
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} here")
    data = store.model_dump()
    if tickets:
        unknown = set(tickets) - set(TicketSettings.model_fields)
        if unknown:
            raise InvalidInput(f"unknown ticket settings: {', '.join(sorted(unknown))}")
        data["tickets"] = {**data["tickets"], **tickets}
    data.update(changes)
    try:
        updated = Store.model_validate({**data, "id": store.id})
    except ValidationError as error:
        raise InvalidInput.explaining(error) from None
    rules = tickets or {}
    _own_ids_only(
        store,
        directory,
        {
            **{k: [getattr(updated, k)] for k in CHANNEL_FIELDS if k in changes and getattr(updated, k)},
            **{k: getattr(updated.tickets, k) for k in ("category_ids", "seller_role_ids") if k in rules},
        },
    )
    fields = {key: getattr(updated, key) for key in changes}
    if tickets:
        fields["tickets"] = updated.tickets.model_dump()
    await Store.get_pymongo_collection().update_one(
        {"_id": store.id}, {"$set": {**fields, "updated_at": utcnow()}}
    )
    await audit.record(
        guild_id, by, "settings.changed", subject=updated.name,
        before=store.model_dump(include=set(fields)), after=updated.model_dump(include=set(fields)),
    )
    return updated


async def set_payment_secrets(guild_id: int, *, by: Actor | None = None, **secrets: str | None) -> Store:
    """Set the secrets automatic payments are checked with: `moota_secret` and the gateways'
    `tripay_private_key`, `midtrans_server_key`, `xendit_callback_token`. None leaves one as it
    is; "" removes it (that source can no longer verify payments). They are saved encrypted
    (`workflows.payment_secrets`): the returned store holds them sealed, never in clear."""
    store = await get_store(guild_id)
    allowed = {"moota_secret", *GATEWAY_KEYS}
    unknown = set(secrets) - allowed
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} here")
    changes = {k: (v.strip() or None) for k, v in secrets.items() if v is not None}
    # The dashboard names the field first (web/pages/settings.py); this guards every caller.
    for value in changes.values():
        if value is not None and not 16 <= len(value) <= 200:
            raise InvalidInput(key="settings_secret_length")
    sealed = {k: payment_secrets.seal(v) for k, v in changes.items()}
    gateways = {**store.gateways.model_dump(), **{k: v for k, v in sealed.items() if k in GATEWAY_KEYS}}
    try:
        updated = Store.model_validate(
            {
                **store.model_dump(),
                "id": store.id,
                "gateways": gateways,
                **({"moota_secret": sealed["moota_secret"]} if "moota_secret" in sealed else {}),
            }
        )
    except ValidationError as error:
        raise InvalidInput.explaining(error) from None
    await Store.get_pymongo_collection().update_one(
        {"_id": store.id},
        {
            "$set": {
                "moota_secret": updated.moota_secret,
                "gateways": updated.gateways.model_dump(),
                "updated_at": utcnow(),
            }
        },
    )
    # Which secret changed, never its value: every field here is listed as "secret".
    await audit.record(
        guild_id, by, "settings.secrets_changed", subject=updated.name,
        before={"moota_secret": store.moota_secret, "gateways": store.gateways.model_dump()},
        after={"moota_secret": updated.moota_secret, "gateways": updated.gateways.model_dump()},
        secret=("moota_secret", "gateways"),
    )
    return updated


async def update_panel(guild_id: int, *, by: Actor | None = None, **changes: Any) -> Store:
    """Change the panel's design (title, colours, labels, layout, refresh interval…)."""
    store = await get_store(guild_id)
    unknown = set(changes) - (set(PanelSettings.model_fields) - {"channel_id", "message_id"})
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} here")
    for key in ("buy_emoji", "payment_emoji"):
        if isinstance(changes.get(key), str):
            normalised = emoji.normalise(changes[key])
            if normalised is None:  # Discord would refuse the whole panel (400/50035)
                button = text(store.locale, f"limits.{key}")
                raise InvalidInput(text(store.locale, "limits.emoji_invalid", button=button))
            changes[key] = normalised
    try:
        panel = PanelSettings.model_validate({**store.panel.model_dump(), **changes})
    except ValidationError as error:
        raise InvalidInput.explaining(error, "panel.") from None
    await Store.get_pymongo_collection().update_one(
        {"_id": store.id},
        {"$set": {**{f"panel.{k}": getattr(panel, k) for k in changes}, "updated_at": utcnow()}},
    )
    await audit.record(
        guild_id, by, "settings.panel_changed", subject=store.name,
        before={"panel": store.panel.model_dump(include=set(changes))},
        after={"panel": panel.model_dump(include=set(changes))},
    )
    store.panel = panel
    return store


async def publish_panel(
    guild_id: int, channel_id: int, directory: GuildDirectory | None = None, by: Actor | None = None
) -> Store:
    """Ask for the panel in `channel_id`: posted there (a new channel) or refreshed in place.
    The channel must be in `directory`, the store's guild as Discord lists it."""
    store = await get_store(guild_id)
    if isinstance(channel_id, bool) or not isinstance(channel_id, int) or channel_id <= 0:
        raise InvalidInput("Panel channel: choose the channel the panel goes in", key="panel_choose_channel")
    _own_ids_only(store, directory, {"panel_channel_id": [channel_id]})
    changes: dict[str, Any] = {"panel.channel_id": channel_id, "updated_at": utcnow()}
    if store.panel.channel_id != channel_id:
        changes["panel.message_id"] = None
    await Store.get_pymongo_collection().update_one({"_id": store.id}, {"$set": changes})
    await audit.record(
        guild_id, by, "settings.panel_published", subject=store.name,
        before={"panel.channel_id": store.panel.channel_id},
        after={"panel.channel_id": channel_id},
        always=True,
    )
    return await get_store(guild_id)
