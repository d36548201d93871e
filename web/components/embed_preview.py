"""A Discord-looking embed with its buttons, for the panel designer: drawn from the message the
bot itself would send (`workflows.panel.render`), so the seller sees what buyers get."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import reflex as rx

from web import styles

# Discord's button styles by number (components/reference.mdx, "Button Styles"): 1 Primary,
# 2 Secondary, 3 Success, 4 Danger.
STYLES = ["primary", "secondary", "success", "danger"]


@dataclass
class PreviewField:
    name: str = ""
    value: str = ""


@dataclass
class PreviewButton:
    label: str = ""
    color: str = ""


@dataclass
class EmbedPreview:
    title: str = ""
    description: str = ""
    color: str = "#5865f2"
    thumbnail: str = ""
    footer: str = ""
    fields: list[PreviewField] = field(default_factory=list)
    buttons: list[PreviewButton] = field(default_factory=list)


def from_message(message: dict[str, Any]) -> EmbedPreview:
    """The first embed of a message payload and the buttons of its first row."""
    embed = message["embeds"][0]
    buttons = message["components"][0]["components"] if message.get("components") else []
    return EmbedPreview(
        title=embed.get("title", ""),
        description=embed.get("description", ""),
        color=f"#{embed.get('color', 0):06x}",
        thumbnail=(embed.get("thumbnail") or {}).get("url", ""),
        footer=(embed.get("footer") or {}).get("text", ""),
        fields=[PreviewField(f["name"], f["value"]) for f in embed.get("fields", [])],
        buttons=[
            PreviewButton(
                ((b.get("emoji") or {}).get("name", "") + " " + b.get("label", "")).strip(),
                styles.BUTTON_COLORS[STYLES[b["style"] - 1]],
            )
            for b in buttons
            if b.get("style", 0) in range(1, len(STYLES) + 1)
        ],
    )


def embed_preview(preview: rx.Var, **props: Any) -> rx.Component:
    """`preview`: an EmbedPreview state var."""
    return rx.box(
        rx.hstack(
            rx.box(width="4px", background=preview.color, border_radius="4px 0 0 4px", align_self="stretch"),
            rx.vstack(
                rx.hstack(
                    rx.vstack(
                        rx.text(preview.title, weight="bold", color="white"),
                        rx.text(
                            preview.description, size="2", white_space="pre-wrap", color=styles.DISCORD_TEXT
                        ),
                        spacing="1",
                    ),
                    rx.spacer(),
                    rx.cond(
                        preview.thumbnail != "",
                        rx.image(src=preview.thumbnail, width="64px", border_radius="4px"),
                    ),
                    width="100%",
                ),
                rx.grid(
                    rx.foreach(
                        preview.fields,
                        lambda f: rx.vstack(
                            rx.text(f.name, weight="bold", size="2", color="white"),
                            rx.text(f.value, size="1", white_space="pre-wrap", color=styles.DISCORD_TEXT),
                            spacing="0",
                        ),
                    ),
                    columns="2",
                    spacing="3",
                    width="100%",
                ),
                rx.cond(preview.footer != "", rx.text(preview.footer, size="1", color="gray")),
                padding="0.8em",
                spacing="2",
                width="100%",
            ),
            background=styles.DISCORD_EMBED_BG,
            border_radius="4px",
            spacing="0",
            width="100%",
            max_width="520px",
        ),
        rx.hstack(
            rx.foreach(
                preview.buttons,
                lambda b: rx.box(
                    rx.text(b.label, size="2", color="white"),
                    background=b.color,
                    padding="0.3em 1em",
                    border_radius="4px",
                ),
            ),
            margin_top="0.5em",
            wrap="wrap",
        ),
        background=styles.DISCORD_BG,
        padding="1em",
        border_radius="8px",
        **props,
    )
