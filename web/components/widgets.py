"""Small widgets every page uses the same way: a drop zone, a scrolling table, log out, and
texts built on the server in both languages (`Said`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx

from web.i18n import LANGUAGES, LanguageState, tx


@dataclass(frozen=True)
class Said:
    """A text written on the server (a date, a sentence of a ticket's story) in both dashboard
    languages: the page shows the seller's one, and the language switch changes it at once,
    without asking the server to write the rows again (`said`)."""

    id: str = ""
    en: str = ""


def both(write: Callable[[str], str]) -> Said:
    """`write(lang)` for each dashboard language."""
    assert set(LANGUAGES) == {"id", "en"}  # Said has one field per language
    return Said(id=write("id"), en=write("en"))


def said(text: Any) -> rx.Var:
    """A `Said` var as the text of the seller's language."""
    return rx.cond(LanguageState.lang == "en", text.en, text.id)  # type: ignore[return-value]


def drop_zone(
    upload_id: str,
    prompt: str,
    *,
    single: bool = True,
    on_drop: Any = None,
    chosen: rx.Var | None = None,
) -> rx.Component:
    """A file drop zone (click to choose) showing the chosen file names under it. With
    `on_drop` the files go to the server as soon as they are chosen, and `chosen` (a state
    var) names what the server kept."""
    return rx.vstack(
        rx.upload(
            rx.text(prompt),
            id=upload_id,
            border="1px dashed var(--gray-7)",
            padding="1em",
            width="100%",
            **({"max_files": 1} if single else {}),
            **({"on_drop": on_drop} if on_drop is not None else {}),
        ),
        rx.text(
            chosen if chosen is not None else rx.selected_files(upload_id).join(", "),
            size="1",
            color_scheme="gray",
        ),
        width="100%",
        spacing="1",
    )


def scroll_box(*children: rx.Component, **props: Any) -> rx.Component:
    """A box whose content scrolls sideways inside it when wider than the screen (a table on a
    phone), so the page itself never does."""
    return rx.box(*children, overflow_x="auto", width="100%", max_width="100%", min_width="0", **props)


def data_table(
    headers: list[Any], rows: rx.Var, row: Callable[[Any], rx.Component], table_id: str = ""
) -> rx.Component:
    """A table of `rows` (a list var), each drawn by `row` (an `rx.table.row`); scrolls sideways
    inside its box on phones. Headers are texts or `tx` vars."""
    return scroll_box(
        rx.table.root(
            rx.table.header(
                rx.table.row(*[rx.table.column_header_cell(h, white_space="nowrap") for h in headers])
            ),
            rx.table.body(rx.foreach(rows, row)),
            width="100%",
            **({"id": table_id} if table_id else {}),
        ),
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


def confirm(trigger: rx.Component, question: Any, detail: Any, yes: rx.Component, no: Any) -> rx.Component:
    """An action that asks first (removing, deleting, stopping, discarding): nothing happens
    until `yes` is pressed; `no` (a label) closes the question and changes nothing."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(question),
            rx.alert_dialog.description(detail),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(no, variant="soft", class_name="confirm-no")),
                rx.alert_dialog.action(yes),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
        ),
    )
