"""/sandbox (sandbox mode only): the demo guild as Discord would show it to one person — the
buyer or the seller — with channels, the panel and its buttons, ticket channels and DMs, and
the controls to click as that person, so the whole purchase can be tried in a browser.

What it shows follows Discord's client: Discord markdown rendered (as transcripts render it,
escaped first: nobody's text becomes HTML), mentions as names, an embed's `attachment://`
image served by the sandbox as Discord's CDN serves it, an ephemeral answer only to the person
whose click it answers, and each message as it is now (an edited message replaces its old
buttons and menus).

It talks to the local Discord over its control API (HTTP), as a Discord client would; it does
not import the sandbox.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import reflex as rx

from models.settings import get_settings
from web import access, live, styles
from web.i18n import LanguageState, language_switch, say, tx, when
from workflows.transcript import render_markdown

# components/reference.mdx "Button Styles": primary, secondary, success, danger, link.
BUTTON_COLORS = {1: "#5865f2", 2: "#4e5058", 3: "#248046", 4: "#da373c", 5: "#4e5058"}
VIEW_CHANNEL = 1 << 10
EPHEMERAL = 1 << 6  # resources/message.mdx "Message Flags"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def _world() -> dict[str, Any] | None:
    path = get_settings().sandbox_file
    if not path or not Path(path).exists():
        return None
    return json.loads(Path(path).read_text())


@dataclass
class Line:
    """An embed field."""

    name: str
    value: str  # HTML (rendered markdown)


@dataclass
class Choice:
    label: str
    value: str


@dataclass
class Control:
    """A button or a select menu of a message."""

    kind: str  # "button" | "select" | "link" (a link button opens `url`, sends no click)
    label: str
    custom_id: str
    color: str = ""
    options: list[Choice] = field(default_factory=list)
    url: str = ""


@dataclass
class Picture:
    """An embed after a message's first: the panel's picture of one product (its name, the
    address its title links to, its picture)."""

    title: str
    url: str
    image: str


@dataclass
class Shown:
    """One message as the viewer's Discord client shows it."""

    id: str
    author: str
    bot: bool
    at: str
    edited: bool
    ephemeral: bool
    content: str  # HTML (rendered markdown)
    title: str
    description: str  # HTML
    color: str
    image: str
    fields: list[Line]
    controls: list[Control]
    images: list[str]  # attached images not already shown in the embed
    files: list[str]  # other attachments, by name
    pictures: list[Picture] = field(default_factory=list)


@dataclass
class ChannelRow:
    id: str
    kind: str  # "text" | "dm"
    name: str


def _visible_to(channel: dict[str, Any], user_id: str, owner_id: str) -> bool:
    """Whether a guild text channel shows for this person (owner: always)."""
    if user_id == owner_id:
        return True
    visible = True
    for o in channel.get("permission_overwrites", []):
        if o["type"] == 0 and o["id"] == channel.get("guild_id") and int(o["deny"]) & VIEW_CHANNEL:
            visible = False
    for o in channel.get("permission_overwrites", []):
        if o["type"] == 1 and o["id"] == user_id and int(o["allow"]) & VIEW_CHANNEL:
            visible = True
    return visible


def _seen_by(m: dict[str, Any], viewer: str) -> bool:
    """An ephemeral message is for the person whose interaction it answers, nobody else
    (resources/message.mdx "Message Flags", EPHEMERAL: "only visible to the user who invoked
    the Interaction"); its "Message Interaction Metadata Object" names them."""
    if not int(m.get("flags") or 0) & EPHEMERAL:
        return True
    return str(((m.get("interaction_metadata") or {}).get("user") or {}).get("id", "")) == viewer


def _controls(m: dict[str, Any], lang: str) -> list[Control]:
    controls = []
    for row in m.get("components") or []:
        for c in row.get("components", []):
            if c.get("type") == 2:
                emoji = (c.get("emoji") or {}).get("name", "")
                controls.append(
                    Control(
                        "link" if c.get("url") else "button",
                        f"{emoji} {c.get('label', '')}".strip(),
                        c.get("custom_id", ""),
                        BUTTON_COLORS.get(c.get("style", 2), "#4e5058"),
                        url=c.get("url", ""),
                    )
                )
            elif c.get("type") == 3:
                controls.append(
                    Control(
                        "select",
                        c.get("placeholder") or say(lang, "sandbox.choose"),
                        c.get("custom_id", ""),
                        options=[Choice(o["label"], o["value"]) for o in c.get("options", [])],
                    )
                )
    return controls


