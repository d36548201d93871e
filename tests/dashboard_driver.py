"""Running the real dashboard (`reflex run --env prod`) for browser tests and benchmarks, and
Debian's chromium driven by Playwright (never `playwright install`, which downloads a browser
from outside the package registries)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from launcher.embedded import free_port
from launcher.launch import dashboard_command
from web import frontend_build
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
        # As `./store run` does: the build on disk when nothing it is made from has changed.
        self.made_from = frontend_build.fingerprint(port)
        self.reused = reuse_build and frontend_build.is_current(port, self.made_from)
        if self.reused:
            command = frontend_build.serve_command("127.0.0.1", port)
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
                            if not self.reused:
                                frontend_build.remember(self.port, self.made_from)
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
