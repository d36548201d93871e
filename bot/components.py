"""The contract's components (`workflows.discord_contract.components`, Discord's JSON) as a
py-cord view: py-cord's interaction answers (`send_message`, `followup.send`) take a view, not
raw components. The one place where the bot turns the store's components into py-cord's."""

from __future__ import annotations

from typing import Any

import discord

from workflows.discord_contract.components import Component, ComponentType


def view(rows: list[Component]) -> discord.ui.View:
    """Buttons and string selects, row by row, as Discord would get them from the JSON. The
    router answers their clicks by custom id; the view holds no callbacks (`timeout=None`)."""
    made = discord.ui.View(timeout=None)
    for number, row in enumerate(rows):
        for item in row["components"]:
            made.add_item(_item(item, number))
    return made


def _item(item: dict[str, Any], row: int) -> discord.ui.Item:  # type: ignore[type-arg]
    kind = ComponentType(item["type"])
    if kind is ComponentType.BUTTON and "url" in item:  # a link button ("View in 3D")
        return discord.ui.Button(
            url=item["url"],
            label=item.get("label"),
            style=discord.ButtonStyle.link,
            emoji=_emoji(item.get("emoji")),
            row=row,
        )
    if kind is ComponentType.BUTTON:
        return discord.ui.Button(
            custom_id=item["custom_id"],
            label=item.get("label"),
            style=discord.ButtonStyle(item["style"]),
            emoji=_emoji(item.get("emoji")),
            row=row,
        )
    if kind is ComponentType.STRING_SELECT:
        return discord.ui.Select(
            custom_id=item["custom_id"],
            placeholder=item.get("placeholder"),
            options=[
                discord.SelectOption(label=o["label"], value=o["value"], description=o.get("description"))
                for o in item["options"]
            ],
            row=row,
        )
    raise ValueError(f"no py-cord item for component type {kind.name}")


def _emoji(partial: dict[str, Any] | None) -> discord.PartialEmoji | None:
    if not partial:
        return None
    return discord.PartialEmoji(
        name=partial.get("name"),
        id=int(partial["id"]) if partial.get("id") else None,
        animated=bool(partial.get("animated")),
    )
