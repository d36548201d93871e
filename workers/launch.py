"""`./store run`: start the store's processes, with embedded MongoDB and Redis when no URLs
are configured.

Embedded data lives under `<data_dir>/mongodb` (a one-node replica set) and
`<data_dir>/redis` (append-only file), so it survives restarts. For now the store is the
engine: Dramatiq worker processes, each running a sweeper. Ctrl-C stops everything this
launcher started, and only that.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from models.settings import SettingsError, load_settings
from workers.embedded import EmbeddedService, child_env, start_mongod, start_redis

log = logging.getLogger("store")
ROOT = Path(__file__).resolve().parents[1]


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="store run", description=__doc__)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2, help="worker processes")
    parser.add_argument("--threads", type=int, default=8, help="concurrent messages per worker process")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2

    started: list[EmbeddedService] = []
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        env = {
            "STORE_DATA_DIR": str(settings.data_dir.resolve()),
            "dramatiq_worker_timeout": str(settings.worker_timeout_ms),
            "dramatiq_queue_prefetch": str(settings.queue_prefetch),
        }
        # Created here once, so every process agrees on the key that encrypts stock items.
        settings.resolved_secret_key()
        if not settings.mongodb_url:
            mongo = start_mongod(settings.data_dir / "mongodb", port=27117)
            started.append(mongo)
            env["STORE_MONGODB_URL"] = mongo.url
            log.info(
                "embedded MongoDB (replica set) at %s, data in %s",
                mongo.url,
                settings.data_dir / "mongodb",
            )
        if not settings.redis_url:
            redis = start_redis(settings.data_dir / "redis", port=6479)
            started.append(redis)
            env["STORE_REDIS_URL"] = redis.url
            log.info(
                "embedded Redis at %s, append-only file in %s",
                redis.url,
                settings.data_dir / "redis",
            )
        workers = subprocess.Popen(
            worker_command(args.processes, args.threads), cwd=ROOT, env=child_env(**env)
        )
        children.append(workers)
        log.info(
            "%d worker processes × %d threads started; Ctrl-C stops the store",
            args.processes,
            args.threads,
        )
        if settings.discord_token.get_secret_value():
            children.append(subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=child_env(**env)))
            log.info("bot started")
        else:
            log.info("no STORE_DISCORD_TOKEN: no bot; workers record Discord actions in Redis")
        while not stopping:
            try:
                code = workers.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                continue
            log.error("workers exited with code %s", code)
            return code or 1
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(30)
                except subprocess.TimeoutExpired:
                    child.kill()
        for service in reversed(started):
            service.stop()
        log.info("store stopped")


if __name__ == "__main__":
    raise SystemExit(main())
