"""The sandbox demo: a local Discord with a demo guild, so the whole purchase can be tried
without a Discord application (`./store run` with no token; the launcher then seeds the demo
store into it, launcher/demo_store.py).

`python -m discord_sandbox.demo --ready-file F --public-url URL --bot-permissions N` serves the
sandbox and writes the demo world (its address, the bot token, ids) as JSON into F once it
listens. The bot's role gets the permissions N (the store passes what it needs, so the sandbox
knows nothing of the store). The guild, people and channels get the same ids at every start, so
a store kept in the database still points at them after a restart; later ids (tickets,
messages) come after the old ones.

With `--state-file S` the world is kept in S (persist.py): written a moment after anything
changes and when the sandbox stops, read back at the next start, so ticket channels, DMs and
their messages are still there after a restart, as on Discord.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from discord_sandbox import persist, state
from discord_sandbox.server import DiscordSandbox
from discord_sandbox.state import MANAGE_ROLES, VIEW_CHANNEL, Overwrite

DEMO_GUILD = 1_200_000_000_000_000_001
CLIENT_ID = "1200000000000000999"
CLIENT_SECRET = "sandbox-demo-client-secret"


def build(sandbox: DiscordSandbox, public_url: str, bot_permissions: int) -> dict[str, Any]:
    """The demo guild: the seller (owner), a buyer, the bot, a shop channel, a transcripts
    channel and a ticket category; the dashboard's OAuth client. The bot's role holds
    `bot_permissions` (never Administrator: the store asks for exactly what it uses)."""
    state._ids = itertools.count(1_300_000_000_000_000_000)  # the same ids at every start

    def make() -> dict[str, Any]:
        s = sandbox.server
        seller, buyer = s.add_user("seller"), s.add_user("budi")
        bot, token = s.add_bot("Toko Demo Bot")
        guild = s.add_guild("Toko Demo", seller, guild_id=DEMO_GUILD)
        bot_role = s.add_role(guild, "bot", bot_permissions)
        s.add_member(guild, bot, [bot_role.id])
        s.add_member(guild, buyer)
        shop = s.add_channel(guild, "shop")
        # Hidden from @everyone; a seller lets the bot's role in (as on Discord, where a bot
        # without Administrator cannot see a channel @everyone is denied otherwise).
        staff_only = [
            Overwrite(guild.id, 0, deny=VIEW_CHANNEL),
            Overwrite(bot_role.id, 0, allow=bot_permissions & ~MANAGE_ROLES),
        ]
        transcripts = s.add_channel(guild, "transcripts", overwrites=staff_only)
        testimonials = s.add_channel(guild, "testimoni")
        category = s.add_channel(guild, "tickets", type_=4)
        s.add_oauth_app(CLIENT_ID, CLIENT_SECRET, f"{public_url.rstrip('/')}/auth/callback")
        return {
            "base_url": s.base_url,
            "api_base": f"{s.base_url}/api/v10",
            "token": token,
            "guild_id": guild.id,
            "guild_name": guild.name,
            "bot_role_id": bot_role.id,
            "seller_id": seller.id,
            "buyer_id": buyer.id,
            "bot_id": bot.id,
            "shop_channel_id": shop.id,
            "transcript_channel_id": transcripts.id,
            "testimonial_channel_id": testimonials.id,
            "category_id": category.id,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }

    world = sandbox.call(make)
    _fresh_ids()
    return world


def _fresh_ids() -> None:
    """Objects made from now on (ticket channels, messages) must not reuse an id of a past run."""
    state._ids = itertools.count(1_300_000_000_000_000_000 + int(time.time() * 1000) * 10_000)


def reopen(
    sandbox: DiscordSandbox, saved: dict[str, Any], public_url: str, bot_permissions: int
) -> dict[str, Any]:
    """The demo world of a past run (`saved`, as `keep` wrote it) back in a fresh sandbox: the
    same people, tokens, guild, channels, DMs and messages; the bot's role gets today's
    permissions and the dashboard's OAuth client today's address."""

    def put_back() -> dict[str, Any]:
        s = sandbox.server
        persist.restore(s, saved["sandbox"])
        world = {**saved["world"], "base_url": s.base_url, "api_base": f"{s.base_url}/api/v10"}
        guild = s.guilds[int(world["guild_id"])]
        bot_role = guild.roles.get(int(world["bot_role_id"]))
        if bot_role is not None:
            bot_role.permissions = bot_permissions
        s.add_oauth_app(CLIENT_ID, CLIENT_SECRET, f"{public_url.rstrip('/')}/auth/callback")
        return world

    world = sandbox.call(put_back)
    _fresh_ids()
    return world


def start(
    sandbox: DiscordSandbox, state_file: Path | None, public_url: str, bot_permissions: int
) -> dict[str, Any]:
    """The demo world: the one kept in `state_file` when there is one, else a new one."""
    saved = persist.load(state_file) if state_file else None
    if saved is not None and {"world", "sandbox"} <= saved.keys():
        return reopen(sandbox, saved, public_url, bot_permissions)
    return build(sandbox, public_url, bot_permissions)


def keep(sandbox: DiscordSandbox, world: dict[str, Any], state_file: Path, last: str = "") -> str:
    """Write the world to `state_file` when it changed since `last` (what was written then);
    returns what is written now."""
    data = {
        "format": persist.FORMAT,
        "world": world,
        "sandbox": sandbox.call(persist.snapshot, sandbox.server),
    }
    text = json.dumps(data, sort_keys=True)
    if text != last:
        persist.save(state_file, data)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description="the Discord sandbox with the demo guild")
    parser.add_argument("--ready-file", type=Path, required=True)
    parser.add_argument("--public-url", required=True, help="the dashboard's address (OAuth redirect)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bot-permissions", type=int, required=True, help="the bot role's permission bits")
    parser.add_argument("--state-file", type=Path, help="where the world is kept across restarts")
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sandbox = DiscordSandbox(port=args.port).start()
    world = start(sandbox, args.state_file, args.public_url, args.bot_permissions)
    # Whole or not at all: the launcher reads it as soon as it exists.
    ready = args.ready_file.with_name(args.ready_file.name + ".partial")
    ready.write_text(json.dumps(world))
    os.replace(ready, args.ready_file)
    written = ""
    # A second between writes: what a crash (no SIGTERM) can lose, and little work when idle.
    while not stop.wait(1.0):
        if args.state_file:
            written = keep(sandbox, world, args.state_file, written)
    if args.state_file:
        keep(sandbox, world, args.state_file, written)
    sandbox.stop()


if __name__ == "__main__":
    main()