def message_view(m: dict[str, Any], names: dict[int, str], lang: str) -> Shown:
    """A message of the sandbox's control API as the page shows it."""
    embeds = m.get("embeds") or []
    embed = embeds[0] if embeds else {}
    author = m.get("author") or {}
    image = (embed.get("image") or {}).get("url", "")
    images, files = [], []
    for a in m.get("attachments") or []:
        if a.get("url") == image:
            continue  # shown in the embed, where the message put it
        if a.get("content_type") in IMAGE_TYPES:
            images.append(a["url"])
        else:
            files.append(a.get("filename", ""))
    try:
        at = when(datetime.fromisoformat(m["timestamp"]), lang)
    except (KeyError, ValueError):
        at = ""
    return Shown(
        id=m["id"],
        author=author.get("global_name") or author.get("username", "?"),
        bot=bool(author.get("bot")),
        at=at,
        edited=bool(m.get("edited_timestamp")),
        ephemeral=bool(int(m.get("flags") or 0) & EPHEMERAL),
        content=render_markdown(m.get("content") or "", names),
        title=embed.get("title", ""),
        description=render_markdown(embed.get("description", ""), names),
        color=f"#{embed.get('color') or 0x5865F2:06x}",
        # Only http(s) reaches an <img>: an unresolved attachment:// or anything else shows nothing.
        image=image if image.startswith(("http://", "https://")) else "",
        fields=[Line(f["name"], render_markdown(f["value"], names)) for f in embed.get("fields", [])],
        controls=_controls(m, lang),
        images=images,
        files=files,
        pictures=[_picture(e) for e in embeds[1:]],
    )


def _picture(embed: dict[str, Any]) -> Picture:
    image = (embed.get("thumbnail") or embed.get("image") or {}).get("url", "")
    url = embed.get("url", "")
    web = ("http://", "https://")
    return Picture(
        embed.get("title", ""), url if url.startswith(web) else "", image if image.startswith(web) else ""
    )


