"""The sandbox demo: a local Discord with a demo guild, so the whole purchase can be tried
without a Discord application (`./store run` with no token; the launcher then seeds the demo
store into it, launcher/demo_store.py).

`python -m discord_sandbox.demo --ready-file F --public-url URL --bot-permissions N` serves the
sandbox and writes the demo world (its address, the bot token, ids) as JSON into F once it
listens. The bot's role gets the permissions N (the store passes what it needs, so the sandbox
knows nothing of the store). The guild, people and channels get the same ids at every start, so
a store kept in the database still points at them after a restart; later ids (tickets,
messages) come after the old ones.
"""

from __future__ import annotations

import argparse
import itertools
import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

from discord_sandbox import state
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
    # Objects made from now on (ticket channels, messages) must not reuse an id of a past run.
    state._ids = itertools.count(1_300_000_000_000_000_000 + int(time.time() * 1000) * 10_000)
    return world


def main() -> None:
    parser = argparse.ArgumentParser(description="the Discord sandbox with the demo guild")
    parser.add_argument("--ready-file", type=Path, required=True)
    parser.add_argument("--public-url", required=True, help="the dashboard's address (OAuth redirect)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bot-permissions", type=int, required=True, help="the bot role's permission bits")
    args = parser.parse_args()
    sandbox = DiscordSandbox(port=args.port).start()
    world = build(sandbox, args.public_url, args.bot_permissions)
    args.ready_file.write_text(json.dumps(world))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    sandbox.stop()


if __name__ == "__main__":
    main()
