"""`./store run`: the whole store from one command.

It prepares what is missing (the dashboard's frontend toolchain), starts embedded MongoDB (a
one-node replica set under `<data_dir>/mongodb`) and Redis (append-only file under
`<data_dir>/redis`) when no URLs are configured, then the workers (each with a sweeper), the
bot and the dashboard (production build). Without a Discord token it runs in sandbox mode: a
local Discord with a demo guild (discord_sandbox/demo.py) and a seeded demo store
(launcher/demo_store.py).

Once everything is up it prints a status table. Ctrl-C stops everything it started, and only
that; a second run reuses the data. A component that fails is named with its log's path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from launcher.embedded import EmbeddedService, child_env, start_mongod, start_redis
from models.settings import Settings, SettingsError, load_settings
from workflows.discord_permissions import REQUIRED

log = logging.getLogger("store")
ROOT = Path(__file__).resolve().parents[1]
SANDBOX_PORT = 3390


# Concurrent messages per worker process. The actors are coroutines that mostly wait on
# MongoDB, Redis and Discord, and a Dramatiq thread only carries one of them; with more of
# them in flight, their reads and writes share round trips (`models.batch`). Measured with
# bench/engine.py on 2 cores: 8 → 16 → 32 threads gave 121 → 161 → 169 tickets/s; 64 gave
# 139 (the threads' own switching eats the gain).
THREADS = 32


def worker_command(processes: int, threads: int, modules: tuple[str, ...] = ("workers.actors",)) -> list[str]:
    """The `dramatiq` command line that runs the store's actors (and any extra `modules`)."""
    return [
        sys.executable,
        "-m",
        "dramatiq",
        *modules,
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        "--path",
        str(ROOT),
    ]


def dashboard_command(port: int) -> list[str]:
    """The dashboard in production mode: pages, websocket and HTTP routes on one port."""
    return [
        str(Path(sys.executable).parent / "reflex"),
        "run",
        "--env",
        "prod",
        "--single-port",
        "--frontend-port",
        str(port),
        "--loglevel",
        "warning",
    ]


class StartFailed(Exception):
    """A component did not come up; the message names it, the reason and its log."""