class SandboxState(rx.State):
    available: bool = True
    guild_name: str = ""
    reachable: bool = True
    acting_as: str = "buyer"
    channels: list[ChannelRow] = []
    channel_id: str = ""
    channel_name: str = ""
    messages: list[Shown] = []
    modal: dict[str, Any] = {}
    modal_open: bool = False
    watching: int = 0

    def _user_id(self, world: dict[str, Any]) -> str:
        return str(world.get("buyer_id" if self.acting_as == "buyer" else "seller_id", ""))

    async def _lang(self) -> str:
        return (await self.get_state(LanguageState)).lang

    async def _refresh(self) -> None:
        world = _world()
        if world is None:
            self.available = False
            return
        lang = await self._lang()
        self.guild_name = str(world.get("guild_name", ""))
        async with httpx.AsyncClient(base_url=str(world["base_url"]), timeout=5) as http:
            state = (await http.get("/_sandbox/state")).json()
            users = {int(u["id"]): u.get("global_name") or u["username"] for u in state.get("users", [])}
            channel_names = {int(c["id"]): c["name"] for c in state["channels"] if c.get("name")}
            names = {**users, **channel_names}
            guild = str(world["guild_id"])
            me, owner = self._user_id(world), str(world.get("seller_id", ""))
            rows = []
            for c in state["channels"]:
                if c.get("guild_id") == guild and c["type"] == 0 and _visible_to(c, me, owner):
                    rows.append(ChannelRow(c["id"], "text", c["name"]))
                elif c["type"] == 1 and any(r["id"] == me for r in c.get("recipients", [])):
                    # A DM is between its recipient and the bot: only they see it.
                    who = ", ".join(r.get("global_name") or r["username"] for r in c.get("recipients", []))
                    rows.append(ChannelRow(c["id"], "dm", who))
            self.channels = rows
            if self.channel_id not in {r.id for r in rows}:
                self.channel_id = ""
            if not self.channel_id and rows:
                shop = next((r for r in rows if str(world["shop_channel_id"]) == r.id), rows[0])
                self.channel_id = shop.id
            chosen = next((r for r in rows if r.id == self.channel_id), None)
            self.channel_name = (
                ""
                if chosen is None
                else chosen.name
                if chosen.kind == "text"
                else say(lang, "sandbox.dm_of", who=chosen.name)
            )
            if self.channel_id:
                found = (await http.get(f"/_sandbox/channels/{self.channel_id}/messages")).json()
                self.messages = [message_view(m, names, lang) for m in found if _seen_by(m, me)][-40:]
            else:
                self.messages = []
        self.available = self.reachable = True

    async def load(self):
        try:
            await access.logged_in(self.router.headers.cookie)
        except access.Refused:
            return rx.redirect("/login")
        (await self.get_state(LanguageState))._settle_language()
        if _world() is None:
            self.available = False
            return None
        try:
            await self._refresh()
        except httpx.HTTPError:
            self.reachable = False
        return SandboxState.watch

    @rx.event(background=True)
    async def watch(self):
        async with self:
            self.watching += 1
            generation, token = self.watching, self.router.session.client_token
        while live.connected(token):
            await asyncio.sleep(1.0)
            async with self:
                if self.watching != generation:
                    return
                try:
                    await self._refresh()
                except httpx.HTTPError:
                    self.reachable = False

    async def show(self, channel_id: str):
        self.channel_id = channel_id
        await self._refresh()

    async def act_as(self, who: str | list[str]):
        self.acting_as = who if isinstance(who, str) else who[0]
        await self._refresh()

    async def _click(self, message_id: str, custom_id: str, kind: int, values: list[str] | None = None):
        world = _world()
        if world is None:
            return None
        body: dict[str, Any] = {
            "user_id": self._user_id(world),
            "channel_id": self.channel_id,
            "message_id": message_id,
            "custom_id": custom_id,
            "component_type": kind,
        }
        if values is not None:
            body["values"] = values
        async with httpx.AsyncClient(base_url=str(world["base_url"]), timeout=5) as http:
            response = await http.post("/_sandbox/click", json=body)
            if response.status_code != 200:
                reason = response.json().get("message", "") if response.content else ""
                return rx.toast.error(say(await self._lang(), "sandbox.refused", reason=reason))
            interaction = response.json()["interaction_id"]
            for _ in range(30):  # the bot answers within Discord's 3 s, or not at all
                modals = (await http.get("/_sandbox/state")).json().get("modals", [])
                found = next((m for m in modals if m.get("interaction_id") == interaction), None)
                if found:
                    self.modal = {
                        "custom_id": found.get("custom_id", ""),
                        "title": found.get("title", ""),
                        "fields": [
                            {"custom_id": c["custom_id"], "label": c.get("label", c["custom_id"])}
                            for row in found.get("components", [])
                            for c in row.get("components", [])
                        ],
                    }
                    self.modal_open = True
                    break
                await asyncio.sleep(0.1)
        await self._refresh()
        return None

    async def click(self, message_id: str, custom_id: str):
        return await self._click(message_id, custom_id, 2)

    async def pick(self, message_id: str, custom_id: str, value: str):
        return await self._click(message_id, custom_id, 3, [value])

    async def submit_modal(self, form: dict):
        world = _world()
        if world is None:
            return None
        body = {
            "user_id": self._user_id(world),
            "channel_id": self.channel_id,
            "custom_id": self.modal.get("custom_id", ""),
            "fields": {k: str(v) for k, v in form.items()},
        }
        async with httpx.AsyncClient(base_url=str(world["base_url"]), timeout=5) as http:
            await http.post("/_sandbox/modal", json=body)
        self.modal_open = False
        await self._refresh()
        return None

    def close_modal(self):
        self.modal_open = False

    async def send(self, form: dict):
        world = _world()
        content = str(form.get("content", "")).strip()
        if world is None or not content:
            return None
        body = {"user_id": self._user_id(world), "channel_id": self.channel_id, "content": content}
        async with httpx.AsyncClient(base_url=str(world["base_url"]), timeout=5) as http:
            response = await http.post("/_sandbox/send", json=body)
        if response.status_code != 200:
            lang = await self._lang()
            who = say(lang, f"sandbox.as_{self.acting_as}")
            return rx.toast.error(say(lang, "sandbox.cannot_post", who=who))
        await self._refresh()
        return None


