"""What the Reflex build needs on a machine without internet beyond the package registries.

Reflex downloads its JavaScript runtime (bun) from the internet by default; we take the same
pinned version from the npm registry instead (`npm pack`), keep it under `.venv/bun/`, and
switch off everything that phones home (the `REFLEX_*` settings of `reflex_env`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUN_HOME = ROOT / ".venv" / "bun"


def bun_version() -> str:
    from reflex_base.constants.installer import Bun

    return Bun.VERSION


def bun_path() -> Path:
    return BUN_HOME / bun_version() / "bin" / "bun"


def ensure_bun() -> Path:
    """Fetch bun from the npm registry once (needs `npm`); returns its path."""
    path = bun_path()
    if path.exists():
        return path
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed once to fetch the bun runtime for the dashboard build")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [npm, "pack", f"@oven/bun-linux-x64@{bun_version()}", "--silent"],
            cwd=tmp,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        archive = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        target = path.parent.parent
        target.mkdir(parents=True, exist_ok=True)
        shutil.copytree(Path(tmp) / "package", target, dirs_exist_ok=True)
    path.chmod(0o755)
    return path


def npm_registry() -> str:
    npm = shutil.which("npm")
    if npm is None:
        return ""
    done = subprocess.run([npm, "config", "get", "registry"], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def reflex_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for `reflex` commands: our bun, no telemetry, no update checks."""
    env = dict(os.environ if base is None else base)
    env.update(
        REFLEX_BUN_PATH=str(ensure_bun()),
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        REFLEX_HTTP_CLIENT_BIND_ADDRESS="0.0.0.0",
    )
    if registry := npm_registry():
        env.setdefault("NPM_CONFIG_REGISTRY", registry)
    return env


def prepare_frontend() -> None:
    """Install the frontend's packages once (`reflex export`), so later starts only compile."""
    marker = ROOT / ".web" / "node_modules" / ".package-lock.json"
    bun_lock = ROOT / ".web" / "bun.lock"
    if marker.exists() or bun_lock.exists():
        return
    print("preparing the dashboard's frontend (first time only: ~1 minute)…", flush=True)
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "reflex"),
            "export",
            "--frontend-only",
            "--no-zip",
            "--loglevel",
            "warning",
        ],
        cwd=ROOT,
        env=reflex_env(),
        check=True,
    )


if __name__ == "__main__":
    prepare_frontend()
