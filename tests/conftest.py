"""Real MongoDB (replica set) and Redis for the whole run; a fresh database, Redis namespace
and data directory for every test; helpers to start real `dramatiq` worker processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO

import pytest
from pymongo import MongoClient
from redis import Redis
from redis.asyncio import Redis as AsyncRedis

import models
from discord_sandbox import DiscordSandbox
from discord_sandbox.state import VIEW_CHANNEL, Overwrite
from launcher.embedded import EmbeddedService, start_mongod, start_redis
from launcher.launch import worker_command
from models.settings import Settings
from models.store import Store
from workers.sender import Sender
from workflows import outbox, products
from workflows.discord_permissions import REQUIRED
from workflows.stock_cipher import StockCipher

ROOT = Path(__file__).resolve().parents[1]
GUILD = 1_000_000_000_000_001
SECRET = "test-secret-key-" + "x" * 32


@pytest.fixture(scope="session")
def mongod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedService]:
    service = start_mongod(tmp_path_factory.mktemp("mongod"))
    yield service
    service.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedService]:
    service = start_redis(tmp_path_factory.mktemp("redis"), persistent=False)
    yield service
    service.stop()


def isolated_settings(
    mongod: EmbeddedService, redis_server: EmbeddedService, data_dir: Path, prefix: str = "t"
) -> Settings:
    """Settings with their own database, Redis namespace and data directory, and fast timings."""
    tag = uuid.uuid4().hex[:12]
    return Settings(
        mongodb_url=mongod.url,
        mongodb_database=f"{prefix}_{tag}",
        redis_url=redis_server.url,
        redis_namespace=f"{prefix}_{tag}",
        secret_key=SECRET,
        data_dir=data_dir,
        worker_timeout_ms=50,
        # The sandbox sends every GUILD_CREATE right after READY; py-cord's 2 s wait for more
        # would only add 2 s to each of the suite's bot starts.
        guild_ready_timeout_s=0.2,
        heartbeat_timeout_ms=2_000,
        maintenance_chance=1_000_000,
        sweep_interval_s=0.1,
        _env_file=None,
    )


@pytest.fixture
def settings(mongod: EmbeddedService, redis_server: EmbeddedService, tmp_path: Path) -> Iterator[Settings]:
    """Settings of one test: its own database, Redis namespace and data directory."""
    value = isolated_settings(mongod, redis_server, tmp_path / "data")
    yield value
    MongoClient(mongod.url).drop_database(value.mongodb_database)
    client = Redis.from_url(redis_server.url)
    keys = list(client.scan_iter(f"{value.redis_namespace}*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[None]:
    """Beanie bound to this test's database on this test's event loop."""
    client = await models.connect(settings.mongodb_url, settings.mongodb_database)
    yield
    outbox.configure(None)
    await client.close()


@pytest.fixture
async def store(db: None) -> Store:
    return await products.open_store(GUILD, name="Toko Digital")


@pytest.fixture
def cipher(settings: Settings) -> StockCipher:
    return StockCipher(settings.stock_encryption_key())


@pytest.fixture
def sender(settings: Settings) -> Sender:
    return Sender.for_redis(settings.redis_url, settings.redis_namespace)


@pytest.fixture
def relay_to_workers(db: None, sender: Sender) -> Sender:
    """Transitions made in the test process relay their follow-ups to the worker queues."""
    outbox.configure(sender.dispatch)
    return sender


@pytest.fixture
async def aredis(redis_server: EmbeddedService) -> AsyncIterator[AsyncRedis]:
    client = AsyncRedis.from_url(redis_server.url)
    yield client
    await client.aclose()


def worker_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        STORE_MONGODB_URL=settings.mongodb_url or "",
        STORE_MONGODB_DATABASE=settings.mongodb_database,
        STORE_REDIS_URL=settings.redis_url or "",
        STORE_REDIS_NAMESPACE=settings.redis_namespace,
        STORE_SECRET_KEY=settings.secret_key.get_secret_value(),
        STORE_DATA_DIR=str(settings.data_dir),
        STORE_HEARTBEAT_TIMEOUT_MS=str(settings.heartbeat_timeout_ms),
        STORE_MAINTENANCE_CHANCE=str(settings.maintenance_chance),
        STORE_SWEEP_INTERVAL_S=str(settings.sweep_interval_s),
        STORE_DISCORD_TOKEN=settings.discord_token.get_secret_value(),
        STORE_DISCORD_API_BASE_URL=settings.discord_api_base_url,
        STORE_WORKER_TIMEOUT_MS=str(settings.worker_timeout_ms),
        STORE_GUILD_READY_TIMEOUT_S=str(settings.guild_ready_timeout_s),
        STORE_QUEUE_PREFETCH="4",
        PYTHONUNBUFFERED="1",
    )
    return env


class WorkerProcess:
    """A real `dramatiq workers.actors` process group started by a test."""

    def __init__(
        self,
        settings: Settings,
        log_path: Path,
        processes: int = 1,
        threads: int = 4,
        env: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.log_path = log_path
        self._log = log_path.open("ab")
        redis = Redis.from_url(settings.redis_url)
        heartbeats = f"{settings.redis_namespace}:__heartbeats__"
        before = set(redis.zrange(heartbeats, 0, -1))
        self.process = subprocess.Popen(
            worker_command(processes, threads),
            cwd=ROOT,
            env={**worker_env(settings), **(env or {})},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        # Ready once every worker process has announced itself with a heartbeat.
        deadline = time.monotonic() + 60
        while len(set(redis.zrange(heartbeats, 0, -1)) - before) < processes:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{log_path.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.02)
        self.broker_ids = set(redis.zrange(heartbeats, 0, -1)) - before

    def kill(self) -> None:
        """SIGKILL the whole group: no shutdown hooks, no acks: a crash."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def close_log(self) -> None:
        self._log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # the main process forwards it to its workers
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def start_worker(settings: Settings, tmp_path: Path) -> Iterator[object]:
    started: list[WorkerProcess] = []

    def start(processes: int = 1, threads: int = 4, env: dict[str, str] | None = None) -> WorkerProcess:
        worker = WorkerProcess(settings, tmp_path / f"worker-{len(started)}.log", processes, threads, env)
        started.append(worker)
        return worker

    yield start
    # The test is over: nothing watches a graceful stop here, and Dramatiq's takes two seconds
    # (its worker and log-watcher loops wake once a second). Tests that need one call stop().
    for worker in started:
        worker.kill()
        worker.close_log()


