"""/sandbox (sandbox mode only): the demo guild as Discord would show it — channels, the panel
with its buttons, ticket channels, the buyer's DMs — and the controls to click as the buyer or
act as the seller, so the whole purchase can be tried in a browser.

It talks to the local Discord over its control API (HTTP), as a Discord client would; it does
not import the sandbox.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import reflex as rx

from models.settings import get_settings
from web import access, live, styles

BUTTON_COLORS = {1: "#5865f2", 2: "#4e5058", 3: "#248046", 4: "#da373c", 5: "#4e5058"}


def _world() -> dict[str, Any] | None:
    path = get_settings().sandbox_file
    if not path or not Path(path).exists():
        return None
    return json.loads(Path(path).read_text())


VIEW_CHANNEL = 1 << 10
_MENTION = re.compile(r"<(#|@&|@!?)(\d+)>")


def _mentions(text: str, names: dict[str, str]) -> str:
    """`<#id>` → `#name`, `<@id>` → `@name`, as Discord's client shows them."""

    def one(match: re.Match[str]) -> str:
        kind, ident = match.group(1), match.group(2)
        name = names.get(ident)
        if name is None:
            return match.group(0)
        return f"#{name}" if kind == "#" else f"@{name}"

    return _MENTION.sub(one, text)


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


def _message_view(m: dict[str, Any], users: dict[str, str]) -> dict[str, Any]:
    embeds = m.get("embeds") or []
    embed = embeds[0] if embeds else {}
    components = []
    for row in m.get("components") or []:
        for c in row.get("components", []):
            if c.get("type") == 2:
                emoji = (c.get("emoji") or {}).get("name", "")
                components.append(
                    {
                        "kind": "button",
                        "label": f"{emoji} {c.get('label', '')}".strip(),
                        "custom_id": c.get("custom_id", ""),
                        "color": BUTTON_COLORS.get(c.get("style", 2), "#4e5058"),
                        "options": [],
                    }
                )
            elif c.get("type") == 3:
                components.append(
                    {
                        "kind": "select",
                        "label": c.get("placeholder") or "Choose…",
                        "custom_id": c.get("custom_id", ""),
                        "color": "",
                        "options": [{"label": o["label"], "value": o["value"]} for o in c.get("options", [])],
                    }
                )
    author = m.get("author") or {}
    return {
        "id": m["id"],
        "author": author.get("username", "?") + (" BOT" if author.get("bot") else ""),
        "content": _mentions(m.get("content") or "", users),
        "ephemeral": bool((m.get("flags") or 0) & 64),
        "title": embed.get("title", ""),
        "description": _mentions(embed.get("description", ""), users),
        "color": f"#{embed.get('color', 0x5865F2):06x}",
        "image": (embed.get("image") or {}).get("url", ""),
        "fields": [{"name": f["name"], "value": f["value"]} for f in embed.get("fields", [])],
        "components": components,
        "attachments": [a.get("filename", "") for a in m.get("attachments", [])],
    }


class SandboxState(rx.State):
    available: bool = False
    refusal: str = ""
    acting_as: str = "buyer"
    channels: list[dict[str, str]] = []
    channel_id: str = ""
    channel_name: str = ""
    messages: list[dict[str, Any]] = []
    modal: dict[str, Any] = {}
    modal_open: bool = False
    watching: int = 0

    def _user_id(self, world: dict[str, Any]) -> str:
        return str(world.get("buyer_id" if self.acting_as == "buyer" else "seller_id", ""))

    async def _refresh(self) -> None:
        world = _world()
        if world is None:
            self.available = False
            return
        async with httpx.AsyncClient(base_url=str(world["base_url"]), timeout=5) as http:
            state = (await http.get("/_sandbox/state")).json()
            users = {u["id"]: u["username"] for u in state.get("users", [])}
            names = {**users, **{c["id"]: c.get("name", "") for c in state["channels"] if c.get("name")}}
            guild = str(world["guild_id"])
            me, owner = self._user_id(world), str(world.get("seller_id", ""))
            rows = []
            for c in state["channels"]:
                if c.get("guild_id") == guild and c["type"] == 0 and _visible_to(c, me, owner):
                    rows.append({"id": c["id"], "name": "# " + c["name"]})
                elif c["type"] == 1:
                    who = ", ".join(r["username"] for r in c.get("recipients", []))
                    rows.append({"id": c["id"], "name": f"✉ DMs of {who}"})
            self.channels = rows
            if self.channel_id not in {r["id"] for r in rows}:
                self.channel_id = ""
            if not self.channel_id and rows:
                shop = next((r for r in rows if str(world["shop_channel_id"]) == r["id"]), rows[0])
                self.channel_id = shop["id"]
            self.channel_name = next((r["name"] for r in rows if r["id"] == self.channel_id), "")
            if self.channel_id:
                found = (await http.get(f"/_sandbox/channels/{self.channel_id}/messages")).json()
                self.messages = [_message_view(m, names) for m in found][-40:]
        self.available = True

    async def load(self):
        try:
            await access.logged_in(self.router.headers.cookie)
        except access.Refused:
            return rx.redirect("/login")
        if _world() is None:
            self.refusal = (
                "The Sandbox page exists in sandbox mode only (./store run without a Discord token)."
            )
            return None
        await self._refresh()
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
                    self.available = False

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
                return rx.toast.error(f"Discord refused: {response.text[:200]}")
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
        await asyncio.sleep(0.3)
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
            return rx.toast.error("You cannot post in this channel as " + self.acting_as)
        await self._refresh()
        return None


