"""Running the real dashboard (`reflex run --env prod`) for browser tests and benchmarks, and
Debian's chromium driven by Playwright (never `playwright install`, which downloads a browser
from outside the package registries)."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from launcher.embedded import free_port
from launcher.launch import dashboard_command
from web.toolchain import ROOT, reflex_env

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "DashboardProcess", "free_port", "log_in", "session_port"]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# The built frontend names the port it talks to (.web/env.json), so one build can serve every
# browser module of a test run only if they all use one port. It is chosen below the kernel's
# ephemeral range (32768+), where no outgoing connection can take it between two modules.
_SESSION_PORT: int | None = None
_BUILT_HERE: set[int] = set()  # ports this test run built the frontend for
# The production backend with the frontend already built mounted on it: what `reflex run --env
# prod --single-port` ends with, without its build (reflex/reflex.py `_run_prod`).
_SERVE_BUILT = """
import os, sys
os.environ["REFLEX_ENV_MODE"] = "prod"
os.environ["REFLEX_SKIP_COMPILE"] = "true"
from reflex.utils import exec
from reflex_base.constants import LogLevel
exec.run_backend_prod(sys.argv[1], int(sys.argv[2]), LogLevel.WARNING, True)
"""


def session_port() -> int:
    """The dashboard's port for every browser module of this test run."""
    global _SESSION_PORT
    while _SESSION_PORT is None:
        candidate = random.randrange(20_000, 30_000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
        _SESSION_PORT = candidate
    return _SESSION_PORT


def _built_for(port: int) -> bool:
    """Whether .web holds this run's build for `port` (another command may have rebuilt it
    since, for its own port: test_launcher's `./store run` does)."""
    web = ROOT / ".web"
    try:
        env = json.loads((web / "env.json").read_text())
    except (OSError, ValueError):
        return False
    served = (web / "build" / "client" / "index.html").exists()
    return port in _BUILT_HERE and served and env.get("PING") == f"http://localhost:{port}/ping"


class DashboardProcess:
    """The Reflex app in production mode on one port, as `./store run` starts it.

    Parameters:
      env: STORE_* settings for the app (database, Redis, sandbox, OAuth client).
      port: the single port serving pages, websocket and HTTP routes.
      log_path: where its output goes.
    """

    def __init__(self, env: dict[str, str], port: int, log_path: Path, reuse_build: bool = False) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.reused = reuse_build and _built_for(port)
        if self.reused:  # the frontend this run built for this port: only the backend starts
            command = [sys.executable, "-c", _SERVE_BUILT, "127.0.0.1", str(port)]
        else:
            command = [*dashboard_command(port), "--backend-host", "127.0.0.1"]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=reflex_env(env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its server workers are in our own process group
        )

    def wait_ready(self, within: float = 240) -> DashboardProcess:
        """Until the backend answers and the built frontend is served (first build: ~1 min)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the dashboard exited ({self.process.returncode}):\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/ping", timeout=2) as ping:
                    with urllib.request.urlopen(f"{self.url}/login", timeout=5) as page:
                        if ping.status == 200 and page.status == 200:
                            _BUILT_HERE.add(self.port)
                            return self
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the dashboard did not come up:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self._log.close()


async def log_in(page, dashboard_url: str, user_id: int) -> None:
    """Through the real OAuth flow: the login page, then the sandbox's consent page as `user_id`."""
    await page.goto(f"{dashboard_url}/login")
    await page.click("#login")
    await page.click(f"#login-{user_id}")
    await page.wait_for_url(lambda url: "/login" not in url and "/oauth2/" not in url)
