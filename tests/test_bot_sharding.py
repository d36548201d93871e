"""Two bot processes split four gateway shards (STORE_DISCORD_SHARD_COUNT=4, one process with
STORE_DISCORD_SHARD_IDS=0,1, the other 2,3), and a buyer in a guild of each completes a purchase.

Discord sends a guild's events only to shard `(guild_id >> 22) % 4` (events/gateway.mdx
"Sharding"), and the sandbox does the same: a click is seen by the one process that owns the
guild, and each process keeps only its own guilds' panels current. Were the processes not
sharded, both would get every click and both would post every panel.
"""

from __future__ import annotations

import subprocess

import pytest
from pydantic import SecretStr

from models.payment_method import PaymentKind
from models.settings import Settings, SettingsError
from models.store import Store
from models.ticket import Ticket
from tests.bot_driver import answered, answers, click, messages, on_sandbox, responded, settled, submit
from tests.conftest import bot_process, worker_env
from tests.waiting import eventually
from workflows import payment_methods, products, stock
from workflows.discord_permissions import REQUIRED

SHARDS = 4
# (guild_id >> 22) % 4: the first guild is on shard 0 (first process), the second on shard 3.
GUILD_A = (300_000_000_000 << 22) + 1
GUILD_B = (300_000_000_003 << 22) + 1


def two_guilds(sandbox) -> dict:
    """One bot in two guilds, each with its seller, its buyer, a shop and a ticket category."""
    s = sandbox.server

    def build():
        bot, token = s.add_bot()
        guilds = {}
        for name, guild_id in (("a", GUILD_A), ("b", GUILD_B)):
            seller, buyer = s.add_user(f"seller-{name}"), s.add_user(f"budi-{name}")
            guild = s.add_guild(f"Toko {name.upper()}", seller, guild_id=guild_id)
            s.add_member(guild, bot, [s.add_role(guild, "bot", int(REQUIRED)).id])
            s.add_member(guild, buyer)
            guilds[name] = {
                "guild": guild,
                "seller": seller,
                "buyer": buyer,
                "shop": s.add_channel(guild, "shop"),
                "category": s.add_channel(guild, "tickets", type_=4),
            }
        return {"bot": bot, "token": token, "guilds": guilds}

    return sandbox.call(build)


async def open_store(place: dict, cipher, key: str) -> None:
    guild_id = place["guild"].id
    await products.open_store(
        guild_id,
        name=f"Toko {guild_id}",
        tickets={"category_ids": [place["category"].id], "cooldown_s": 0},
        panel={"channel_id": place["shop"].id},
    )
    product = await products.create_product(guild_id, name="Netflix 1 Bulan", price=50_000)
    await stock.add_items(product, [key], cipher)
    await payment_methods.add_method(
        guild_id, PaymentKind.BANK, "BCA", {"account_number": "1234567890", "account_name": "Toko"}
    )


async def panels(sandbox, place: dict) -> list:
    return [m for m in await messages(sandbox, place["shop"].id) if m.embeds and m.author.bot]


async def buy_pay_and_receive(sandbox, place: dict, key: str) -> None:
    """The buyer clicks Buy, picks BCA, reports the payment; the seller verifies; the key
    arrives in the buyer's DMs. Every click is answered once, by the guild's own process."""
    buyer, seller, guild_id = place["buyer"], place["seller"], place["guild"].id
    panel = (await eventually(lambda: panels(sandbox, place), f"the panel of guild {guild_id}", within=40))[0]
    clicked = click(sandbox, buyer, place["shop"].id, panel.id, "buy_btn")

    async def ticket_open():
        return await Ticket.find_one({"guild_id": guild_id, "channel_id": {"$ne": None}})

    ticket = await eventually(ticket_open, f"a ticket with its channel in guild {guild_id}")
    assert clicked.response_type == 5 and not clicked.late
    await eventually(settled(sandbox, clicked), "the answer with the channel link")
    link = f"Tiket Anda sudah dibuka: <#{ticket.channel_id}>"
    assert [m.content for m in answers(sandbox, clicked)] == [link]

    async def instructions():
        return [m for m in await messages(sandbox, ticket.channel_id) if "paid:" in str(m.components)]

    opening = (await eventually(instructions, "the purchase instructions"))[0]
    methods = click(sandbox, buyer, ticket.channel_id, opening.id, f"methods:{ticket.id}")
    await eventually(answered(sandbox, methods), "the payment method menu")
    menu = answers(sandbox, methods)[0]
    option = menu.components[0]["components"][0]["options"][0]
    bca = [option["value"]]
    chosen = click(sandbox, buyer, ticket.channel_id, menu.id, f"method:{ticket.id}", values=bca)
    await eventually(answered(sandbox, chosen), "the chosen method's instructions")
    paid = click(sandbox, buyer, ticket.channel_id, opening.id, f"paid:{ticket.id}")
    await eventually(responded(paid), "the payment modal")
    submit(sandbox, buyer, ticket.channel_id, f"report:{ticket.id}", {"reference": "BCA a.n. BUDI"})

    async def verify_request():
        found = await messages(sandbox, ticket.channel_id)
        return [m for m in found if f"verify:{ticket.id}" in str(m.components)]

    request = (await eventually(verify_request, "sellers asked to verify"))[0]
    click(sandbox, seller, ticket.channel_id, request.id, f"verify:{ticket.id}")

    async def delivered():
        s = sandbox.server
        return on_sandbox(
            sandbox,
            lambda: [
                m
                for c in s.channels.values()
                if c.type == 1 and c.recipient_id == buyer.id
                for m in s.messages[c.id].values()
                if key in m.content
            ],
        )

    await eventually(delivered, f"the key in the DMs of guild {guild_id}'s buyer")
    assert await Ticket.find({"guild_id": guild_id}).count() == 1