@dataclass
class Component:
    """One running part of the store, for the status table and for stopping."""

    name: str
    where: str
    log: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    service: EmbeddedService | None = None
    # Every process the launcher spawns leads its own session and process group, so a
    # terminal's Ctrl-C reaches the launcher alone and it stops the parts in order (workers
    # while the databases are still up). SIGTERM goes to the whole group, or to the leader
    # alone when it passes the signal on to its children itself (Dramatiq: a second SIGTERM
    # makes its worker processes exit without stopping their threads, and they hang). Once the
    # leader has exited, or after 30 s if it has not, SIGKILL goes to whatever is left of the
    # group.
    term_leader_only: bool = False
    check: Callable[[], bool] = field(default=lambda: True)

    @property
    def pid(self) -> int | None:
        if self.process is not None:
            return self.process.pid
        if self.service is not None:
            return self.service.process.pid
        return None

    def alive(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            return False
        if self.service is not None and self.service.process.poll() is not None:
            return False
        return True

    def healthy(self) -> bool:
        try:
            return self.alive() and self.check()
        except Exception:
            return False

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
            return
        process = self.process
        if process is None or process.poll() is not None:
            return
        if self.term_leader_only:
            process.terminate()
        else:
            _signal_group(process, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within 30 s: killed", self.name)
        _signal_group(process, signal.SIGKILL)  # whatever of the group is left (none, normally)
        process.wait(10)


def _signal_group(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:  # the whole group is gone already
        pass


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status == 200
    except OSError:
        return False


class Launcher:
    """Starts the components in order and keeps them in `self.components` for stopping.

    Parameters:
      settings: the store's settings (STORE_*).
      processes, threads: worker processes and concurrent messages per process.
      sandbox_port: where the demo Discord listens in sandbox mode.
    """

    def __init__(
        self,
        settings: Settings,
        processes: int,
        threads: int,
        sandbox_port: int,
        mongodb_port: int = 27117,
        redis_port: int = 6479,
    ) -> None:
        self.settings = settings
        self.mongodb_port, self.redis_port = mongodb_port, redis_port
        self.processes, self.threads, self.sandbox_port = processes, threads, sandbox_port
        self.components: list[Component] = []
        self.logs = settings.data_dir / "logs"
        self.env: dict[str, str] = {}
        self.sandbox_world: dict[str, object] | None = None
        self.step = 0

    def say(self, text: str) -> None:
        self.step += 1
        print(f"[{self.step}] {text}", flush=True)

    def _spawn(
        self, name: str, command: list[str], *, env: dict[str, str] | None = None
    ) -> tuple[subprocess.Popen[bytes], Path]:
        self.logs.mkdir(parents=True, exist_ok=True)
        path = self.logs / f"{name}.log"
        handle = path.open("ab")
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env or child_env(**self.env),
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # see `Component.term_leader_only`
        )
        handle.close()
        return process, path

    def _wait(self, component: Component, ready: Callable[[], bool], within: float, what: str) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if not component.alive():
                raise StartFailed(f"{component.name} exited while starting ({what}); log: {component.log}")
            if ready():
                return
            time.sleep(0.3)
        raise StartFailed(f"{component.name} was not {what} after {within:.0f} s; log: {component.log}")

    # --- the components, in start order ----------------------------------------------------

    def databases(self) -> None:
        settings = self.settings
        self.env.update(
            STORE_DATA_DIR=str(settings.data_dir.resolve()),
        )
        settings.resolved_secret_key()  # created once here, so every process agrees on it
        self._database("mongodb", settings.mongodb_url, start_mongod, self.mongodb_port, "replica set")
        self._database("redis", settings.redis_url, start_redis, self.redis_port, "append-only file")

    def _database(
        self,
        name: str,
        url: str | None,
        start: Callable[..., EmbeddedService],
        port: int,
        kind: str,
    ) -> None:
        """The configured database, or an embedded one with its data under the data directory."""
        variable = f"STORE_{name.upper()}_URL"
        if url:
            self.env[variable] = url
            self.components.append(Component(name, url))
            return
        data = self.settings.data_dir / name
        self.say(f"starting embedded {name} ({kind}, data in {data})")
        try:
            service = start(data, port=port)
        except Exception as error:
            raise StartFailed(f"{name}: {error}; log: {data}") from None
        self.env[variable] = service.url
        self.components.append(Component(name, service.url, service.log_path, service=service))

    def sandbox(self) -> None:
        """No Discord token: a local Discord with the demo guild, and the demo store seeded."""
        self.say("no STORE_DISCORD_TOKEN: starting the Discord sandbox with a demo guild")
        ready_file = self.settings.data_dir / "sandbox.json"
        ready_file.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "discord_sandbox.demo",
            "--ready-file",
            str(ready_file),
            "--public-url",
            self.settings.public_url,
            "--port",
            str(self.sandbox_port),
            "--bot-permissions",
            str(int(REQUIRED)),
            # The demo Discord's guild, ticket channels, DMs and messages, kept across restarts.
            "--state-file",
            str(self.settings.data_dir / "sandbox-world.json"),
        ]
        process, path = self._spawn("sandbox", command)
        component = Component("discord sandbox", f"http://127.0.0.1:{self.sandbox_port}", path, process)
        self.components.append(component)
        self._wait(component, ready_file.exists, 30, "listening")
        world = json.loads(ready_file.read_text())
        self.sandbox_world = world
        self.env.update(
            STORE_DISCORD_TOKEN=str(world["token"]),
            STORE_DISCORD_API_BASE_URL=str(world["api_base"]),
            STORE_DISCORD_CLIENT_ID=str(world["client_id"]),
            STORE_DISCORD_CLIENT_SECRET=str(world["client_secret"]),
            STORE_SANDBOX_FILE=str(ready_file.resolve()),
        )
        component.where = str(world["base_url"])
        if asyncio.run(self._seed(world)):
            self.say("seeded the demo store: 3 products with stock, BCA, GoPay and QRIS Toko Demo")
        else:
            self.say("the demo store from the last run is still there")

    async def _seed(self, world: dict[str, object]) -> bool:
        import models
        from launcher.demo_store import seed_store
        from workflows.stock_cipher import StockCipher

        client = await models.connect(self.env["STORE_MONGODB_URL"], self.settings.mongodb_database)
        try:
            return await seed_store(world, StockCipher(self.settings.stock_encryption_key()))
        finally:
            await client.close()

    def workers(self) -> None:
        self.say(f"starting {self.processes} worker processes × {self.threads} threads (each with a sweeper)")
        process, path = self._spawn("workers", worker_command(self.processes, self.threads))
        component = Component("workers", "", path, process, check=self._workers_alive, term_leader_only=True)
        self.components.append(component)
        self._wait(component, self._workers_alive, 60, "beating")

    def _workers_alive(self) -> bool:
        from redis import Redis

        from workers.ops import workers_alive

        client = Redis.from_url(self.env["STORE_REDIS_URL"])
        try:
            return (
                workers_alive(client, self.settings.redis_namespace, self.settings.heartbeat_timeout_ms) > 0
            )
        finally:
            client.close()

    def bot(self) -> None:
        if not self.env.get("STORE_DISCORD_TOKEN") and not self.settings.discord_token.get_secret_value():
            return
        self.say("starting the bot")
        process, path = self._spawn("bot", [sys.executable, "-m", "bot"])
        component = Component(
            "bot", "", path, process, check=lambda: "bot ready" in path.read_text(errors="replace")
        )
        self.components.append(component)
        self._wait(component, component.check, 60, "connected to Discord")

    def dashboard(self) -> None:
        from web import frontend_build
        from web.toolchain import prepare_frontend, reflex_env

        self.say("preparing the dashboard's frontend (the first time takes a minute or two)")
        try:
            prepare_frontend()
        except Exception as error:
            raise StartFailed(f"dashboard: preparing the frontend failed: {error}") from None
        port = urlparse(self.settings.public_url).port or 3000
        made_from = frontend_build.fingerprint(port)
        reuse = frontend_build.is_current(port, made_from)
        if reuse:  # nothing the build is made from changed since the last start
            self.say(f"starting the dashboard on port {port} (its production build is up to date)")
            command = frontend_build.serve_command("0.0.0.0", port)
        else:
            self.say(f"starting the dashboard (production build) on port {port}")
            command = dashboard_command(port)
        process, path = self._spawn("dashboard", command, env=reflex_env(child_env(**self.env)))
        url = f"http://127.0.0.1:{port}"
        component = Component(
            "dashboard",
            self.settings.public_url,
            path,
            process,
            check=lambda: _http_ok(f"{url}/ping"),
        )
        self.components.append(component)
        self._wait(
            component, lambda: _http_ok(f"{url}/ping") and _http_ok(f"{url}/login"), 300, "serving pages"
        )
        if not reuse:
            frontend_build.remember(port, made_from)

    # --- whole store ---------------------------------------------------------------------------

    def start(self) -> None:
        self.databases()
        if not self.settings.discord_token.get_secret_value():
            self.sandbox()
        self.workers()
        self.bot()
        self.dashboard()

    def status(self) -> str:
        rows = [("component", "health", "where", "pid", "log")]
        for c in self.components:
            rows.append(
                (c.name, "up" if c.healthy() else "DOWN", c.where, str(c.pid or "—"), str(c.log or "—"))
            )
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def failed(self) -> Component | None:
        return next((c for c in self.components if not c.alive()), None)

    def stop(self) -> None:
        for component in reversed(self.components):
            try:
                component.stop()
            except Exception as error:  # keep stopping the others
                log.warning("stopping %s: %s", component.name, error)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="store run", description=__doc__)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2, help="worker processes")
    parser.add_argument("--threads", type=int, default=THREADS, help="concurrent messages per worker process")
    parser.add_argument("--sandbox-port", type=int, default=SANDBOX_PORT, help="the demo Discord's port")
    parser.add_argument("--mongodb-port", type=int, default=27117, help="the embedded MongoDB's port")
    parser.add_argument("--redis-port", type=int, default=6479, help="the embedded Redis's port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    launcher = Launcher(
        settings, args.processes, args.threads, args.sandbox_port, args.mongodb_port, args.redis_port
    )

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    # Set explicitly: a launcher started in the background inherits SIGINT ignored. SIGHUP is
    # the terminal closing: the parts lead their own groups and would outlive the launcher.
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    try:
        launcher.start()
        print("\nThe store is running:\n" + launcher.status(), flush=True)
        if launcher.sandbox_world is not None:
            print(
                f"\nSandbox mode: open {settings.public_url} and log in as 'seller'; the Sandbox page "
                "lets you buy as 'budi' and act as the seller.",
                flush=True,
            )
        print("\nCtrl-C stops everything.", flush=True)
        while True:
            time.sleep(0.5)
            broken = launcher.failed()
            if broken is not None:
                print(f"\n{broken.name} stopped unexpectedly; log: {broken.log}", file=sys.stderr, flush=True)
                return 1
    except StartFailed as error:
        print(f"\nfailed to start: {error}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):  # a second Ctrl-C must not
            signal.signal(signum, signal.SIG_IGN)  # cut the stopping short
        print("stopping…", flush=True)
        launcher.stop()
        print("store stopped", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
