"""A Discord-looking embed with its buttons, for the panel designer and the sandbox page."""

from __future__ import annotations

import reflex as rx

from web import styles


def embed_preview(preview: rx.Var) -> rx.Component:
    """`preview`: title, description, color, thumbnail, fields [{name, value}], footer,
    buttons [{label, color}]."""
    return rx.box(
        rx.hstack(
            rx.box(
                width="4px",
                background=preview["color"].to(str),
                border_radius="4px 0 0 4px",
                align_self="stretch",
            ),
            rx.vstack(
                rx.hstack(
                    rx.vstack(
                        rx.text(preview["title"].to(str), weight="bold", color="white"),
                        rx.text(
                            preview["description"].to(str),
                            size="2",
                            white_space="pre-wrap",
                            color=styles.DISCORD_TEXT,
                        ),
                        spacing="1",
                    ),
                    rx.spacer(),
                    rx.cond(
                        preview["thumbnail"].to(str) != "",
                        rx.image(src=preview["thumbnail"].to(str), width="64px", border_radius="4px"),
                    ),
                    width="100%",
                ),
                rx.grid(
                    rx.foreach(
                        preview["fields"].to(list[dict[str, str]]),
                        lambda f: rx.vstack(
                            rx.text(f["name"], weight="bold", size="2", color="white"),
                            rx.text(f["value"], size="1", white_space="pre-wrap", color=styles.DISCORD_TEXT),
                            spacing="0",
                        ),
                    ),
                    columns="2",
                    spacing="3",
                    width="100%",
                ),
                rx.cond(
                    preview["footer"].to(str) != "",
                    rx.text(preview["footer"].to(str), size="1", color="gray"),
                ),
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
                preview["buttons"].to(list[dict[str, str]]),
                lambda b: rx.box(
                    rx.text(b["label"], size="2", color="white"),
                    background=b["color"],
                    padding="0.3em 1em",
                    border_radius="4px",
                ),
            ),
            margin_top="0.5em",
        ),
        background=styles.DISCORD_BG,
        padding="1em",
        border_radius="8px",
        id="panel-preview",
    )
