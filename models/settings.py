"""The store's configuration, read from environment variables and a `.env` file.

Every variable is prefixed `STORE_` (for example `STORE_MONGODB_URL`). A value that does not
parse stops the program with a message naming the variable, never with a traceback deep in a
driver. URLs left empty mean "run embedded": the launcher starts MongoDB and Redis itself
under the data directory.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import sys
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "STORE_"


def _mongodb_url(value: str | None) -> str | None:
    if value and not value.startswith(("mongodb://", "mongodb+srv://")):
        raise ValueError("must start with mongodb:// or mongodb+srv://")
    return value or None


def _redis_url(value: str | None) -> str | None:
    if value and not value.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("must start with redis://, rediss:// or unix://")
    return value or None


class Settings(BaseSettings):
    """Configuration of every process of the store.

    Parameters:
      mongodb_url: MongoDB connection string; empty runs an embedded replica set.
      mongodb_database: database name.
      redis_url: Redis URL of the Dramatiq broker; empty runs an embedded redis-server.
      redis_namespace: prefix of the broker's Redis keys (lets several stores share a Redis).
      secret_key: signs sessions and derives the key that encrypts stock items at rest.
        When empty, a random key is created once and kept in `<data_dir>/secret_key`.
      discord_token: the bot token; empty means sandbox mode.
      discord_api_base_url: Discord's REST base URL; empty is Discord itself (the sandbox
        sets its own, e.g. http://127.0.0.1:PORT/api/v10).
      discord_client_id, discord_client_secret: the OAuth2 client for the dashboard login.
      discord_shard_count: how many gateway shards the bot runs in all (every bot process
        gets the same number); 0 is one unsharded connection. Discord requires sharding from
        2,500 guilds (its docs, events/gateway.mdx "Sharding").
      discord_shard_ids: the shards this bot process runs (comma-separated, e.g. "0,1");
        empty runs all of them.
      data_dir: where the embedded databases, uploads and transcripts live.
      public_url: the dashboard's address as browsers reach it; the OAuth2 redirect URL is
        `<public_url>/auth/callback` and product images are linked from it.
      operator_ids: Discord user ids (comma-separated) who may open the Ops page; empty lets
        every seller with a store open it (one-shop installs).
      sandbox_file: set by `./store run` in sandbox mode: the demo Discord's description
        (JSON), which the dashboard's Sandbox page reads.
      guild_ready_timeout_s: how long the bot waits after Discord's last GUILD_CREATE before
        it counts itself ready (py-cord's `guild_ready_timeout`, 2 s by default: py-cord always
        waits this long, so every bot start costs it).
      worker_timeout_ms: how long an idle worker waits on Redis before looking again; sets
        the idle latency of every step of a ticket (100 ms gives ~30 ms p50).
      queue_prefetch: messages a worker process holds ahead per queue (0: Dramatiq's default,
        twice the threads).
      heartbeat_timeout_ms: after this long without a heartbeat, a worker's unacknowledged
        messages are given to another worker (crash recovery).
      maintenance_chance: out of a million broker commands, how many run that recovery.
      sweep_interval_s: how often the sweeper looks for due timers and stuck outboxes.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    mongodb_url: Annotated[str | None, AfterValidator(_mongodb_url)] = None
    mongodb_database: str = Field(default="store", pattern=r"^[A-Za-z0-9_-]{1,63}$")
    redis_url: Annotated[str | None, AfterValidator(_redis_url)] = None
    redis_namespace: str = Field(default="store", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    secret_key: SecretStr = SecretStr("")
    discord_token: SecretStr = SecretStr("")
    discord_api_base_url: str = Field(default="", pattern=r"^(https?://\S+)?$")
    discord_client_id: str = ""
    discord_client_secret: SecretStr = SecretStr("")
    discord_shard_count: int = Field(default=0, ge=0, le=100_000)
    discord_shard_ids: str = Field(default="", pattern=r"^[0-9, ]*$")
    data_dir: Path = Path("data")
    public_url: str = Field(default="http://localhost:3000", pattern=r"^https?://[^\s/]+(/\S*)?$")
    operator_ids: str = Field(default="", pattern=r"^[0-9, ]*$")
    sandbox_file: str = ""
    guild_ready_timeout_s: float = Field(default=2.0, ge=0, le=60)
    worker_timeout_ms: int = Field(default=100, ge=10, le=60_000)
    queue_prefetch: int = Field(default=8, ge=0, le=1000)
    heartbeat_timeout_ms: int = Field(default=15_000, ge=1_000, le=3_600_000)
    maintenance_chance: int = Field(default=10_000, ge=1, le=1_000_000)
    sweep_interval_s: float = Field(default=1.0, gt=0, le=3600)

    def resolved_secret_key(self) -> bytes:
        """The secret key, created and kept under the data directory on first use."""
        if self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    def shard_plan(self) -> tuple[int, list[int]] | None:
        """(shards in all, the shards this bot process runs), or None for one unsharded
        connection. Raises SettingsError naming the variable when the two disagree."""
        ids = sorted({int(part) for part in self.discord_shard_ids.replace(" ", "").split(",") if part})
        count = self.discord_shard_count
        if not count:
            if ids:
                problem = f"needs {ENV_PREFIX}DISCORD_SHARD_COUNT (how many shards in all)"
                raise SettingsError(f"Invalid configuration:\n  {ENV_PREFIX}DISCORD_SHARD_IDS: {problem}")
            return None
        if any(i >= count for i in ids):
            problem = f"shard ids go from 0 to {count - 1} ({ENV_PREFIX}DISCORD_SHARD_COUNT is {count})"
            raise SettingsError(f"Invalid configuration:\n  {ENV_PREFIX}DISCORD_SHARD_IDS: {problem}")
        return count, ids or list(range(count))

    def stock_encryption_key(self) -> bytes:
        """A Fernet key for stock items, derived from the secret key (never stored)."""
        digest = hashlib.sha256(b"discord-store/stock-items/v1\x00" + self.resolved_secret_key())
        return base64.urlsafe_b64encode(digest.digest())


class SettingsError(SystemExit):
    """Raised when the configuration is invalid; its message names each bad variable."""


def load_settings() -> Settings:
    """Read the settings, or stop the program with a message naming each bad variable."""
    try:
        return Settings()
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "?"
            lines.append(f"  {ENV_PREFIX}{field.upper()}: {problem['msg']}")
        raise SettingsError("Invalid configuration:\n" + "\n".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()


if __name__ == "__main__":  # `python -m models.settings` checks the configuration.
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        raise
    print("configuration ok")
