"""Buyer-facing texts, one YAML file per locale under `workflows/locales/`."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

LOCALES_DIR = Path(__file__).with_name("locales")
FALLBACK = "en"


@cache
def _catalogue(locale: str) -> dict[str, Any]:
    path = LOCALES_DIR / f"{locale}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


def _lookup(catalogue: dict[str, Any], key: str) -> str | None:
    node: Any = catalogue
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, str) else None


def text(locale: str, key: str, **values: Any) -> str:
    """The text for `key` in `locale` (English when missing), filled with `values`."""
    template = _lookup(_catalogue(locale), key) or _lookup(_catalogue(FALLBACK), key)
    if template is None:
        raise KeyError(f"no text for {key!r}")
    return template.format(**values)
