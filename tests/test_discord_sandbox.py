"""The Discord sandbox behaves like Discord where our users would feel it, driven by a real,
unmodified py-cord bot over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import signal
import subprocess
import sys
import time

import aiohttp
import discord
import pytest

from discord_sandbox.state import DiscordError
from tests.conftest import ROOT
from tests.waiting import eventually
from workflows.discord_permissions import REQUIRED


class Clicked(discord.ui.View):
    def __init__(self, slow: float = 0) -> None:
        super().__init__(timeout=None)
        self.slow = slow
        self.results: list[str] = []

    @discord.ui.button(label="Buy", custom_id="buy_btn", style=discord.ButtonStyle.success)
    async def buy(self, button: discord.ui.Button, interaction: discord.Interaction) -> None:
        if self.slow:
            await asyncio.sleep(self.slow)  # a handler doing slow work before answering
        try:
            await interaction.response.send_message(f"hello {interaction.user.name}", ephemeral=True)
            self.results.append("answered")
        except discord.NotFound as error:
            self.results.append(f"late:{error.code}")


@contextlib.asynccontextmanager
async def running_bot(sandbox, token):
    discord.http.Route.API_BASE_URL = sandbox.api_base
    bot = discord.Bot(intents=discord.Intents.default())
    ready = asyncio.Event()

    async def on_ready() -> None:
        ready.set()

    bot.add_listener(on_ready, "on_ready")
    task = asyncio.create_task(bot.start(token))
    await asyncio.wait_for(ready.wait(), 20)
    try:
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(RuntimeError, asyncio.CancelledError):  # pitfall 7
            await task


async def _buyer_clicks_buy(sandbox, world, message) -> int:
    """The buyer clicks Buy through the sandbox's HTTP control API; returns its status."""
    body = {
        "user_id": str(world["buyer"].id),
        "channel_id": str(world["shop"].id),
        "message_id": str(message.id),
        "custom_id": "buy_btn",
    }
    status, _ = await _control(sandbox, "click", body)
    return status


def _filled(results):
    async def probe():
        return results

    return probe


async def _control(sandbox, path, body):
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sandbox.base_url}/_sandbox/{path}", json=body) as response:
            return response.status, await response.json()


async def test_a_pycord_bot_logs_in_and_sees_its_guild(sandbox, world):
    async with running_bot(sandbox, world["token"]) as bot:
        guild = bot.get_guild(world["guild"].id)
        assert guild is not None and guild.name == "Toko"
        assert {c.name for c in guild.text_channels} == {"shop", "ticket-budi"}
        assert bot.user.id == world["bot"].id


async def test_a_click_on_a_button_reaches_the_bot_and_its_answer_is_ephemeral(sandbox, world):
    async with running_bot(sandbox, world["token"]) as bot:
        view = Clicked()
        message = await bot.get_channel(world["shop"].id).send("panel", view=view)
        status = await _buyer_clicks_buy(sandbox, world, message)
        assert status == 200
        await eventually(_filled(view.results), "the bot's answer")
        assert view.results == ["answered"]
        answers = [m for m in sandbox.server.messages[world["shop"].id].values() if m.content == "hello budi"]
        assert len(answers) == 1 and answers[0].flags & 64  # ephemeral


async def test_an_answer_after_the_deadline_fails_like_on_discord(sandbox, world):
    sandbox.server.interaction_deadline_s = 0.2
    async with running_bot(sandbox, world["token"]) as bot:
        view = Clicked(slow=0.4)
        message = await bot.get_channel(world["shop"].id).send("panel", view=view)
        await _buyer_clicks_buy(sandbox, world, message)
        await eventually(_filled(view.results), "the bot's answer")
        assert view.results == ["late:10062"]


async def test_a_buyer_with_closed_dms_cannot_be_messaged(sandbox, world):
    async with running_bot(sandbox, world["token"]) as bot:
        await _control(sandbox, "dms", {"user_id": str(world["buyer"].id), "open": False})
        user = await bot.fetch_user(world["buyer"].id)
        with pytest.raises(discord.Forbidden) as refusal:
            await user.send("your key")
        assert refusal.value.code == 50007
        await _control(sandbox, "dms", {"user_id": str(world["buyer"].id), "open": True})
        sent = await user.send("your key")
        assert sent.content == "your key"


