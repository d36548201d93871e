"""A restart serves the dashboard's production build again only when nothing it is made of
changed (web/frontend_build.py); `tests/test_launcher.py` restarts the real store with it."""

from __future__ import annotations

import shutil
from pathlib import Path

from web import frontend_build


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for folder in ("web", "workflows", "models", "assets"):
        (root / folder / "__pycache__").mkdir(parents=True)
    (root / "web" / "pages.py").write_text("TITLE = 'Produk'\n")
    (root / "workflows" / "money.py").write_text("CURRENCY = 'IDR'\n")
    (root / "assets" / "logo.png").write_bytes(b"\x89PNG")
    (root / "rxconfig.py").write_text("app_name = 'web'\n")
    return root


def test_the_same_sources_for_the_same_port_make_the_same_build(tmp_path):
    root = _project(tmp_path)
    first = frontend_build.fingerprint(3000, root)
    (root / "web" / "__pycache__" / "pages.cpython-311.pyc").write_bytes(b"compiled")  # not a source
    copy = shutil.copytree(root, tmp_path / "elsewhere")  # where the project lives does not count
    assert frontend_build.fingerprint(3000, root) == first == frontend_build.fingerprint(3000, copy)


def test_an_edited_page_a_new_text_an_asset_or_another_port_makes_a_new_build(tmp_path):
    root = _project(tmp_path)
    seen = {frontend_build.fingerprint(3000, root)}
    assert frontend_build.fingerprint(3001, root) not in seen  # the build names its port
    for change in (
        lambda: (root / "web" / "pages.py").write_text("TITLE = 'Products'\n"),
        lambda: (root / "web" / "texts.yaml").write_text("title: Produk\n"),
        lambda: (root / "workflows" / "money.py").write_text("CURRENCY = 'USD'\n"),
        lambda: (root / "assets" / "logo.png").write_bytes(b"\x89PNG2"),
        lambda: (root / "rxconfig.py").write_text("app_name = 'web2'\n"),
    ):
        change()
        now = frontend_build.fingerprint(3000, root)
        assert now not in seen
        seen.add(now)
