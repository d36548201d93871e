"""/store/<guild>/panel: the panel designer with a live, Discord-like preview, and Publish.

The preview is the bot's own rendering (`workflows.panel.render`) of the design being edited,
so what the seller sees is what buyers get. Publish records the channel; the bot posts or
edits the panel within a second (`bot.refresh`).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from pydantic import ValidationError

from models.store import PanelSettings
from web import access, discord_api, guild_directory, media, styles
from web.components.embed_preview import embed_preview
from web.components.frame import frame
from web.components.widgets import drop_zone
from web.seller import SellerState
from workflows import store_settings
from workflows.errors import InvalidInput, Problem, StoreError
from workflows.images import MAX_BYTES
from workflows.panel import product_lines, render

STYLES = ["primary", "secondary", "success", "danger"]
TEXT_FIELDS = ["title", "description", "buy_label", "payment_label", "buy_emoji", "payment_emoji"]
DESIGN_FIELDS = [*TEXT_FIELDS, "color", "layout", "buy_style", "payment_style", "refresh_s", "thumbnail_ref"]


class PanelState(SellerState):
    design: dict[str, str] = {}
    channels: list[dict[str, str]] = []
    channel_id: str = ""
    published_in: str = ""
    preview: dict[str, Any] = {}

    async def _render_preview(self, checked: access.SellerAccess) -> None:
        try:
            panel = self._panel(checked)
        except InvalidInput:
            return  # keep the last good preview while the seller is typing
        store = checked.store.model_copy(update={"panel": panel})
        message = render(store, await product_lines(store))
        embed = message["embeds"][0]
        self.preview = {
            "title": embed.get("title", ""),
            "description": embed.get("description", ""),
            "color": f"#{embed.get('color', 0):06x}",
            "thumbnail": (embed.get("thumbnail") or {}).get("url", ""),
            "fields": [{"name": f["name"], "value": f["value"]} for f in embed.get("fields", [])],
            "footer": (embed.get("footer") or {}).get("text", ""),
            "buttons": [
                {
                    "label": ((b.get("emoji") or {}).get("name", "") + " " + b.get("label", "")).strip(),
                    "color": styles.BUTTON_COLORS[STYLES[b["style"] - 1]],
                }
                for b in message["components"][0]["components"]
            ],
        }

    def _panel(self, checked: access.SellerAccess) -> PanelSettings:
        design = self.design
        try:
            color = int(design.get("color", "#5865f2").lstrip("#") or "0", 16)
        except ValueError:
            raise InvalidInput(problems=(Problem("color", "invalid"),)) from None
        try:
            return PanelSettings.model_validate(
                {
                    **checked.store.panel.model_dump(),
                    **{k: design[k] for k in TEXT_FIELDS if k in design},
                    "color": color,
                    "layout": design.get("layout", "fields"),
                    "buy_style": design.get("buy_style", "success"),
                    "payment_style": design.get("payment_style", "secondary"),
                    "refresh_s": design.get("refresh_s") or 5,  # the model says when it is no number
                    "thumbnail_ref": design.get("thumbnail") or None,
                }
            )
        except ValidationError as error:  # said in the seller's words by SellerState._failed
            raise InvalidInput.explaining(error) from None

    async def load(self):
        checked = await self._enter()
        if not isinstance(checked, access.SellerAccess):
            return checked
        panel = checked.store.panel
        self.design = {
            **{k: str(getattr(panel, k)) for k in TEXT_FIELDS},
            "color": f"#{panel.color:06x}",
            "layout": panel.layout,
            "buy_style": panel.buy_style,
            "payment_style": panel.payment_style,
            "refresh_s": str(panel.refresh_s),
            "thumbnail": panel.thumbnail_ref or "",
        }
        self.channels = [
            {"id": str(c.id), "name": "#" + c.name}
            for c in await discord_api.guild_channels(checked.guild_id)
            if c.type == discord_api.TEXT_CHANNEL
        ]
        self.channel_id = str(panel.channel_id or "")
        self.published_in = next((c["name"] for c in self.channels if c["id"] == self.channel_id), "")
        await self._render_preview(checked)
        return None

    async def set_design(self, key: str, value: str):
        self.design = {**self.design, key: value}
        try:
            checked = await self._access()
        except access.Refused as error:
            return self._failed(error)
        await self._render_preview(checked)
        return None

    def set_channel(self, channel_id: str):
        self.channel_id = channel_id

    async def upload_thumbnail(self, files: list[rx.UploadFile]):
        try:
            checked = await self._access()
            if not files:
                raise InvalidInput("choose an image first")
            ref = await media.keep_image(checked.guild_id, await files[0].read(MAX_BYTES + 1))
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        return await self.set_design("thumbnail", media.public_url(media.thumbnail_ref(ref)))

    async def save(self):
        try:
            checked = await self._access()
            panel = self._panel(checked)
            await store_settings.update_panel(
                checked.guild_id, **{k: getattr(panel, k) for k in DESIGN_FIELDS}
            )
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        return self._done("Design saved: the panel in Discord updates within a second")

    async def publish(self):
        try:
            checked = await self._access()
            if not self.channel_id or self.channel_id not in {c["id"] for c in self.channels}:
                raise InvalidInput("channel: choose the channel the panel goes in")
            panel = self._panel(checked)
            await store_settings.update_panel(
                checked.guild_id, **{k: getattr(panel, k) for k in DESIGN_FIELDS}
            )
            await store_settings.publish_panel(
                checked.guild_id, int(self.channel_id), await guild_directory.read(checked.guild_id)
            )
        except (access.Refused, StoreError) as error:
            return self._failed(error)
        self.published_in = next((c["name"] for c in self.channels if c["id"] == self.channel_id), "")
        return self._done(f"Published in {self.published_in}")


def _input(label: str, key: str, **props: Any) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.input(
            default_value=PanelState.design[key],
            on_change=lambda value: PanelState.set_design(key, value).debounce(250),
            id=f"panel-{key}",
            width="100%",
            **props,
        ),
        spacing="1",
        width="100%",
    )


def _select(label: str, key: str, options: list[str]) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.select(
            options,
            value=PanelState.design[key],
            on_change=lambda value: PanelState.set_design(key, value),
            id=f"panel-{key}",
        ),
        spacing="1",
    )


def _designer() -> rx.Component:
    return rx.card(
        rx.vstack(
            _input("Title", "title"),
            rx.vstack(
                rx.text("Description", size="2", weight="medium"),
                rx.text_area(
                    default_value=PanelState.design["description"],
                    on_change=lambda value: PanelState.set_design("description", value).debounce(250),
                    width="100%",
                ),
                width="100%",
                spacing="1",
            ),
            rx.flex(
                rx.vstack(
                    rx.text("Colour", size="2", weight="medium"),
                    rx.input(
                        type="color",
                        value=PanelState.design["color"],
                        on_change=lambda v: PanelState.set_design("color", v).debounce(150),
                        width="60px",
                        padding="0",
                    ),
                    spacing="1",
                ),
                _select("Layout", "layout", ["fields", "list"]),
                _input("Refresh (s)", "refresh_s", type="number", min="2", max="3600"),
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
            rx.flex(
                _input("Buy label", "buy_label"),
                _input("Emoji", "buy_emoji", max_length=64),
                _select("Colour", "buy_style", STYLES),
                spacing="2",
                width="100%",
            ),
            rx.flex(
                _input("Payment label", "payment_label"),
                _input("Emoji", "payment_emoji", max_length=64),
                _select("Colour", "payment_style", STYLES),
                spacing="2",
                width="100%",
            ),
            rx.text("Thumbnail", size="2", weight="medium"),
            drop_zone("panel_thumbnail", "Drop a thumbnail image"),
            rx.button(
                "Upload thumbnail",
                variant="soft",
                on_click=PanelState.upload_thumbnail(rx.upload_files(upload_id="panel_thumbnail")),
            ),
            rx.divider(),
            rx.hstack(
                rx.select.root(
                    rx.select.trigger(placeholder="Channel", id="panel-channel"),
                    rx.select.content(
                        rx.foreach(PanelState.channels, lambda c: rx.select.item(c["name"], value=c["id"]))
                    ),
                    value=PanelState.channel_id,
                    on_change=PanelState.set_channel,
                ),
                rx.button("Save design", variant="soft", on_click=PanelState.save, id="save-panel"),
                rx.button("Publish", on_click=PanelState.publish, id="publish-panel"),
                wrap="wrap",
            ),
            rx.cond(
                PanelState.published_in != "",
                rx.text(
                    "Live in ", PanelState.published_in, size="2", color_scheme="green", id="published-in"
                ),
            ),
            width="100%",
        ),
        style=styles.card,
        flex="1",
        min_width="300px",
    )


def panel_page() -> rx.Component:
    return frame(
        "panel",
        "Panel designer",
        rx.flex(
            _designer(),
            rx.box(embed_preview(PanelState.preview), flex="1", min_width="300px"),
            spacing="4",
            wrap="wrap",
            width="100%",
        ),
    )
