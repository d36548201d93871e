"""The dashboard's words, in Indonesian and English, from `web/locales/<language>/<page>.yaml`.

Every text a seller reads on the dashboard comes from those files: on the page through `tx`
(both languages are compiled into the page and the seller's choice picks one, so switching is
instant and costs no request), and from the server (toasts, refusals, rows) through `say`.
A key is `<file>.<path>`: `products.title` is `title` in `products.yaml`.

The seller's language is their choice, remembered in a cookie; until they choose, the store's
locale decides (Indonesian for a store whose locale is `id`).
"""

from __future__ import annotations

import string
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx
import yaml
from babel.dates import format_date, format_time

LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}
DEFAULT = "id"
LOCALES_DIR = Path(__file__).with_name("locales")
YEAR_S = 365 * 24 * 3600


def _flatten(node: Any, prefix: str, into: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(value, f"{prefix}.{key}", into)
    else:
        into[prefix] = str(node)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every dashboard text of `lang`, by key."""
    texts: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.yaml")):
        _flatten(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, path.stem, texts)
    return texts


def _template(lang: str, key: str) -> str:
    texts = catalogue(lang if lang in LANGUAGES else DEFAULT)
    if key not in texts:
        raise KeyError(f"no dashboard text {key!r} in {lang!r}")
    return texts[key]


def say(lang: str, key: str, **values: Any) -> str:
    """The text `key` in `lang`, filled with `values` (for toasts, refusals and rows)."""
    return _template(lang, key).format(**values)


# Sellers are in Indonesia: times are shown in Western Indonesia Time unless a store says otherwise.
SHOWN_ZONE = "Asia/Jakarta"


def when(moment: datetime | None, lang: str, zone: str = SHOWN_ZONE) -> str:
    """A moment as the seller reads it: "3 Des 2026 19.05" / "Dec 3, 2026 7:05 PM" (WIB)."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:  # MongoDB hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(zone))
    locale = lang if lang in LANGUAGES else DEFAULT
    return f"{format_date(local, 'medium', locale=locale)} {format_time(local, 'short', locale=locale)}"


def placeholders(lang: str, key: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(_template(lang, key)) if name}


class LanguageState(rx.State):
    """The language the dashboard speaks to this browser."""

    lang: str = DEFAULT
    # The seller's own choice, kept for a year; empty until they choose.
    chosen_lang: str = rx.Cookie("", name="store_lang", max_age=YEAR_S, same_site="lax")

    def _settle_language(self, store_locale: str = "") -> None:
        """The seller's choice, else the store's locale, else Indonesian."""
        for candidate in (self.chosen_lang, store_locale, DEFAULT):
            if candidate in LANGUAGES:
                self.lang = candidate
                return

    def settle_language(self) -> None:
        """on_load of pages outside a store (login, the store list)."""
        self._settle_language()

    def choose_language(self, lang: str) -> None:
        if lang in LANGUAGES:
            self.lang = self.chosen_lang = lang


def tx(key: str, **values: Any) -> rx.Var:
    """The text `key` in the seller's language, for a page. `values` may be state vars:
    `tx("products.stock_of", count=ProductsState.count)`."""
    english, indonesian = say("en", key, **values), say("id", key, **values)
    return rx.cond(LanguageState.lang == "en", english, indonesian)  # type: ignore[return-value]


def language_switch() -> rx.Component:
    """Two small buttons, "ID" and "EN"; the chosen one stands out."""
    return rx.hstack(
        *[
            rx.button(
                code.upper(),
                size="1",
                variant=rx.cond(LanguageState.lang == code, "solid", "soft"),
                on_click=LanguageState.choose_language(code),
                id=f"lang-{code}",
                aria_label=name,
                title=name,
            )
            for code, name in LANGUAGES.items()
        ],
        spacing="1",
        id="language",
    )
