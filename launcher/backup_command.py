"""`./store backup` and `./store restore`: a whole store to one file and back (workflows/backup.py).

    ./store backup --guild <id> --out store.json [--with-secrets] [--passphrase-file FILE]
    ./store restore --in store.json [--guild <id>] [--replace] [--passphrase-file FILE]

They use the configured MongoDB (STORE_MONGODB_URL), or the embedded one of `./store run`: the
running one when the store is up, else it is started for the command and stopped after.

Exit codes: 0 done; 2 refused, with a sentence saying why, and nothing changed (a wrong
passphrase, a backup of another version, a server that already has a store without
--replace, a file that is not a backup); 1 anything unexpected.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

import models
from launcher.embedded import EmbeddedService, EmbeddedServiceError, start_mongod
from models.settings import Settings, SettingsError, load_settings
from workflows import backup
from workflows.errors import StoreError
from workflows.stock_cipher import StockCipher

REFUSED = 2
EMBEDDED_PORT = 27117  # `./store run`'s embedded MongoDB (launcher/launch.py)
MIN_PASSPHRASE = 10


class Refusal(Exception):
    """The command cannot do what was asked; its message says why (exit code 2)."""


def _passphrase(file: Path | None, *, confirm: bool) -> str:
    """From `--passphrase-file` (its first line), else typed in the terminal (twice for a new
    backup, so a typo does not lock the seller out of their own file)."""
    if file is not None:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise Refusal(f"cannot read the passphrase file {file}: {error.strerror}") from None
        typed = lines[0] if lines else ""
    elif sys.stdin.isatty():
        typed = getpass.getpass("Passphrase: ")
        if confirm and getpass.getpass("The same passphrase again: ") != typed:
            raise Refusal("the two passphrases differ")
    else:
        raise Refusal("a passphrase is needed: type it in a terminal or give --passphrase-file")
    if not typed:
        raise Refusal("the passphrase is empty")
    return typed


def _embedded_running(port: int) -> str | None:
    url = f"mongodb://127.0.0.1:{port}/?replicaSet=rs0&directConnection=true"
    client: MongoClient = MongoClient(url, serverSelectionTimeoutMS=1500)
    try:
        client.admin.command("ping")
        return url
    except PyMongoError:
        return None
    finally:
        client.close()


def _database(settings: Settings, port: int) -> tuple[str, EmbeddedService | None]:
    """The MongoDB URL to use, and the embedded service started for this command (to stop)."""
    if settings.mongodb_url:
        return settings.mongodb_url, None
    running = _embedded_running(port)
    if running:
        return running, None
    service = start_mongod(settings.data_dir / "mongodb", port=port)
    return service.url, service


async def _backup(args: argparse.Namespace, url: str, settings: Settings) -> int:
    passphrase = _passphrase(args.passphrase_file, confirm=True) if args.with_secrets else None
    if passphrase is not None and len(passphrase) < MIN_PASSPHRASE:
        raise Refusal(f"choose a passphrase of at least {MIN_PASSPHRASE} characters")
    client = await models.connect(url, settings.mongodb_database)
    try:
        made = await backup.make(args.guild, StockCipher(settings.stock_encryption_key()), passphrase)
    finally:
        await client.close()
    out: Path = args.out
    # Written beside the target and renamed: a half-written file never stands as a backup.
    # Only the owner may read it: it holds buyers' names and payments.
    partial = out.with_name(f".{out.name}.partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(made.text)
        partial.replace(out)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise Refusal(f"cannot write {out}: {error.strerror}") from None
    print(f"backup of server {args.guild} written to {out}: {backup.summary(made.counts)}")
    if passphrase:
        print(
            "secrets included, encrypted with your passphrase: keep it, the file cannot be opened without it"
        )
    else:
        print(
            "secrets left out (stock item texts, payment secrets): "
            f"{backup.summary(made.left_out)}; add --with-secrets to include them, encrypted"
        )
    return 0


async def _restore(args: argparse.Namespace, url: str, settings: Settings) -> int:
    try:
        text = args.input.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Refusal(f"cannot read {args.input}: {getattr(error, 'strerror', None) or error}") from None
    document = backup.read(text)  # the file is checked before anything else is asked
    passphrase = None
    if backup.needs_passphrase(document):
        passphrase = _passphrase(args.passphrase_file, confirm=False)
    client = await models.connect(url, settings.mongodb_database)
    try:
        done = await backup.restore(
            document,
            StockCipher(settings.stock_encryption_key()),
            guild_id=args.guild,
            passphrase=passphrase,
            replace=args.replace,
        )
    finally:
        await client.close()
    verb = "replaced" if done.replaced else "restored"
    print(f"store of server {done.guild_id} {verb}: {backup.summary(done.counts)}")
    if any(done.left_out.values()):
        print(
            "this backup had no secrets: stock items and payment secrets are not restored "
            f"({backup.summary(done.left_out)}); add stock and paste the secrets again in the dashboard"
        )
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="store", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = top.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="write a store to a file")
    make.add_argument("--guild", type=int, required=True, help="the Discord server id of the store")
    make.add_argument("--out", type=Path, required=True, help="the backup file to write")
    make.add_argument(
        "--with-secrets",
        action="store_true",
        help="include stock item texts and payment secrets, encrypted with a passphrase",
    )
    undo = commands.add_parser("restore", help="write a store back from a file")
    undo.add_argument("--in", dest="input", type=Path, required=True, help="the backup file")
    undo.add_argument("--guild", type=int, help="restore into this server (default: the backup's own)")
    undo.add_argument("--replace", action="store_true", help="overwrite the store that server already has")
    for command in (make, undo):
        command.add_argument("--passphrase-file", type=Path, help="read the passphrase from this file")
        command.add_argument(
            "--mongodb-port", type=int, default=EMBEDDED_PORT, help="the embedded MongoDB's port"
        )
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return REFUSED
    service: EmbeddedService | None = None
    try:
        url, service = _database(settings, args.mongodb_port)
        run = _backup if args.command == "backup" else _restore
        return asyncio.run(run(args, url, settings))
    except (Refusal, StoreError) as refused:
        print(f"{args.command} refused: {refused}; nothing was changed", file=sys.stderr)
        return REFUSED
    except EmbeddedServiceError as error:
        print(f"{args.command}: cannot start the embedded MongoDB: {error}", file=sys.stderr)
        return 1
    finally:
        if service is not None:
            service.stop()


if __name__ == "__main__":
    raise SystemExit(main())
