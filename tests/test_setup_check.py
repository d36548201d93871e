"""The setup check a seller runs (CLI, slash command, dashboard) against the Discord sandbox,
and a shop that says what is missing instead of failing when the bot lacks a permission."""

from __future__ import annotations

import subprocess
import sys

from discord_sandbox.state import MANAGE_CHANNELS, VIEW_CHANNEL, Overwrite
from models.stock_item import StockItem
from models.store import Store
from models.ticket import Ticket, TicketState
from tests.bot_driver import answered, answers, click, messages, on_sandbox, open_shop, panel_message, settled
from tests.conftest import GUILD, ROOT, worker_env
from tests.waiting import eventually


async def shop_with_channels(sandbox, world, store, settings, cipher):
    """The README's setup: panel in #shop, a ticket category, log, transcript and testimonial
    channels; the bot holds exactly the README's permissions (the `world` fixture)."""
    category, product = await open_shop(sandbox, world, store, settings, cipher)
    s, guild = sandbox.server, world["guild"]
    log, transcripts, testimonials = on_sandbox(
        sandbox, lambda: [s.add_channel(guild, name) for name in ("store-log", "transcripts", "testimoni")]
    )
    await Store.get_pymongo_collection().update_one(
        {"guild_id": store.guild_id},
        {
            "$set": {
                "log_channel_id": log.id,
                "transcript_channel_id": transcripts.id,
                "testimonial_channel_id": testimonials.id,
            }
        },
    )
    return {"category": category, "product": product, "log": log, "transcripts": transcripts}


def forget_manage_channels(sandbox, world) -> None:
    """The seller unticked Manage Channels on the bot's role."""

    def untick():
        role = next(r for r in world["guild"].roles.values() if r.name == "bot")
        role.permissions &= ~MANAGE_CHANNELS

    on_sandbox(sandbox, untick)


