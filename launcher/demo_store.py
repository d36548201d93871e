"""The demo store `./store run` seeds in sandbox mode: products with stock items and payment
methods in the demo guild, so a purchase can be tried at once.

It lives here, not in the sandbox: the sandbox stands in for Discord and knows nothing of the
store (the layers in pyproject.toml), while the launcher sits above every part of the store
and may fill its database through `workflows/` like a seller would from the dashboard.
"""

from __future__ import annotations

from typing import Any

from models.payment_method import PaymentKind
from models.store import Store
from workflows import model_samples, payment_methods, products, stock
from workflows.qris import crc16
from workflows.stock_cipher import StockCipher


def static_qris() -> str:
    """A static QRIS for the demo merchant (fields as a bank's QRIS carries them)."""
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


# What a buyer is offered in the demo: each method under a name of its own (a buyer picks by
# name: two "QRIS" would be a guess), every bank and e-wallet with its number and holder. The
# QRIS is not called plain "QRIS": that is the name the dashboard gives a QRIS a seller adds
# without one, which would then sit beside it under the same name.
DEMO_METHODS: list[tuple[PaymentKind, str, dict[str, str]]] = [
    (PaymentKind.BANK, "BCA", {"account_number": "1234567890", "account_name": "Toko Demo"}),
    (PaymentKind.EWALLET, "GoPay", {"number": "081234567890", "account_name": "Toko Demo"}),
    (PaymentKind.QRIS, "QRIS Toko Demo", {"payload": static_qris()}),
]


async def seed_store(world: dict[str, Any], cipher: StockCipher) -> bool:
    """The demo store in the sandbox's demo guild (`world`, as discord_sandbox/demo.py writes
    it), with products, stock items and payment methods; False when it exists already."""
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
    for kind, provider, details in DEMO_METHODS:
        await payment_methods.add_method(world["guild_id"], kind, provider, details)
    await seed_model_product(world["guild_id"])
    return True


async def seed_model_product(guild_id: int) -> None:
    """A game item with a 3D model the project draws itself (workflows/model_samples.py), so
    the panel shows its picture and its "Lihat 3D" link at once (issue 19)."""
    from web import media  # kept as a seller's upload is (imported here: only seeding needs it)

    gem = await products.create_product(
        guild_id,
        name="Permata Biru (item game)",
        price=25_000,
        description="Item koleksi dengan pratinjau 3D: tekan Lihat 3D",
        delivery_mode="manual",
        stock=10,
        manual_delivery_text="Terima kasih! Item dikirim ke akun game Anda dalam 1 jam.",
    )
    model_ref, still_ref = await media.keep_model(guild_id, model_samples.gem())
    await products.set_model(guild_id, gem.id, model_ref, still_ref)
