"""/store/<guild>/panel: the panel designer with a live, Discord-like preview, and Publish.

The preview is the bot's own rendering (`workflows.panel.render`) of the design being edited,
so what the seller sees is what buyers get, in both languages: the one the seller reads the
dashboard in is shown (buyers read the store's language). Publish records the channel; the bot
posts or edits the panel within a second (`bot.refresh`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import reflex as rx
from pydantic import ValidationError

from models.store import PanelSettings
from web import discord_api, guild_directory, media, styles
from web.components.embed_preview import STYLES, EmbedPreview, embed_preview, from_message
from web.components.frame import frame
from web.components.widgets import drop_zone
from web.i18n import LANGUAGES, LanguageState, tx
from web.seller import SellerAccess, SellerState, page_entry, seller_action
from workflows import store_settings
from workflows.errors import InvalidInput, Problem
from workflows.images import MAX_BYTES
from workflows.panel import product_lines, render

LAYOUTS = ["fields", "list"]
LABEL = {"font_size": "var(--font-size-2)", "font_weight": "500"}


@dataclass
class Design:
    """The design being edited, as the form holds it."""

    title: str = ""
    description: str = ""
    buy_label: str = ""
    payment_label: str = ""
    buy_emoji: str = ""
    payment_emoji: str = ""
    color: str = "#5865f2"
    layout: str = "fields"
    buy_style: str = "success"
    payment_style: str = "secondary"
    refresh_s: str = "5"
    thumbnail: str = ""


BUTTON_LABELS = ("buy_label", "payment_label")
TEXT_FIELDS = ["title", "description", "buy_label", "payment_label", "buy_emoji", "payment_emoji"]
DESIGN_FIELDS = [*TEXT_FIELDS, "color", "layout", "buy_style", "payment_style", "refresh_s", "thumbnail_ref"]


DESIGN_KEYS = frozenset(f.name for f in dataclasses.fields(Design))


@dataclass
class Channel:
    id: str = ""
    name: str = ""


class PanelState(SellerState):
    design: Design = Design()
    channels: list[Channel] = []
    channel_id: str = ""
    published_in: str = ""
    preview_id: EmbedPreview = EmbedPreview()
    preview_en: EmbedPreview = EmbedPreview()
    design_key: int = 0

    async def _render_preview(self, checked: SellerAccess) -> None:
        try:
            panel = self._panel(checked)
        except InvalidInput:
            return  # keep the last good preview while the seller is typing
        lines = await product_lines(checked.store)
        # Both languages are drawn, so the language switch shows the other one at once.
        for lang in LANGUAGES:
            store = checked.store.model_copy(update={"panel": panel, "locale": lang})
            setattr(self, f"preview_{lang}", from_message(render(store, lines)))

    def _panel(self, checked: SellerAccess) -> PanelSettings:
        design = self.design
        try:
            color = int(design.color.lstrip("#") or "0", 16)
        except ValueError:
            raise InvalidInput(problems=(Problem("color", "invalid"),)) from None
        try:
            return PanelSettings.model_validate(
                {
                    **checked.store.panel.model_dump(),
                    **{k: getattr(design, k) for k in TEXT_FIELDS},
                    "color": color,
                    "layout": design.layout,
                    "buy_style": design.buy_style,
                    "payment_style": design.payment_style,
                    "refresh_s": design.refresh_s or 5,  # the model says when it is no number
                    "thumbnail_ref": design.thumbnail or None,
                }
            )
        except ValidationError as error:  # said in the seller's words by SellerState._failed
            raise InvalidInput.explaining(error) from None

    def _channel_name(self) -> str:
        return next((c.name for c in self.channels if c.id == self.channel_id), "")

    @page_entry
    async def load(self, checked: SellerAccess):
        panel = checked.store.panel
        # A button label left at the model's English default shows empty, with the label buyers
        # get in its place (the store's language, `workflows.panel._label`) as its placeholder.
        defaults = {k for k in BUTTON_LABELS if getattr(panel, k) == PanelSettings.model_fields[k].default}
        saved = Design(
            **{k: ("" if k in defaults else str(getattr(panel, k))) for k in TEXT_FIELDS},
            color=f"#{panel.color:06x}",
            layout=panel.layout,
            buy_style=panel.buy_style,
            payment_style=panel.payment_style,
            refresh_s=str(panel.refresh_s),
            thumbnail=panel.thumbnail_ref or "",
        )
        # The designer is drawn anew only when what is saved differs from what it shows: a
        # seller typing while the page loads keeps what they typed.
        if self.design_key == 0 or saved != self.design:
            self.design = saved
            self.design_key += 1
        self.channels = [
            Channel(str(c.id), "#" + c.name)
            for c in await discord_api.guild_channels(checked.guild_id)
            if c.type == discord_api.TEXT_CHANNEL
        ]
        self.channel_id = str(panel.channel_id or "")
        self.published_in = self._channel_name()
        await self._render_preview(checked)

    async def _redesign(self, checked: SellerAccess, key: str, value: str) -> None:
        if key not in DESIGN_KEYS:
            return  # not a field of the designer (a forged event): nothing to change
        self.design = dataclasses.replace(self.design, **{key: str(value)})
        await self._render_preview(checked)

    @seller_action
    async def set_design(self, checked: SellerAccess, key: str, value: str):
        await self._redesign(checked, key, value)

    @seller_action
    async def set_channel(self, checked: SellerAccess, channel_id: str):
        self.channel_id = channel_id

    @seller_action
    async def upload_thumbnail(self, checked: SellerAccess, files: list[rx.UploadFile]):
        if not files:
            raise InvalidInput(self._say("panel.no_thumbnail"))
        ref = await media.keep_image(checked.guild_id, await files[0].read(MAX_BYTES + 1))
        await self._redesign(checked, "thumbnail", media.public_url(media.thumbnail_ref(ref)))

    async def _save(self, checked: SellerAccess) -> None:
        panel = self._panel(checked)
        await store_settings.update_panel(
            checked.guild_id, by=checked.actor, **{k: getattr(panel, k) for k in DESIGN_FIELDS}
        )

    @seller_action
    async def save(self, checked: SellerAccess):
        await self._save(checked)
        return self._done(self._say("panel.saved"))

    @seller_action
    async def publish(self, checked: SellerAccess):
        if not self._channel_name():
            raise InvalidInput(key="panel_choose_channel")
        await self._save(checked)
        await store_settings.publish_panel(
            checked.guild_id,
            int(self.channel_id),
            await guild_directory.read(checked.guild_id),
            by=checked.actor,
        )
        self.published_in = self._channel_name()
        return self._done(self._say("panel.published", channel=self.published_in))


def _labelled(key: str, control: rx.Component, **props: Any) -> rx.Component:
    """A control with its visible label tied to it (`get_by_label` and screen readers find it)."""
    return rx.vstack(
        rx.el.label(tx(f"panel.label.{key}"), html_for=f"panel-{key}", style=LABEL),
        control,
        spacing="1",
        **props,
    )


def _input(key: str, **props: Any) -> rx.Component:
    return _labelled(
        key,
        rx.input(
            default_value=getattr(PanelState.design, key),
            on_change=lambda value: PanelState.set_design(key, value).debounce(250),
            id=f"panel-{key}",
            width="100%",
            **props,
        ),
        width="100%",
    )


def _select(key: str, options: list[tuple[str, rx.Var]]) -> rx.Component:
    return _labelled(
        key,
        rx.select.root(
            rx.select.trigger(id=f"panel-{key}"),
            rx.select.content(*[rx.select.item(text, value=value) for value, text in options]),
            value=getattr(PanelState.design, key),
            on_change=lambda value: PanelState.set_design(key, value),
        ),
    )


def _style(key: str) -> rx.Component:
    return _select(key, [(s, tx(f"panel.style.{s}")) for s in STYLES])


def _designer() -> rx.Component:
    return rx.card(
        rx.vstack(
            _input("title"),
            _labelled(
                "description",
                rx.text_area(
                    default_value=PanelState.design.description,
                    on_change=lambda value: PanelState.set_design("description", value).debounce(250),
                    id="panel-description",
                    width="100%",
                ),
                width="100%",
            ),
            rx.flex(
                _labelled(
                    "color",
                    rx.input(
                        type="color",
                        value=PanelState.design.color,
                        on_change=lambda v: PanelState.set_design("color", v).debounce(150),
                        id="panel-color",
                        width="60px",
                        padding="0",
                    ),
                ),
                _select("layout", [(x, tx(f"panel.layout.{x}")) for x in LAYOUTS]),
                _input("refresh_s", type="number", min="2", max="3600"),
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
            rx.flex(
                _input("buy_label", placeholder=tx("panel.default_label.buy_label")),
                _input("buy_emoji", max_length=64),
                _style("buy_style"),
                spacing="2",
                width="100%",
            ),
            rx.flex(
                _input("payment_label", placeholder=tx("panel.default_label.payment_label")),
                _input("payment_emoji", max_length=64),
                _style("payment_style"),
                spacing="2",
                width="100%",
            ),
            rx.text(tx("panel.label.thumbnail"), style=LABEL),
            drop_zone("panel_thumbnail", tx("panel.drop_thumbnail")),
            rx.button(
                tx("panel.upload_thumbnail"),
                variant="soft",
                on_click=PanelState.upload_thumbnail(rx.upload_files(upload_id="panel_thumbnail")),
                id="upload-thumbnail",
            ),
            rx.divider(),
            _labelled(
                "channel",
                rx.hstack(
                    rx.select.root(
                        rx.select.trigger(placeholder=tx("panel.choose_channel"), id="panel-channel"),
                        rx.select.content(
                            rx.foreach(PanelState.channels, lambda c: rx.select.item(c.name, value=c.id))
                        ),
                        value=PanelState.channel_id,
                        on_change=PanelState.set_channel,
                    ),
                    rx.button(tx("panel.save"), variant="soft", on_click=PanelState.save, id="save-panel"),
                    rx.button(tx("panel.publish"), on_click=PanelState.publish, id="publish-panel"),
                    wrap="wrap",
                ),
            ),
            rx.cond(
                PanelState.published_in != "",
                rx.text(
                    tx("panel.live_in", channel=PanelState.published_in),
                    size="2",
                    color_scheme="green",
                    id="published-in",
                ),
            ),
            width="100%",
            key=PanelState.design_key,
        ),
        style=styles.card,
        flex="1",
        min_width="300px",
    )


def _preview() -> rx.Component:
    return rx.vstack(
        rx.heading(tx("panel.preview"), size="3"),
        rx.cond(
            LanguageState.lang == "en",
            embed_preview(PanelState.preview_en, id="panel-preview", custom_attrs={"lang": "en"}),
            embed_preview(PanelState.preview_id, id="panel-preview", custom_attrs={"lang": "id"}),
        ),
        rx.text(tx("panel.preview_note"), size="1", color_scheme="gray"),
        flex="1",
        min_width="300px",
    )


def panel_page() -> rx.Component:
    return frame(
        "panel",
        tx("panel.title"),
        rx.flex(
            # Until the first load the designer has nothing to show (and nothing to keep).
            rx.cond(PanelState.design_key > 0, _designer(), rx.spinner(id="panel-loading")),
            _preview(),
            spacing="4",
            wrap="wrap",
            width="100%",
        ),
    )