# How Discord's client shows rendered markdown (the classes workflows/transcript.py writes).
MARKDOWN_STYLE = {
    "color": styles.DISCORD_TEXT,
    "font_size": "0.9em",
    "white_space": "pre-wrap",
    "overflow_wrap": "anywhere",
    "& code": {
        "background": "#1e1f22",
        "border_radius": "3px",
        "padding": "0 3px",
        "font_family": "monospace",
    },
    "& pre": {"background": "#1e1f22", "border_radius": "4px", "padding": "8px", "margin": "4px 0"},
    "& .mention": {"background": "#3c4270", "color": "#c9cdfb", "border_radius": "3px", "padding": "0 2px"},
    "& .spoiler": {"background": "#1e1f22", "color": "transparent", "border_radius": "3px"},
    "& .spoiler:hover": {"color": "inherit"},
    "& a": {"color": "#00a8fc"},
}


def _markdown(html: rx.Var, **props: Any) -> rx.Component:
    """Rendered Discord markdown: `html` is escaped text with our own tags only
    (workflows.transcript.render_markdown), so nothing a person typed becomes markup."""
    return rx.html(html, **{"class_name": "discord-markdown", **MARKDOWN_STYLE, **props})


def _picture_embed(p: rx.Var) -> rx.Component:
    """A product picture embed: its name (linked to the public page when it has one), its picture."""
    return rx.hstack(
        rx.cond(
            p.url != "",
            rx.link(p.title, href=p.url, is_external=True, weight="bold", color="#00a8fc"),
            rx.text(p.title, weight="bold", color="white"),
        ),
        rx.cond(
            p.image != "", rx.image(src=p.image, width="80px", height="80px", class_name="sandbox-picture")
        ),
        justify="between",
        background=styles.DISCORD_EMBED_BG,
        padding="0.6em",
        border_radius="4px",
        width="100%",
        max_width="min(520px, 100%)",
    )


def _control(message_id: rx.Var, c: rx.Var) -> rx.Component:
    link = rx.link(
        rx.button(c.label + " ↗", background="#4e5058", color="white", size="2"),
        href=c.url,
        is_external=True,
        class_name="sandbox-link-button",
    )
    return rx.cond(c.kind == "link", link, _interactive(message_id, c))


def _interactive(message_id: rx.Var, c: rx.Var) -> rx.Component:
    return rx.cond(
        c.kind == "button",
        rx.button(
            c.label,
            on_click=SandboxState.click(message_id, c.custom_id),
            background=c.color,
            color="white",
            size="2",
            class_name="sandbox-button",
        ),
        rx.select.root(
            rx.select.trigger(placeholder=c.label, class_name="sandbox-select"),
            rx.select.content(rx.foreach(c.options, lambda o: rx.select.item(o.label, value=o.value))),
            on_change=lambda value: SandboxState.pick(message_id, c.custom_id, value),
        ),
    )


def _message(m: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(m.author, weight="bold", color="white", size="2"),
            rx.cond(m.bot, rx.badge(tx("sandbox.bot"), color_scheme="indigo", variant="solid", size="1")),
            rx.text(m.at, size="1", color="gray"),
            rx.cond(m.edited, rx.text(tx("sandbox.edited"), size="1", color="gray")),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.cond(m.content != "", _markdown(m.content, class_name="discord-markdown sandbox-content")),
        rx.cond(
            (m.title != "") | (m.description != "") | (m.image != ""),
            rx.box(
                rx.cond(m.title != "", rx.text(m.title, weight="bold", color="white")),
                _markdown(m.description),
                rx.foreach(
                    m.fields,
                    lambda f: rx.box(
                        rx.text(f.name, weight="bold", size="2", color="white"),
                        _markdown(f.value),
                        margin_top="0.4em",
                    ),
                ),
                rx.cond(
                    m.image != "",
                    rx.image(
                        src=m.image,
                        max_width="min(240px, 100%)",
                        margin_top="0.4em",
                        class_name="embed-image",
                    ),
                ),
                border_left="4px solid " + m.color,
                background=styles.DISCORD_EMBED_BG,
                padding="0.6em",
                border_radius="4px",
                max_width="min(520px, 100%)",
                class_name="sandbox-embed",
            ),
        ),
        rx.foreach(m.pictures, _picture_embed),
        rx.foreach(
            m.images, lambda src: rx.image(src=src, max_width="min(240px, 100%)", class_name="attached-image")
        ),
        rx.foreach(m.files, lambda a: rx.text("📎 " + a, size="1", color="gray")),
        rx.flex(rx.foreach(m.controls, lambda c: _control(m.id, c)), spacing="2", wrap="wrap"),
        rx.cond(
            m.ephemeral,
            rx.text(tx("sandbox.only_you"), size="1", color="gray", class_name="only-you"),
        ),
        spacing="1",
        padding="0.5em 0",
        width="100%",
        class_name="sandbox-message",
        key=m.id,  # a message edited in place stays one message (its menus replaced, not added)
    )