async def test_a_stranger_cannot_read_or_post_in_a_private_ticket(sandbox, world):
    status, body = await _control(
        sandbox,
        "send",
        {"user_id": str(world["stranger"].id), "channel_id": str(world["private"].id), "content": "hi"},
    )
    assert status == 403 and body["code"] == 50001
    status, _ = await _control(
        sandbox,
        "send",
        {"user_id": str(world["buyer"].id), "channel_id": str(world["private"].id), "content": "hi"},
    )
    assert status == 200


async def test_rest_rate_limits_answer_429_with_discord_headers(sandbox, world):
    headers = {"Authorization": f"Bot {world['token']}"}
    async with aiohttp.ClientSession() as http:
        statuses, limited = [], None
        for _ in range(60):
            async with http.get(f"{sandbox.api_base}/users/@me", headers=headers) as response:
                statuses.append(response.status)
                if response.status == 429:
                    limited = (dict(response.headers), await response.json())
    assert statuses.count(200) == 50 and statuses.count(429) == 10
    assert limited[0]["Via"] and float(limited[0]["Retry-After"]) > 0 and limited[1]["global"] is True


async def test_message_edits_in_one_channel_are_limited_to_five_per_five_seconds(sandbox, world):
    headers = {"Authorization": f"Bot {world['token']}"}
    base = f"{sandbox.api_base}/channels/{world['shop'].id}/messages"
    async with aiohttp.ClientSession() as http:
        async with http.post(base, headers=headers, json={"content": "panel"}) as response:
            message_id = (await response.json())["id"]
        statuses = []
        for n in range(7):
            async with http.patch(
                f"{base}/{message_id}", headers=headers, json={"content": f"v{n}"}
            ) as response:
                statuses.append((response.status, response.headers.get("X-RateLimit-Remaining")))
    assert [s for s, _ in statuses] == [200] * 5 + [429] * 2
    assert statuses[4][1] == "0"


def test_a_category_holds_at_most_fifty_channels(sandbox, world):
    s = sandbox.server

    def fill():
        category = s.add_channel(world["guild"], "tickets", type_=4)
        for n in range(50):
            s.add_channel(world["guild"], f"ticket-{n}", parent_id=category.id)
        try:
            s.add_channel(world["guild"], "ticket-51", parent_id=category.id)
        except DiscordError as error:
            return error.code
        return None

    assert sandbox.call(fill) == 50035


async def test_embeds_over_discords_limits_are_refused(sandbox, world):
    headers = {"Authorization": f"Bot {world['token']}"}
    embed = {
        "title": "DIGITAL PRODUCT STORE",
        "fields": [{"name": f"P{n}", "value": "Rp 1"} for n in range(26)],
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{sandbox.api_base}/channels/{world['shop'].id}/messages",
            headers=headers,
            json={"embeds": [embed]},
        ) as response:
            assert response.status == 400 and (await response.json())["code"] == 50035


