"""Reusing the dashboard's production build when nothing it is made from has changed.

`reflex run --env prod` compiles the app and runs the frontend's production build (Vite) on
every start: 10-15 s of CPU on a small server, and more when it is busy. A build is made from
the dashboard's code and texts, the Python modules its pages import, the static assets, the
installed Reflex, and the port it talks to (the built `.web/env.json` names it). When all of
those are the same as for the build on disk, a restart serves that build and starts only the
production backend, as `reflex run --env prod --single-port` ends up doing after its build
(reflex/reflex.py `_run_prod`, reflex/utils/exec.py `run_backend_prod`).

`python -m web.frontend_build HOST PORT` is that backend.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from importlib.metadata import version
from pathlib import Path

from web.toolchain import ROOT

WEB_DIR = ROOT / ".web"
RECORD = WEB_DIR / "build" / "store-build.json"  # inside the build: removed with it
# What the compiled frontend is made from (paths relative to the project).
SOURCES = ("web", "workflows", "models", "assets")
FILES = ("rxconfig.py", "pyproject.toml", "reflex.lock")


def fingerprint(port: int, root: Path = ROOT) -> str:
    """One hash of everything a build for `port` is made from."""
    digest = hashlib.sha256()
    digest.update(f"reflex {version('reflex')} port {port}\n".encode())
    paths = [root / name for name in FILES if (root / name).is_file()]
    for folder in SOURCES:
        paths += [p for p in (root / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    for path in sorted(paths):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def is_current(port: int, made_from: str) -> bool:
    """Whether the build on disk was made for `port` from the code as it is now (`made_from`:
    `fingerprint(port)`, taken once by the caller, which also records it after a build)."""
    try:
        recorded = json.loads(RECORD.read_text())
        env = json.loads((WEB_DIR / "env.json").read_text())
    except (OSError, ValueError):
        return False
    return (
        (WEB_DIR / "build" / "client" / "index.html").is_file()
        and env.get("PING") == f"http://localhost:{port}/ping"
        and recorded.get("fingerprint") == made_from
    )


def remember(port: int, made_from: str) -> None:
    """Record what the running build was made from (`made_from`: `fingerprint(port)` taken
    before the build started, so a file edited meanwhile makes the next start build again)."""
    if RECORD.parent.is_dir():
        RECORD.write_text(json.dumps({"port": port, "fingerprint": made_from}))


def serve_command(host: str, port: int) -> list[str]:
    """The production backend serving the build on disk (no compile of the frontend)."""
    return [sys.executable, "-m", "web.frontend_build", host, str(port)]


def main() -> None:
    os.environ["REFLEX_ENV_MODE"] = "prod"
    os.environ["REFLEX_SKIP_COMPILE"] = "true"
    from reflex.utils import exec as reflex_exec
    from reflex_base.constants import LogLevel

    host, port = sys.argv[1], int(sys.argv[2])
    reflex_exec.run_backend_prod(host, port, LogLevel.WARNING, True)


if __name__ == "__main__":
    main()