async def test_two_bot_processes_each_owning_two_of_four_shards_sell_in_their_own_guilds(
    sandbox, settings, db, cipher, start_worker, tmp_path
):
    world = two_guilds(sandbox)
    settings.discord_token = SecretStr(world["token"])
    settings.discord_api_base_url = sandbox.api_base
    a, b = world["guilds"]["a"], world["guilds"]["b"]
    await open_store(a, cipher, "KEY-OF-GUILD-A")
    await open_store(b, cipher, "KEY-OF-GUILD-B")
    start_worker()
    bots: list[subprocess.Popen[bytes]] = []
    logs = {ids: tmp_path / f"bot-shards-{ids.replace(',', '-')}.log" for ids in ("0,1", "2,3")}
    try:
        for ids, log in logs.items():
            env = {**worker_env(settings), "STORE_DISCORD_SHARD_COUNT": str(SHARDS)}
            env["STORE_DISCORD_SHARD_IDS"] = ids
            bots.append(bot_process(env, log.open("wb")))

        # Four gateway connections, one per shard, two from each process; each process is in
        # the one guild its shards own.
        async def four_shards():
            shards = on_sandbox(sandbox, lambda: sorted(sandbox.server.session_shards.values()))
            return shards == [(n, SHARDS) for n in range(SHARDS)]

        async def both_ready():
            return all("in 1 guilds" in log.read_text() for log in logs.values())

        # Discord admits one IDENTIFY per 5 s (max_concurrency 1): four shards take 15 s at least.
        await eventually(four_shards, "four shards connected", within=120)
        await eventually(both_ready, "both bots ready", within=40)
        assert "shards [0, 1]" in logs["0,1"].read_text() and "shards [2, 3]" in logs["2,3"].read_text()

        await buy_pay_and_receive(sandbox, a, "KEY-OF-GUILD-A")
        await buy_pay_and_receive(sandbox, b, "KEY-OF-GUILD-B")
        # Each panel was posted by its own process alone: one panel per shop.
        assert len(await panels(sandbox, a)) == 1 and len(await panels(sandbox, b)) == 1
    finally:
        for process in bots:
            process.terminate()
        for process in bots:
            process.wait(20)


async def test_a_bot_process_leaves_the_panels_of_other_shards_guilds_alone(
    sandbox, settings, db, cipher, tmp_path
):
    """Only the process for shards 0 and 1 runs: guild A (shard 0) gets its panel, kept current;
    guild B (shard 3) gets none until a process for its shard runs."""
    world = two_guilds(sandbox)
    settings.discord_token = SecretStr(world["token"])
    settings.discord_api_base_url = sandbox.api_base
    a, b = world["guilds"]["a"], world["guilds"]["b"]
    await open_store(a, cipher, "KEY-OF-GUILD-A")
    await open_store(b, cipher, "KEY-OF-GUILD-B")
    env = {**worker_env(settings), "STORE_DISCORD_SHARD_COUNT": str(SHARDS), "STORE_DISCORD_SHARD_IDS": "0,1"}
    process = bot_process(env, (tmp_path / "bot.log").open("wb"))
    try:
        await eventually(lambda: panels(sandbox, a), "guild A's panel", within=40)
        # A later change is shown too, so the pass that first read every store is over.
        stores = Store.get_pymongo_collection()
        await stores.update_one({"guild_id": GUILD_A}, {"$set": {"panel.title": "BARU"}})

        async def retitled():
            return [p for p in await panels(sandbox, a) if p.embeds[0].get("title") == "BARU"]

        await eventually(retitled, "guild A's panel with its new title")
        assert await panels(sandbox, b) == []
    finally:
        process.terminate()
        process.wait(20)


def test_shard_settings_that_disagree_stop_the_bot_naming_the_variable():
    assert Settings(discord_shard_count=4, discord_shard_ids="2, 3").shard_plan() == (4, [2, 3])
    assert Settings(discord_shard_count=2).shard_plan() == (2, [0, 1])
    assert Settings().shard_plan() is None
    for wrong in (Settings(discord_shard_count=4, discord_shard_ids="4"), Settings(discord_shard_ids="1")):
        with pytest.raises(SettingsError, match="STORE_DISCORD_SHARD_IDS"):
            wrong.shard_plan()
