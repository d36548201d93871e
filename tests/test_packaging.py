"""The store as an installed package: what `pip install .` (not editable) gives an operator."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_a_non_editable_install_carries_the_demo_sandbox_and_the_texts(tmp_path: Path) -> None:
    """`./store run`'s demo mode starts `python -m discord_sandbox.demo`: it must come from the
    installed package, not from a source checkout's tests/ folder."""
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q"]
    subprocess.run(
        [*build, "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    wheel = next(tmp_path.glob("discord_store-*.whl"))
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import discord_sandbox, discord_sandbox.demo, launcher.launch;"
        "from workflows.i18n import text;"
        "print(discord_sandbox.__file__);"
        "print(text('id', 'opening.in_progress'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,  # no source checkout in sight
        capture_output=True,
        text=True,
        check=True,
    )
    where, opening = done.stdout.splitlines()
    assert where.startswith(str(site)) and "tests" not in Path(where).parts
    assert opening.startswith("Tiket Anda sedang dibuka")