async def test_oauth2_login_gives_the_user_and_their_guilds(sandbox, world):
    redirect = "http://127.0.0.1:9/auth/callback"
    sandbox.call(lambda: sandbox.server.add_oauth_app("client-1", "s3cret", redirect))
    base = sandbox.base_url
    query = f"client_id=client-1&redirect_uri={redirect}&response_type=code&scope=identify+guilds&state=xyz"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/oauth2/authorize?{query}") as page:
            assert f"login-{world['seller'].id}" in await page.text()
        login = f"{base}/oauth2/authorize?{query}&login_as={world['seller'].id}"
        async with http.get(login, allow_redirects=False) as consent:
            location = consent.headers["Location"]
        assert location.startswith(redirect) and location.endswith("&state=xyz")
        code = location.split("code=")[1].split("&")[0]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "client_id": "client-1",
            "client_secret": "s3cret",
        }
        async with http.post(f"{sandbox.api_base}/oauth2/token", data=form) as response:
            token = (await response.json())["access_token"]
        async with http.post(f"{sandbox.api_base}/oauth2/token", data=form) as reused:
            assert reused.status == 400 and (await reused.json())["error"] == "invalid_grant"
        async with http.post(
            f"{sandbox.api_base}/oauth2/token", data={**form, "client_secret": "no"}
        ) as forged:
            assert forged.status == 401
        headers = {"Authorization": f"Bearer {token}"}
        async with http.get(f"{sandbox.api_base}/users/@me", headers=headers) as me:
            assert (await me.json())["username"] == "seller"
        async with http.get(f"{sandbox.api_base}/users/@me/guilds", headers=headers) as guilds:
            listed = await guilds.json()
    assert [g["name"] for g in listed] == ["Toko"] and listed[0]["owner"] is True
    assert int(listed[0]["permissions"]) & 0x20  # Manage Server


async def test_an_ephemeral_answer_names_who_it_is_for_and_an_embed_shows_its_attached_image(sandbox, world):
    """resources/message.mdx "Message Interaction Metadata Object": the answer says whose click
    it answers (a client shows an ephemeral one to them only); reference.mdx "Uploading Files":
    an embed's `attachment://name` comes back as the attachment's own URL, which serves it."""
    png = b"\x89PNG\r\n\x1a\n" + b"qris" * 10

    class Qris(discord.ui.View):
        def __init__(self) -> None:
            super().__init__(timeout=None)
            self.done = False

        @discord.ui.button(label="Pay", custom_id="pay_btn")
        async def pay(self, button: discord.ui.Button, interaction: discord.Interaction) -> None:
            embed = discord.Embed(title="QRIS").set_image(url="attachment://qris.png")
            file = discord.File(io.BytesIO(png), filename="qris.png")
            await interaction.response.send_message(embed=embed, file=file, ephemeral=True)
            self.done = True

    async with running_bot(sandbox, world["token"]) as bot:
        view = Qris()
        message = await bot.get_channel(world["shop"].id).send("panel", view=view)
        body = {
            "user_id": str(world["buyer"].id),
            "channel_id": str(world["shop"].id),
            "message_id": str(message.id),
            "custom_id": "pay_btn",
        }
        assert (await _control(sandbox, "click", body))[0] == 200
        await eventually(lambda: _filled([view.done] if view.done else [])(), "the bot's answer")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox.base_url}/_sandbox/channels/{world['shop'].id}/messages") as listed:
            answer = next(m for m in await listed.json() if m["embeds"])
        assert answer["flags"] & 64
        assert answer["interaction_metadata"]["user"]["id"] == str(world["buyer"].id)
        assert answer["interaction_metadata"]["interacted_message_id"] == str(message.id)
        image = answer["embeds"][0]["image"]["url"]
        assert image.startswith(f"{sandbox.base_url}/attachments/")
        async with http.get(image) as served:
            assert served.status == 200 and await served.read() == png


def _demo(tmp_path, state_file):
    """`python -m discord_sandbox.demo` as `./store run` starts it; its world once it listens."""
    ready = tmp_path / f"ready-{time.time_ns()}.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "discord_sandbox.demo",
            "--ready-file",
            str(ready),
            "--public-url",
            "http://127.0.0.1:1",
            "--bot-permissions",
            str(int(REQUIRED)),
            "--state-file",
            str(state_file),
        ],
        cwd=ROOT,
    )
    deadline = time.monotonic() + 30
    while not (ready.exists() and ready.read_text()):
        assert process.poll() is None and time.monotonic() < deadline, "the demo sandbox did not start"
        time.sleep(0.1)
    return process, json.loads(ready.read_text())