def _component(message_id: rx.Var, c: rx.Var) -> rx.Component:
    return rx.cond(
        c["kind"] == "button",
        rx.button(
            c["label"].to(str),
            on_click=SandboxState.click(message_id, c["custom_id"].to(str)),
            background=c["color"].to(str),
            color="white",
            size="2",
            class_name="sandbox-button",
        ),
        rx.select.root(
            rx.select.trigger(placeholder=c["label"].to(str)),
            rx.select.content(
                rx.foreach(
                    c["options"].to(list[dict[str, str]]),
                    lambda o: rx.select.item(o["label"], value=o["value"]),
                )
            ),
            on_change=lambda value: SandboxState.pick(message_id, c["custom_id"].to(str), value),
        ),
    )


def _message(m: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(m["author"].to(str), weight="bold", color="white", size="2"),
            rx.cond(m["ephemeral"].to(bool), rx.text("only you can see this", size="1", color="gray")),
        ),
        rx.cond(
            m["content"].to(str) != "",
            rx.text(m["content"].to(str), white_space="pre-wrap", color=styles.DISCORD_TEXT, size="2"),
        ),
        rx.cond(
            m["title"].to(str) != "",
            rx.box(
                rx.text(m["title"].to(str), weight="bold", color="white"),
                rx.text(
                    m["description"].to(str), white_space="pre-wrap", color=styles.DISCORD_TEXT, size="2"
                ),
                rx.foreach(
                    m["fields"].to(list[dict[str, str]]),
                    lambda f: rx.box(
                        rx.text(f["name"], weight="bold", size="2", color="white"),
                        rx.text(f["value"], size="1", white_space="pre-wrap", color=styles.DISCORD_TEXT),
                        margin_top="0.4em",
                    ),
                ),
                rx.cond(
                    m["image"].to(str) != "",
                    rx.image(src=m["image"].to(str), max_width="200px", margin_top="0.4em"),
                ),
                border_left="4px solid " + m["color"].to(str),
                background=styles.DISCORD_EMBED_BG,
                padding="0.6em",
                border_radius="4px",
                max_width="520px",
            ),
        ),
        rx.foreach(m["attachments"].to(list[str]), lambda a: rx.text("📎 " + a, size="1", color="gray")),
        rx.flex(
            rx.foreach(m["components"].to(list[dict[str, Any]]), lambda c: _component(m["id"].to(str), c)),
            spacing="2",
            wrap="wrap",
        ),
        spacing="1",
        padding="0.5em 0",
        width="100%",
        class_name="sandbox-message",
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
                            rx.text(f["label"], size="2"),
                            rx.input(name=f["custom_id"], width="100%"),
                            width="100%",
                        ),
                    ),
                    rx.hstack(
                        rx.button("Cancel", type="button", variant="soft", on_click=SandboxState.close_modal),
                        rx.button("Submit", type="submit", id="modal-submit"),
                    ),
                    width="100%",
                ),
                on_submit=SandboxState.submit_modal,
            ),
        ),
        open=SandboxState.modal_open,
    )


def sandbox_page() -> rx.Component:
    return rx.cond(
        SandboxState.refusal != "",
        rx.center(rx.callout(SandboxState.refusal, icon="info"), padding="3em"),
        rx.flex(
            rx.vstack(
                rx.link("← Dashboard", href="/", color="white"),
                rx.heading("Toko Demo", size="4", color="white"),
                rx.segmented_control.root(
                    rx.segmented_control.item("Buyer (budi)", value="buyer"),
                    rx.segmented_control.item("Seller", value="seller"),
                    value=SandboxState.acting_as,
                    on_change=SandboxState.act_as,
                    id="acting-as",
                ),
                rx.foreach(
                    SandboxState.channels,
                    lambda c: rx.button(
                        c["name"],
                        variant=rx.cond(c["id"] == SandboxState.channel_id, "solid", "ghost"),
                        color=rx.cond(c["id"] == SandboxState.channel_id, "white", "#b5bac1"),
                        on_click=SandboxState.show(c["id"]),
                        width="100%",
                        justify="start",
                        class_name="sandbox-channel",
                    ),
                ),
                background="#2b2d31",
                padding="1em",
                min_width="240px",
                min_height=["auto", "auto", "100vh"],
            ),
            rx.vstack(
                rx.heading(SandboxState.channel_name, size="4", color="white"),
                rx.foreach(SandboxState.messages, _message),
                rx.form(
                    rx.hstack(
                        rx.input(
                            name="content", placeholder="Message as " + SandboxState.acting_as, width="100%"
                        ),
                        rx.button("Send", type="submit"),
                    ),
                    on_submit=SandboxState.send,
                    reset_on_submit=True,
                    width="100%",
                ),
                padding="1em",
                width="100%",
                id="sandbox-channel",
            ),
            _modal(),
            background=styles.DISCORD_BG,
            direction=rx.breakpoints(initial="column", md="row"),
            min_height="100vh",
            width="100%",
        ),
    )
