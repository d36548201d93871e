"""Small widgets every page uses the same way: a drop zone, a scrolling table, log out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from web.i18n import tx


def drop_zone(upload_id: str, prompt: str, *, single: bool = True) -> rx.Component:
    """A file drop zone (click to choose) showing the chosen file names under it."""
    return rx.vstack(
        rx.upload(
            rx.text(prompt),
            id=upload_id,
            border="1px dashed var(--gray-7)",
            padding="1em",
            width="100%",
            **({"max_files": 1} if single else {}),
        ),
        rx.text(rx.selected_files(upload_id).join(", "), size="1", color_scheme="gray"),
        width="100%",
        spacing="1",
    )


def data_table(
    headers: list[str], rows: rx.Var, row: Callable[[Any], rx.Component], table_id: str = ""
) -> rx.Component:
    """A table of `rows` (a list var), each drawn by `row` (an `rx.table.row`); scrolls sideways
    on phones."""
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(rows, row)),
            width="100%",
            **({"id": table_id} if table_id else {}),
        ),
        overflow_x="auto",
        width="100%",
    )


def logout_button() -> rx.Component:
    # A full page load: the single-page app's router must not swallow the navigation.
    return rx.button(
        tx("frame.log_out"),
        size="1",
        variant="ghost",
        on_click=rx.call_script("window.location.assign('/auth/logout')"),
        id="logout",
    )