def _modal() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(SandboxState.modal["title"].to(str)),
            rx.form(
                rx.vstack(
                    rx.foreach(
                        SandboxState.modal["fields"].to(list[dict[str, str]]),
                        lambda f: rx.vstack(
                            rx.el.label(f["label"], html_for="modal-" + f["custom_id"]),
                            rx.input(name=f["custom_id"], id="modal-" + f["custom_id"], width="100%"),
                            width="100%",
                        ),
                    ),
                    rx.hstack(
                        rx.button(
                            tx("sandbox.cancel"),
                            type="button",
                            variant="soft",
                            on_click=SandboxState.close_modal,
                        ),
                        rx.button(tx("sandbox.submit"), type="submit", id="modal-submit"),
                    ),
                    width="100%",
                ),
                on_submit=SandboxState.submit_modal,
            ),
        ),
        open=SandboxState.modal_open,
    )


def _channel_button(c: rx.Var) -> rx.Component:
    chosen = c.id == SandboxState.channel_id
    return rx.button(
        rx.cond(c.kind == "dm", "✉ " + tx("sandbox.dm_of", who=c.name), "# " + c.name),
        variant=rx.cond(chosen, "solid", "ghost"),
        color=rx.cond(chosen, "white", "#b5bac1"),
        on_click=SandboxState.show(c.id),
        width=["auto", "auto", "100%"],
        justify_content="flex-start",
        text_align="left",
        height="auto",
        min_height="2em",
        white_space="normal",
        class_name="sandbox-channel",
    )


def _sidebar() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.link(tx("sandbox.back"), href="/", color="white"),
            language_switch(),
            justify="between",
            width="100%",
        ),
        rx.cond(SandboxState.guild_name != "", rx.heading(SandboxState.guild_name, size="4", color="white")),
        rx.text(tx("sandbox.viewing_as"), size="1", color="#b5bac1"),
        rx.segmented_control.root(
            rx.segmented_control.item(tx("sandbox.buyer"), value="buyer"),
            rx.segmented_control.item(tx("sandbox.seller"), value="seller"),
            value=SandboxState.acting_as,
            on_change=SandboxState.act_as,
            id="acting-as",
            width="100%",
        ),
        # On a phone the channels wrap in rows above the messages; on a wide screen a column.
        rx.flex(
            rx.foreach(SandboxState.channels, _channel_button),
            direction=rx.breakpoints(initial="row", md="column"),
            wrap="wrap",
            spacing="1",
            width="100%",
        ),
        background="#2b2d31",
        padding="1em",
        width=["100%", "100%", "300px"],
        min_width=["0", "0", "300px"],
        min_height=["auto", "auto", "100vh"],
    )


def _channel() -> rx.Component:
    return rx.vstack(
        rx.heading(SandboxState.channel_name, size="4", color="white"),
        rx.cond(
            ~SandboxState.reachable,
            rx.callout(tx("sandbox.unreachable"), icon="triangle_alert", color_scheme="red", width="100%"),
        ),
        rx.cond(
            SandboxState.messages.length() == 0,
            rx.text(tx("sandbox.no_messages"), color="gray", size="2"),
        ),
        rx.foreach(SandboxState.messages, _message),
        rx.form(
            rx.hstack(
                rx.input(
                    name="content",
                    placeholder=tx(
                        "sandbox.message_as",
                        who=rx.cond(SandboxState.acting_as == "buyer", "budi", tx("sandbox.seller")),
                    ),
                    aria_label=tx("sandbox.message_box"),
                    width="100%",
                ),
                rx.button(tx("sandbox.send"), type="submit"),
                width="100%",
            ),
            on_submit=SandboxState.send,
            reset_on_submit=True,
            width="100%",
        ),
        padding="1em",
        width="100%",
        min_width="0",
        id="sandbox-channel",
    )


def sandbox_page() -> rx.Component:
    return rx.cond(
        ~SandboxState.available,
        rx.center(rx.callout(tx("sandbox.unavailable"), icon="info"), padding="3em"),
        rx.flex(
            _sidebar(),
            _channel(),
            _modal(),
            background=styles.DISCORD_BG,
            direction=rx.breakpoints(initial="column", md="row"),
            min_height="100vh",
            width="100%",
            max_width="100vw",
            overflow_x="hidden",
        ),
    )
