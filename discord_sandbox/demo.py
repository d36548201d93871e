"""The sandbox demo: a local Discord with a demo guild, and a seeded demo store, so the whole
purchase can be tried without a Discord application (`./store run` with no token).

`python -m discord_sandbox.demo --ready-file F --public-url URL` serves the sandbox and
writes the demo world (its address, the bot token, ids) as JSON into F once it listens. The
guild, people and channels get the same ids at every start, so a store kept in the database
still points at them after a restart; later ids (tickets, messages) come after the old ones.
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
from workflows.discord_permissions import REQUIRED

DEMO_GUILD = 1_200_000_000_000_000_001
CLIENT_ID = "1200000000000000999"
CLIENT_SECRET = "sandbox-demo-client-secret"


def build(sandbox: DiscordSandbox, public_url: str) -> dict[str, Any]:
    """The demo guild: the seller (owner), a buyer, the bot, a shop channel, a transcripts
    channel and a ticket category; the dashboard's OAuth client."""
    state._ids = itertools.count(1_300_000_000_000_000_000)  # the same ids at every start

    def make() -> dict[str, Any]:
        s = sandbox.server
        seller, buyer = s.add_user("seller"), s.add_user("budi")
        bot, token = s.add_bot("Toko Demo Bot")
        guild = s.add_guild("Toko Demo", seller, guild_id=DEMO_GUILD)
        bot_role = s.add_role(guild, "bot", int(REQUIRED))
        s.add_member(guild, bot, [bot_role.id])
        s.add_member(guild, buyer)
        shop = s.add_channel(guild, "shop")
        # Hidden from @everyone; a seller lets the bot's role in (as on Discord, where a bot
        # without Administrator cannot see a channel @everyone is denied otherwise).
        staff_only = [
            Overwrite(guild.id, 0, deny=VIEW_CHANNEL),
            Overwrite(bot_role.id, 0, allow=int(REQUIRED) & ~MANAGE_ROLES),
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


def static_qris() -> str:
    """A static QRIS for the demo merchant (fields as a bank's QRIS carries them)."""
    from workflows.qris import crc16

    fields = [
        ("00", "01"),
        ("01", "11"),
        ("26", "0016ID.CO.TOKO.WWW0118936000140000012345"),
        ("52", "5814"),
        ("53", "360"),
        ("58", "ID"),
        ("59", "TOKO DEMO"),
        ("60", "JAKARTA"),
    ]
    body = "".join(f"{t}{len(v):02d}{v}" for t, v in fields) + "6304"
    return body + crc16(body)


async def seed_store(world: dict[str, Any], cipher: Any) -> bool:
    """The demo store with products, stock items and payment methods; False when it exists."""
    from models.payment_method import PaymentKind
    from models.store import Store
    from workflows import payment_methods, products, stock

    if await Store.find_one(Store.guild_id == world["guild_id"]) is not None:
        return False
    await products.open_store(
        world["guild_id"],
        name="Toko Demo",
        locale="id",
        tickets={"category_ids": [world["category_id"]], "cooldown_s": 0, "max_open_tickets_per_buyer": 3},
        panel={"channel_id": world["shop_channel_id"], "title": "TOKO DEMO — PRODUK DIGITAL"},
        transcript_channel_id=world["transcript_channel_id"],
        testimonial_channel_id=world["testimonial_channel_id"],
    )
    netflix = await products.create_product(
        world["guild_id"],
        name="Netflix Premium 1 Bulan",
        price=50_000,
        description="Akun sharing, garansi 30 hari",
    )
    await stock.add_items(netflix, [f"netflix{n}@demo.test:pass{n}" for n in range(1, 6)], cipher)
    spotify = await products.create_product(
        world["guild_id"], name="Spotify Premium 3 Bulan", price=45_000, description="Upgrade akun sendiri"
    )
    await stock.add_items(spotify, [f"SPOTIFY-DEMO-KEY-{n:04d}" for n in range(1, 6)], cipher)
    await products.create_product(
        world["guild_id"],
        name="Jasa Desain Logo",
        price=150_000,
        description="Dikerjakan 2 hari",
        delivery_mode="manual",
        stock=3,
        manual_delivery_text="Terima kasih! Kirim brief desain Anda di tiket ini.",
    )
    gid = world["guild_id"]
    await payment_methods.add_method(
        gid, PaymentKind.BANK, "BCA", {"account_number": "1234567890", "account_name": "Toko Demo"}
    )
    await payment_methods.add_method(
        gid, PaymentKind.EWALLET, "GoPay", {"number": "081234567890", "account_name": "Toko Demo"}
    )
    await payment_methods.add_method(gid, PaymentKind.QRIS, "QRIS", {"payload": static_qris()})
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description="the Discord sandbox with the demo guild")
    parser.add_argument("--ready-file", type=Path, required=True)
    parser.add_argument("--public-url", required=True, help="the dashboard's address (OAuth redirect)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    sandbox = DiscordSandbox(port=args.port).start()
    world = build(sandbox, args.public_url)
    args.ready_file.write_text(json.dumps(world))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    sandbox.stop()


if __name__ == "__main__":
    main()
