"""The live panel: brought up to date by changes themselves, re-posted when deleted."""

from __future__ import annotations

from bot.refresh import PanelRefresher
from models.store import Store
from tests.bot_driver import messages, on_sandbox, open_shop, panel_message
from tests.conftest import GUILD
from tests.waiting import eventually
from workflows import products, stock


def _panel_text(sandbox, world):
    async def probe():
        found = [m for m in await messages(sandbox, world["shop"].id) if m.embeds and m.author.bot]
        return found[-1].embeds[0]["fields"][0]["value"] if found else ""

    return probe


async def test_a_price_or_stock_change_reaches_the_panel_without_waiting_for_the_periodic_check(
    sandbox, world, store, cipher, settings, start_bot
):
    _, product = await open_shop(sandbox, world, store, settings, cipher, items=2)
    # An hour between periodic checks: only the change stream can bring these changes in time.
    # (Staleness itself is measured by bench/panel.py.)
    await Store.get_pymongo_collection().update_one({"guild_id": GUILD}, {"$set": {"panel.refresh_s": 3600}})
    start_bot()
    await panel_message(sandbox, world)
    read = _panel_text(sandbox, world)
    await eventually(lambda: _contains(read, "Stok: 2"), "the first panel")

    await products.update_product(GUILD, product.id, price=45_000)
    await eventually(lambda: _contains(read, "Rp 45.000"), "the new price on the panel", within=10)
    await stock.add_items(product, ["extra@mail.test:pw"], cipher)
    await eventually(lambda: _contains(read, "Stok: 3"), "the new stock on the panel", within=10)
    panels = [m for m in await messages(sandbox, world["shop"].id) if m.embeds]
    assert len(panels) == 1  # edited in place, not re-posted


async def test_a_deleted_panel_is_posted_again(sandbox, world, store, cipher, settings, start_bot):
    await open_shop(sandbox, world, store, settings, cipher)
    start_bot()
    first = await panel_message(sandbox, world)
    shop = on_sandbox(sandbox, lambda: sandbox.server.channels[world["shop"].id])
    on_sandbox(sandbox, lambda: sandbox.server.user_deletes(shop, first.id))

    async def reposted():
        return [m for m in await messages(sandbox, world["shop"].id) if m.embeds and m.id != first.id]

    assert (await eventually(reposted, "the panel posted again"))[0].embeds[0][
        "title"
    ] == "DIGITAL PRODUCT STORE"


async def _contains(probe, needle):
    return needle in await probe()


async def test_a_seller_posts_the_panel_with_a_slash_command_and_a_buyer_cannot(
    sandbox, world, store, cipher, settings, start_bot
):
    from tests.bot_driver import answered, answers

    await open_shop(sandbox, world, store, settings, cipher)
    await Store.get_pymongo_collection().update_one({"guild_id": GUILD}, {"$set": {"panel.channel_id": None}})
    start_bot()
    s = sandbox.server

    async def registered():
        return on_sandbox(sandbox, lambda: s.commands.get(world["bot"].id))

    await eventually(registered, "the bot's slash commands")
    shop = on_sandbox(sandbox, lambda: s.channels[world["shop"].id])
    refused = on_sandbox(sandbox, lambda: s.run_command(world["buyer"], shop, "panel"))
    await eventually(answered(sandbox, refused), "the refusal")
    assert "penjual" in answers(sandbox, refused)[0].content.lower()
    assert not [m for m in await messages(sandbox, shop.id) if m.embeds]

    ran = on_sandbox(sandbox, lambda: s.run_command(world["seller"], shop, "panel"))
    await eventually(answered(sandbox, ran), "the seller's confirmation")
    posted = await panel_message(sandbox, world)
    assert posted.embeds[0]["fields"][0]["name"] == "Netflix 1 Bulan"


async def test_the_refresher_reads_only_the_stores_whose_panel_is_dirty_or_due(store):
    """A bot in many guilds: each pass reads the stores it has to check, not every store."""
    others = [GUILD + n for n in range(1, 30)]
    for gid in others:
        await products.open_store(gid, name=f"Toko {gid}")
    shown_hourly = {"$set": {"panel.channel_id": 77, "panel.refresh_s": 3600}}
    await Store.get_pymongo_collection().update_many({}, shown_hourly)
    refresher = PanelRefresher(bot=None)  # type: ignore[arg-type]
    checked: list[int] = []

    async def check(store: Store) -> bool:
        checked.append(store.guild_id)
        return True

    refresher.check = check  # type: ignore[method-assign]
    database = Store.get_pymongo_collection().database
    await database.command("profile", 2)
    reads = _StoreReads(database)

    await refresher._pass()  # the first pass: every panel
    assert sorted(checked) == sorted([GUILD, *others]) and await reads.documents() == 30

    checked.clear()
    await refresher._pass()  # nothing changed, nothing due: nothing read
    assert checked == [] and await reads.documents() == 0

    refresher.edited.clear()  # (edits are spaced a second apart; none happened here)
    refresher.mark(others[3])
    await refresher._pass()
    assert checked == [others[3]] and await reads.documents() == 1


class _StoreReads:
    """Documents read from the stores since the last call, from MongoDB's profiler."""

    def __init__(self, database) -> None:  # type: ignore[no-untyped-def]
        self.database = database
        self.seen = 0

    async def documents(self) -> int:
        namespace = Store.get_pymongo_collection().full_name
        profile = self.database["system.profile"]
        total = 0
        async for op in profile.find({"ns": namespace, "op": {"$in": ["query", "getmore"]}}):
            total += op.get("nreturned", 0)
        fresh, self.seen = total - self.seen, total
        return fresh


async def test_a_panel_channel_of_another_server_gets_nothing_and_stops_no_other_panel(
    sandbox, world, store, cipher, settings, start_bot
):
    """Checked again when used: a store whose panel channel is another server's (saved before
    the save check, or written around it) posts nothing there, and the other stores' panels
    still go up in the same pass."""
    from workflows.discord_permissions import REQUIRED

    await open_shop(sandbox, world, store, settings, cipher)
    s = sandbox.server

    def other_server():
        guild = s.add_guild("Toko Lain", s.add_user("other-owner"))
        s.add_member(guild, world["bot"], [s.add_role(guild, "bot", int(REQUIRED)).id])
        return guild, s.add_channel(guild, "b-shop"), s.add_channel(guild, "b-private")

    guild_b, b_shop, b_private = on_sandbox(sandbox, other_server)
    await Store.get_pymongo_collection().update_one(
        {"guild_id": GUILD}, {"$set": {"panel.channel_id": b_private.id}}
    )
    await products.open_store(guild_b.id, name="Toko Lain", panel={"channel_id": b_shop.id})
    start_bot()

    async def b_panel():
        return [m for m in await messages(sandbox, b_shop.id) if m.embeds and m.author.bot]

    await eventually(b_panel, "the other store's own panel")
    assert await messages(sandbox, b_private.id) == []
    assert await messages(sandbox, world["shop"].id) == []
