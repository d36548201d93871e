"""Changing a store's settings and its panel's design, validated as a whole before saving.

The bot watches the stores collection: a changed panel design or a newly chosen panel channel
reaches Discord within a second (`bot.refresh`), so "Publish" is a setting, not a Discord call.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from models.store import GatewayCredentials, PanelSettings, Store, TicketSettings, utcnow
from workflows import emoji
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
}


GATEWAY_KEYS = set(GatewayCredentials.model_fields)


async def update_store(guild_id: int, tickets: dict[str, Any] | None = None, **changes: Any) -> Store:
    """Change store-wide settings and ticket rules (`tickets`: fields of TicketSettings)."""
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
    fields = {key: getattr(updated, key) for key in changes}
    if tickets:
        fields["tickets"] = updated.tickets.model_dump()
    await Store.get_pymongo_collection().update_one(
        {"_id": store.id}, {"$set": {**fields, "updated_at": utcnow()}}
    )
    return updated


async def set_payment_secrets(guild_id: int, **secrets: str | None) -> Store:
    """Set the secrets automatic payments are checked with: `moota_secret` and the gateways'
    `tripay_private_key`, `midtrans_server_key`, `xendit_callback_token`. None leaves one as it
    is; "" removes it (that source can no longer verify payments)."""
    store = await get_store(guild_id)
    allowed = {"moota_secret", *GATEWAY_KEYS}
    unknown = set(secrets) - allowed
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} here")
    changes = {k: (v.strip() or None) for k, v in secrets.items() if v is not None}
    gateways = {**store.gateways.model_dump(), **{k: v for k, v in changes.items() if k in GATEWAY_KEYS}}
    for key, value in changes.items():
        if value is not None and len(value) < 16:
            raise InvalidInput(f"{key}: at least 16 characters (paste it from the provider's dashboard)")
    try:
        updated = Store.model_validate(
            {
                **store.model_dump(),
                "id": store.id,
                "gateways": gateways,
                **({"moota_secret": changes["moota_secret"]} if "moota_secret" in changes else {}),
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
    return updated


async def update_panel(guild_id: int, **changes: Any) -> Store:
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
    store.panel = panel
    return store


async def publish_panel(guild_id: int, channel_id: int) -> Store:
    """Ask for the panel in `channel_id`: posted there (a new channel) or refreshed in place."""
    store = await get_store(guild_id)
    if isinstance(channel_id, bool) or not isinstance(channel_id, int) or channel_id <= 0:
        raise InvalidInput("channel: choose the channel the panel goes in")
    changes: dict[str, Any] = {"panel.channel_id": channel_id, "updated_at": utcnow()}
    if store.panel.channel_id != channel_id:
        changes["panel.message_id"] = None
    await Store.get_pymongo_collection().update_one({"_id": store.id}, {"$set": changes})
    return await get_store(guild_id)