async def test_the_demo_sandbox_remembers_its_channels_dms_and_messages_across_a_restart(tmp_path):
    state_file = tmp_path / "sandbox-world.json"
    process, world = _demo(tmp_path, state_file)
    png = b"\x89PNG\r\n\x1a\n" + b"kept" * 10
    bot = {"Authorization": f"Bot {world['token']}"}
    try:
        async with aiohttp.ClientSession(headers=bot) as http:
            api = world["api_base"]
            async with http.post(
                f"{api}/guilds/{world['guild_id']}/channels", json={"name": "ticket-1-budi", "type": 0}
            ) as made:
                ticket = await made.json()
            buyer = {"recipient_id": str(world["buyer_id"])}
            async with http.post(f"{api}/users/@me/channels", json=buyer) as dm:
                dm_channel = await dm.json()
            form = aiohttp.FormData()
            form.add_field(
                "payload_json",
                json.dumps({"content": "Kode Anda", "embeds": [{"image": {"url": "attachment://key.png"}}]}),
            )
            form.add_field("files[0]", png, filename="key.png", content_type="image/png")
            async with http.post(f"{api}/channels/{dm_channel['id']}/messages", data=form) as sent:
                assert sent.status == 200
        async with aiohttp.ClientSession() as http:
            says = {"user_id": str(world["buyer_id"]), "channel_id": ticket["id"], "content": "sudah bayar"}
            async with http.post(f"{world['base_url']}/_sandbox/send", json=says) as said:
                assert said.status == 200
    finally:
        process.send_signal(signal.SIGTERM)  # what Ctrl-C on `./store run` does to it
        assert process.wait(30) == 0

    process, again = _demo(tmp_path, state_file)
    try:
        assert again["token"] == world["token"] and again["guild_id"] == world["guild_id"]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{again['base_url']}/_sandbox/state") as state:
                channels = {c["id"]: c for c in (await state.json())["channels"]}
            assert channels[ticket["id"]]["name"] == "ticket-1-budi"
            assert channels[dm_channel["id"]]["recipients"][0]["username"] == "budi"
            dms = f"{again['base_url']}/_sandbox/channels/{dm_channel['id']}/messages"
            async with http.get(dms) as listed:
                [kept] = await listed.json()
            assert kept["content"] == "Kode Anda"
            async with http.get(kept["embeds"][0]["image"]["url"]) as image:
                assert await image.read() == png
            async with http.get(f"{again['base_url']}/_sandbox/channels/{ticket['id']}/messages") as listed:
                assert [m["content"] for m in await listed.json()] == ["sudah bayar"]
            # The bot's token still works: the store's bot reconnects as itself.
            async with http.get(f"{again['api_base']}/users/@me", headers=bot) as me:
                assert (await me.json())["id"] == str(world["bot_id"])
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


async def test_after_a_deferred_update_the_original_response_is_the_clicked_message(sandbox, world):
    """receiving-and-responding.mdx "Interaction Callback Type": DEFERRED_UPDATE_MESSAGE (6)
    acknowledges a click to "edit the original message later": editing @original then replaces
    the clicked message's menu (one message, its components gone), not a 404."""

    class Menu(discord.ui.View):
        def __init__(self) -> None:
            super().__init__(timeout=None)
            self.edited: list[str] = []

        @discord.ui.button(label="Pilih", custom_id="menu_btn")
        async def choose(self, button: discord.ui.Button, interaction: discord.Interaction) -> None:
            await interaction.response.defer()  # type 6 for a component
            message = await interaction.edit_original_response(content="Dipilih", view=None)
            self.edited.append(message.content)

    async with running_bot(sandbox, world["token"]) as bot:
        view = Menu()
        message = await bot.get_channel(world["shop"].id).send("Pilih satu", view=view)
        body = {
            "user_id": str(world["buyer"].id),
            "channel_id": str(world["shop"].id),
            "message_id": str(message.id),
            "custom_id": "menu_btn",
        }
        assert (await _control(sandbox, "click", body))[0] == 200
        await eventually(_filled(view.edited), "the edited menu")
    assert view.edited == ["Dipilih"]
    shown = sandbox.server.messages[world["shop"].id]
    assert [m.content for m in shown.values()] == ["Dipilih"]
    assert shown[message.id].components == []