@pytest.fixture
def sandbox():
    box = DiscordSandbox().start()
    yield box
    box.stop()


@pytest.fixture
def world(sandbox):
    """A guild with an owner (seller), a buyer, a stranger, the bot and a shop channel."""
    s = sandbox.server

    def build():
        seller = s.add_user("seller")
        bot, token = s.add_bot()
        guild = s.add_guild("Toko", seller, guild_id=GUILD)
        bot_role = s.add_role(guild, "bot", int(REQUIRED))
        s.add_member(guild, bot, [bot_role.id])
        buyer, stranger = s.add_user("budi"), s.add_user("eve")
        s.add_member(guild, buyer)
        s.add_member(guild, stranger)
        shop_channel = s.add_channel(guild, "shop")
        private = s.add_channel(
            guild,
            "ticket-budi",
            overwrites=[
                Overwrite(guild.id, 0, deny=VIEW_CHANNEL),
                Overwrite(buyer.id, 1, allow=VIEW_CHANNEL | (1 << 11)),
                # As the store's own ticket channels: the bot lets itself in (it is no admin).
                Overwrite(bot.id, 1, allow=VIEW_CHANNEL | (1 << 11) | (1 << 15) | (1 << 16)),
            ],
        )
        return {
            "seller": seller,
            "bot": bot,
            "token": token,
            "guild": guild,
            "buyer": buyer,
            "stranger": stranger,
            "shop": shop_channel,
            "private": private,
        }

    return sandbox.call(build)


def bot_process(env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """A real `python -m bot` process with these settings."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


@pytest.fixture
def start_bot(settings, tmp_path):
    started = []

    def start():
        log = (tmp_path / f"bot-{len(started)}.log").open("wb")
        process = bot_process(worker_env(settings), log)
        started.append(process)
        return process

    yield start
    for process in started:
        process.terminate()
        process.wait(20)


# The dashboard's world (shop, browser, page…), for every browser test module.
from tests.dashboard_world import browser, discord, page, shop, shop_settings  # noqa: E402, F401

# Under `pytest -n 2` (`./store test`) each module runs whole on one worker (its module-scoped
# processes start once), and every module that builds and serves the dashboard runs on the
# same worker, one after another: they share one `.web/` folder, and a build empties the
# bundle another running dashboard is serving. (pytest-xdist's own `loadgroup` cannot do it
# with pytest 9: it renames the tests through an attribute pytest no longer reads.)
DASHBOARD_MODULES = re.compile(
    r"tests/(test_dashboard\w*|test_sandbox_page|test_launcher|test_packaging)\.py"
)


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class OneDashboardAtATime(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "dashboard" if DASHBOARD_MODULES.fullmatch(module) else module

    return OneDashboardAtATime(config, log)


def pytest_itemcollected(item):
    # A module that serves the dashboard under another name would build `.web/` beside one.
    if {"shop", "page"} & set(getattr(item, "fixturenames", ())):
        module = item.nodeid.split("::", 1)[0]
        if not DASHBOARD_MODULES.fullmatch(module):
            raise pytest.UsageError(f"{module} serves the dashboard: name it tests/test_dashboard_*.py")