def run_cli(settings, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workers.setup_check", "--guild", str(GUILD), *arguments],
        cwd=ROOT,
        env=worker_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_with_the_readme_permissions_the_check_finds_nothing_to_fix(
    sandbox, world, store, cipher, settings
):
    await shop_with_channels(sandbox, world, store, settings, cipher)

    done = run_cli(settings)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "Semua sudah siap: bot bisa melakukan semua yang dibutuhkan toko."
    assert [line[0] for line in lines[1:]] == ["✅"] * 5
    assert "Panel produk — #shop" in done.stdout and "Channel transkrip — #transcripts" in done.stdout
    assert str(world["shop"].id) not in done.stdout  # names, never raw ids


async def test_a_staff_only_transcript_channel_is_named_with_its_fix(sandbox, world, store, cipher, settings):
    shop = await shop_with_channels(sandbox, world, store, settings, cipher)
    s, guild = sandbox.server, world["guild"]
    # The seller made #transcripts staff-only and forgot the bot; the log channel was deleted;
    # the testimonial channel chosen is another server's.
    other_guild_channel = on_sandbox(
        sandbox,
        lambda: (
            shop["transcripts"].overwrites.append(Overwrite(guild.id, 0, deny=VIEW_CHANNEL)),
            s.channels.pop(shop["log"].id),
            s.add_channel(s.add_guild("Toko Lain", world["stranger"]), "testi"),
        )[2],
    )
    await Store.get_pymongo_collection().update_one(
        {"guild_id": store.guild_id}, {"$set": {"testimonial_channel_id": other_guild_channel.id}}
    )

    done = run_cli(settings)

    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[0] == "Ada 3 hal yang perlu diperbaiki:"
    assert (
        "❌ Channel transkrip — #transcripts: bot tidak bisa View Channel, Send Messages, Embed Links, "
        "Attach Files. Tambahkan bot ke #transcripts (Edit Channel → Permissions → tambah bot: "
        "View Channel, Send Messages, Embed Links, Attach Files)." in done.stdout
    )
    assert "❌ Channel log: channel yang diatur sudah tidak ada." in done.stdout
    assert "❌ Channel testimoni: channel yang diatur ada di server lain." in done.stdout
    assert "✅ Panel produk — #shop" in done.stdout

    english = run_cli(settings, "--locale", "en")
    assert (
        "Add the bot to #transcripts (Edit Channel → Permissions → add the bot: View Channel"
        in english.stdout
    )


async def test_a_seller_who_forgot_manage_channels_sees_it_in_the_slash_command(
    sandbox, world, store, cipher, settings, start_bot
):
    await shop_with_channels(sandbox, world, store, settings, cipher)
    forget_manage_channels(sandbox, world)
    start_bot()
    s = sandbox.server

    async def registered():
        return on_sandbox(sandbox, lambda: s.commands.get(world["bot"].id))

    await eventually(registered, "the bot's slash commands")
    shop = world["shop"]
    refused = on_sandbox(sandbox, lambda: s.run_command(world["buyer"], shop, "setup-check"))
    await eventually(answered(sandbox, refused), "the refusal")
    assert answers(sandbox, refused)[0].content == "Hanya penjual yang bisa menjalankan cek setup."

    ran = on_sandbox(sandbox, lambda: s.run_command(world["seller"], shop, "setup-check"))
    await eventually(answered(sandbox, ran), "the seller's report")
    answer = answers(sandbox, ran)[0]
    assert answer.flags & 64  # ephemeral: only the seller sees it
    assert answer.content == "Ada 1 hal yang perlu diperbaiki:"
    report = answer.embeds[0]["description"]
    assert (
        "❌ Kategori tiket — tickets: bot tidak bisa Manage Channels. Aktifkan Manage Channels untuk role "
        "bot (Server Settings → Roles → bot → Permissions)." in report
    )
    assert "✅ Channel transkrip — #transcripts" in report


async def test_without_manage_channels_buy_says_the_shop_cannot_open_a_ticket_and_tells_the_seller(
    sandbox, world, store, cipher, settings, start_worker, start_bot
):
    shop = await shop_with_channels(sandbox, world, store, settings, cipher)
    forget_manage_channels(sandbox, world)
    start_worker()  # it makes the ticket channels (and finds it cannot)
    start_bot()
    panel = await panel_message(sandbox, world)

    clicked = click(sandbox, world["buyer"], world["shop"].id, panel.id, "buy_btn")

    await eventually(settled(sandbox, clicked), "the answer to Buy")
    assert [m.content for m in answers(sandbox, clicked)] == [
        "Toko belum bisa membuka tiket saat ini; penjual sudah diberi tahu. Tidak ada yang ditagih."
    ]
    ticket = await Ticket.find_one({"guild_id": store.guild_id})
    assert ticket.state is TicketState.CLOSED and ticket.channel_id is None
    assert await StockItem.find({"product_id": shop["product"].id, "status": "available"}).count() == 1

    async def alert():
        return [m for m in await messages(sandbox, shop["log"].id) if "menekan Beli" in m.content]

    told = (await eventually(alert, "the seller's alert in the log channel"))[0].content
    assert f"<@{world['buyer'].id}> menekan Beli" in told and f"tiket #{ticket.number} dibatalkan" in told
    assert "Kategori tiket — tickets: bot tidak bisa Manage Channels. Aktifkan Manage Channels" in told


async def test_the_readme_invites_the_bot_with_the_permissions_and_intents_the_store_uses(tmp_path):
    from bot.app import build
    from workflows.discord_permissions import REQUIRED

    readme = (ROOT / "README.md").read_text()
    setup = readme[readme.index("## Setting up a real Discord application") :]
    assert f"**{int(REQUIRED)}**" in setup and "/setup-check" in setup
    intents = build(tmp_path).intents
    # The one privileged intent the README asks a seller to enable (MESSAGE_CONTENT), no other.
    assert intents.message_content and not intents.members and not intents.presences


def test_a_category_where_the_bot_cannot_grant_what_ticket_channels_carry_is_reported():
    """Discord lets the bot put on a new channel only permissions it has in the category: a
    category that denies the bot's role Read Message History breaks every ticket's overwrites."""
    from models.store import PanelSettings, TicketSettings
    from workflows.discord_permissions import REQUIRED
    from workflows.setup_check import check

    guild = {
        "id": "1",
        "owner_id": "2",
        "roles": [
            {"id": "1", "name": "@everyone", "permissions": str(VIEW_CHANNEL), "position": 0},
            {"id": "5", "name": "Toko Bot", "permissions": str(int(REQUIRED)), "position": 1},
        ],
    }
    bot = {"user": {"id": "7"}, "roles": ["5"]}
    history = 1 << 16
    category = {
        "id": "11",
        "name": "tiket",
        "type": 4,
        "permission_overwrites": [{"id": "5", "type": 0, "allow": "0", "deny": str(history)}],
    }
    store = Store.model_construct(
        guild_id=1, tickets=TicketSettings(category_ids=[11]), panel=PanelSettings()
    )

    report = check(store, guild, bot, [category])

    assert not report.ok
    assert report.findings[1].line("id") == (
        "❌ Kategori tiket — tiket: bot tidak bisa Read Message History. Tambahkan bot ke kategori tiket "
        "(Edit Category → Permissions → tambah bot: Read Message History)."
    )
