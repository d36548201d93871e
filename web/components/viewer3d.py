"""The 3D viewer: a product's glTF model drawn with three.js (web/components/viewer3d.js).

A Reflex custom component over the npm package `three` (pinned below, installed with the
rest of the frontend's packages by web/toolchain.py). It is loaded only in the browser and
only on pages that show it (a lazy import), so three is a chunk of its own that the other
dashboard pages never fetch. The texts it shows (loading, "cannot be shown", reset) are
given by the page in the seller's language.
"""

from __future__ import annotations

import reflex as rx

from web.i18n import tx

THREE = "three@0.187.0"
_SCRIPT = rx.asset("viewer3d.js", shared=True)


class Viewer3D(rx.NoSSRComponent):
    """Props: src (the model's URL), the three texts, label (for screen readers), height."""

    library = _SCRIPT.importable_path
    tag = "Viewer3D"
    lib_dependencies: list[str] = [THREE]  # noqa: RUF012 (a Reflex component field, as Reflex declares them)

    src: rx.Var[str]
    loading_text: rx.Var[str]
    error_text: rx.Var[str]
    reset_text: rx.Var[str]
    label: rx.Var[str]
    height: rx.Var[str]


def viewer3d(
    src: rx.Var | str, name: rx.Var | str, *, element_id: str = "", height: str = "360px"
) -> rx.Component:
    """The viewer for the model at `src` (a product called `name`), with its texts."""
    return Viewer3D.create(
        src=src,
        loading_text=tx("viewer.loading"),
        error_text=tx("viewer.cannot_show"),
        reset_text=tx("viewer.reset"),
        label=tx("viewer.label", name=name),
        height=height,
        class_name="viewer3d",
        **({"id": element_id} if element_id else {}),
        # A new model is a new viewer: nothing of the previous one is kept.
        key=src,
    )
