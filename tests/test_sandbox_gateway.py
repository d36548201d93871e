"""The sandbox's gateway checks a bot's intents as Discord does (events/gateway.mdx "Gateway
Intents"), with real py-cord bots and raw websockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp
import discord
import pytest

from discord_sandbox import intents as gateway
from tests.waiting import eventually


@contextlib.asynccontextmanager
async def running_bot(sandbox, token: str, intents: discord.Intents):
    discord.http.Route.API_BASE_URL = sandbox.api_base
    bot = discord.Bot(intents=intents)
    bot.seen: list[discord.Message] = []  # type: ignore[misc]
    ready = asyncio.Event()

    async def on_ready() -> None:
        ready.set()

    async def on_message(message: discord.Message) -> None:
        bot.seen.append(message)

    bot.add_listener(on_ready, "on_ready")
    bot.add_listener(on_message, "on_message")
    task = asyncio.create_task(bot.start(token))
    readiness = asyncio.create_task(ready.wait())
    await asyncio.wait({task, readiness}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        readiness.cancel()
        await bot.close()
        task.result()  # what stopped the bot before it was ready (e.g. a 4014 close)
    assert ready.is_set(), "the bot did not get ready within 20 s"
    try:
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(RuntimeError, asyncio.CancelledError):  # pitfall 7
            await task


async def identify(sandbox, token: str, **fields: Any) -> tuple[int | None, list[dict[str, Any]]]:
    """IDENTIFY on a raw websocket: the close code (None if it stayed open) and the dispatches
    received up to READY and a GUILD_CREATE for each guild READY listed."""
    events: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{sandbox.base_url.replace('http', 'ws')}/gateway/ws") as ws:
            hello = await ws.receive_json()
            assert hello["op"] == 10
            await ws.send_json({"op": 2, "d": {"token": token, "properties": {}, **fields}})
            async for frame in ws:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    break
                events.append(json.loads(frame.data))
                ready = next((e["d"] for e in events if e.get("t") == "READY"), None)
                created = sum(e.get("t") == "GUILD_CREATE" for e in events)
                if ready is not None and created == len(ready["guilds"]):
                    return None, events
            return ws.close_code, events


async def control(sandbox, path: str, body: dict[str, Any]) -> Any:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sandbox.base_url}/_sandbox/{path}", json=body) as response:
            assert response.status == 200, await response.text()
            return await response.json()


async def test_a_bot_asking_for_the_members_intent_its_app_lacks_is_refused(sandbox, world):
    intents = discord.Intents.default()
    intents.members = True
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running_bot(sandbox, world["token"], intents):
            pass


async def test_identify_without_valid_intents_is_closed_4013_and_a_disallowed_one_4014(sandbox, world):
    token = world["token"]
    assert (await identify(sandbox, token))[0] == 4013  # intents are required on API v10
    assert (await identify(sandbox, token, intents="513"))[0] == 4013
    assert (await identify(sandbox, token, intents=1 << 30))[0] == 4013
    assert (await identify(sandbox, token, intents=gateway.GUILDS | gateway.GUILD_PRESENCES))[0] == 4014
    code, events = await identify(sandbox, token, intents=gateway.GUILDS | gateway.MESSAGE_CONTENT)
    assert code is None
    ready = next(e["d"] for e in events if e.get("t") == "READY")
    # The test world's app enabled MESSAGE_CONTENT only, as the README tells sellers to.
    assert ready["application"]["flags"] == gateway.GATEWAY_MESSAGE_CONTENT_LIMITED


async def test_an_app_with_the_members_intent_enabled_may_ask_for_it(sandbox, world):
    _, token = sandbox.call(
        lambda: sandbox.server.add_bot("Members Bot", gateway.GUILD_MEMBERS | gateway.MESSAGE_CONTENT)
    )
    code, events = await identify(sandbox, token, intents=gateway.GUILDS | gateway.GUILD_MEMBERS)
    assert code is None
    flags = next(e["d"] for e in events if e.get("t") == "READY")["application"]["flags"]
    assert flags == gateway.GATEWAY_GUILD_MEMBERS_LIMITED | gateway.GATEWAY_MESSAGE_CONTENT_LIMITED


async def test_without_the_presences_intent_the_guild_lists_only_the_bot_as_member(sandbox, world):
    _, events = await identify(sandbox, world["token"], intents=gateway.GUILDS)
    guild = next(e["d"] for e in events if e.get("t") == "GUILD_CREATE")
    assert [m["user"]["id"] for m in guild["members"]] == [str(world["bot"].id)]
    assert guild["member_count"] == 4

    _, token = sandbox.call(lambda: sandbox.server.add_bot("Presence Bot", gateway.GUILD_PRESENCES))
    presence_bot = sandbox.server.users[int(token.split(".")[1])]
    sandbox.call(lambda: sandbox.server.add_member(world["guild"], presence_bot))
    _, events = await identify(sandbox, token, intents=gateway.GUILDS | gateway.GUILD_PRESENCES)
    guild = next(e["d"] for e in events if e.get("t") == "GUILD_CREATE")
    assert str(world["buyer"].id) in {m["user"]["id"] for m in guild["members"]}


async def test_without_message_content_a_bot_reads_only_its_dms_mentions_and_own_messages(sandbox, world):
    buyer, shop = world["buyer"], world["shop"]
    async with running_bot(sandbox, world["token"], discord.Intents.default()) as bot:
        dm = await (await bot.fetch_user(buyer.id)).create_dm()
        own = await bot.get_channel(shop.id).send("panel")
        for channel_id, content in (
            (shop.id, "how much is netflix?"),
            (shop.id, f"<@{world['bot'].id}> help"),
            (dm.id, "my order?"),
        ):
            await control(
                sandbox, "send", {"user_id": str(buyer.id), "channel_id": str(channel_id), "content": content}
            )

        async def four_messages():
            return len(bot.seen) >= 4 and bot.seen

        seen = {m.id: m.content for m in await eventually(four_messages, "the bot's messages")}
    assert seen.pop(own.id) == "panel"
    assert sorted(seen.values()) == ["", f"<@{world['bot'].id}> help", "my order?"]


async def test_with_message_content_a_bot_reads_what_buyers_write(sandbox, world):
    intents = discord.Intents.default()
    intents.message_content = True
    async with running_bot(sandbox, world["token"], intents) as bot:
        body = {"user_id": str(world["buyer"].id), "channel_id": str(world["shop"].id), "content": "halo"}
        await control(sandbox, "send", body)

        async def the_message():
            return bot.seen

        assert [m.content for m in await eventually(the_message, "the buyer's message")] == ["halo"]
