"""The sandbox limits a bot as Discord does (topics/rate-limits.mdx), over real HTTP: what a bot
that floods a channel, a guild or people's DMs gets back, and when it may go on. Time moves
with the sandbox clock (`POST /_sandbox/clock`), never by sleeping."""

from __future__ import annotations

import dataclasses
from typing import Any

import aiohttp
import pytest

from discord_sandbox.ratelimits import RateLimits, RouteLimit

POSTS = "POST /channels/{channel_id}/messages"


class Api:
    """A bot's raw REST calls: status, headers and body of each answer."""

    def __init__(self, http: aiohttp.ClientSession, sandbox: Any, token: str | None) -> None:
        self.http, self.sandbox = http, sandbox
        self.headers = {"Authorization": f"Bot {token}"} if token else {}

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
        url = f"{self.sandbox.api_base}{path}"
        async with self.http.request(method, url, headers=self.headers, json=body) as response:
            text = await response.text()
            data: Any = text
            if response.content_type == "application/json" and text:
                data = await response.json()
            return response.status, dict(response.headers), data

    async def post(self, channel_id: int, content: str, **extra: Any) -> tuple[int, dict[str, str], Any]:
        return await self.call("POST", f"/channels/{channel_id}/messages", {"content": content, **extra})


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def bot_api(http, sandbox, world):
    return Api(http, sandbox, world["token"])


async def advance(http: aiohttp.ClientSession, sandbox: Any, seconds: float) -> None:
    async with http.post(f"{sandbox.base_url}/_sandbox/clock", json={"advance_s": seconds}) as response:
        assert response.status == 200


async def state(http: aiohttp.ClientSession, sandbox: Any) -> dict[str, Any]:
    async with http.get(f"{sandbox.base_url}/_sandbox/state") as response:
        return await response.json()


async def test_the_clock_only_moves_forward(http, sandbox):
    async with http.post(f"{sandbox.base_url}/_sandbox/clock", json={"advance_s": 600}) as response:
        assert response.status == 200 and (await response.json())["offset_s"] == 600
    for wrong in ({"advance_s": -1}, {"advance_s": "soon"}, {}, [1]):
        async with http.post(f"{sandbox.base_url}/_sandbox/clock", json=wrong) as response:
            assert response.status == 400 and (await response.json())["code"] == 50035
    async with http.post(f"{sandbox.base_url}/_sandbox/clock", data=b"{not json") as response:
        assert response.status == 400


async def test_fifty_requests_a_second_then_a_global_429(bot_api, http, sandbox):
    answers = [await bot_api.call("GET", "/users/@me") for _ in range(55)]
    assert [status for status, _, _ in answers] == [200] * 50 + [429] * 5
    _, headers, body = answers[-1]
    assert headers["X-RateLimit-Global"] == "true" and headers["X-RateLimit-Scope"] == "global"
    assert headers["Via"] and int(headers["Retry-After"]) >= 1
    assert body["global"] is True and 0 < body["retry_after"] <= 1 and body["message"]
    assert (await state(http, sandbox))["rejections_by_route"] == {"global": 5}


async def test_interaction_callbacks_are_not_bound_to_the_global_limit(bot_api, http, sandbox, world):
    sandbox.server.interaction_deadline_s = 60  # the 3 s deadline is not under test here
    _, _, panel = await bot_api.post(world["shop"].id, "panel")
    interaction = await click(http, sandbox, world, panel["id"])
    for _ in range(50):
        await bot_api.call("GET", "/users/@me")
    assert (await bot_api.call("GET", "/users/@me"))[0] == 429
    status, _, _ = await bot_api.call(
        "POST",
        f"/interactions/{interaction['id']}/{interaction['token']}/callback",
        {"type": 4, "data": {"content": "thanks", "flags": 64}},
    )
    assert status == 200


async def test_six_messages_in_five_seconds_to_one_channel_get_a_429(bot_api, http, sandbox, world):
    answers = [await bot_api.post(world["shop"].id, f"m{n}") for n in range(6)]
    assert [status for status, _, _ in answers] == [200] * 5 + [429]
    assert [h["X-RateLimit-Remaining"] for _, h, _ in answers[:5]] == ["4", "3", "2", "1", "0"]
    assert {h["X-RateLimit-Limit"] for _, h, _ in answers} == {"5"}
    assert 0 < float(answers[0][1]["X-RateLimit-Reset-After"]) <= 5
    status, headers, body = answers[5]
    assert headers["X-RateLimit-Scope"] == "user" and headers["Via"] and "X-RateLimit-Global" not in headers
    assert body["global"] is False and 0 < body["retry_after"] <= 5
    assert headers["X-RateLimit-Bucket"] == answers[0][1]["X-RateLimit-Bucket"]

    # Another channel counts on its own, under the same bucket hash (rate-limits.mdx: the
    # bucket is "non-inclusive of top-level resources").
    channel = sandbox.call(lambda: sandbox.server.add_channel(world["guild"], "testimoni"))
    status, other, _ = await bot_api.post(channel.id, "elsewhere")
    assert status == 200 and other["X-RateLimit-Bucket"] == answers[0][1]["X-RateLimit-Bucket"]

    await advance(http, sandbox, 5)
    assert (await bot_api.post(world["shop"].id, "later"))[0] == 200
    report = await state(http, sandbox)
    assert report["rejections_by_route"] == {POSTS: 1} and report["rate_limited"] == 1


async def test_message_edits_have_their_own_bucket(bot_api, world):
    _, posted, message = await bot_api.post(world["shop"].id, "panel")
    path = f"/channels/{world['shop'].id}/messages/{message['id']}"
    edits = [await bot_api.call("PATCH", path, {"content": f"v{n}"}) for n in range(6)]
    assert [status for status, _, _ in edits] == [200] * 5 + [429]
    assert edits[0][1]["X-RateLimit-Bucket"] != posted["X-RateLimit-Bucket"]


async def test_creating_channels_fast_hits_the_guilds_shared_limit(bot_api, http, sandbox, world):
    path = f"/guilds/{world['guild'].id}/channels"
    answers = [await bot_api.call("POST", path, {"name": f"ticket-{n}", "type": 0}) for n in range(11)]
    assert [status for status, _, _ in answers] == [201] * 10 + [429]
    _, headers, body = answers[10]
    # A per-resource limit: scope `shared`, Discord's code 20029, not held against the bot.
    assert headers["X-RateLimit-Scope"] == "shared" and body["code"] == 20029
    assert body["message"] == "The resource is being rate limited."
    assert sandbox.server.invalid_requests(world["token"]) == 0
    await advance(http, sandbox, 10)
    assert (await bot_api.call("POST", path, {"name": "ticket-late", "type": 0}))[0] == 201


async def test_deleting_many_channels_of_a_guild_gets_a_429(bot_api, http, sandbox, world):
    path = f"/guilds/{world['guild'].id}/channels"
    created = [(await bot_api.call("POST", path, {"name": f"t-{n}", "type": 0}))[2] for n in range(6)]
    deletes = [await bot_api.call("DELETE", f"/channels/{c['id']}") for c in created]
    assert [status for status, _, _ in deletes] == [200] * 5 + [429]
    # Per guild while the route's top-level resource is the channel: a shared limit, not
    # held against the bot.
    assert deletes[5][1]["X-RateLimit-Scope"] == "shared" and deletes[5][2]["code"] == 20029
    assert sandbox.server.invalid_requests(world["token"]) == 0


async def test_opening_dms_is_limited_per_bot(bot_api, world):
    opens = [
        await bot_api.call("POST", "/users/@me/channels", {"recipient_id": world["buyer"].id})
        for _ in range(11)
    ]
    assert [status for status, _, _ in opens] == [200] * 10 + [429]


async def test_opening_dms_with_too_many_new_people_at_once_is_refused_40003(bot_api, http, sandbox, world):
    # Only the DM brake, not the route's 429s, is under test here.
    sandbox.server.rate_limits = dataclasses.replace(RateLimits(), dm_opens=RouteLimit(1000, 1.0))
    people = sandbox.call(lambda: [sandbox.server.add_user(f"buyer{n}") for n in range(27)])
    opens = [await bot_api.call("POST", "/users/@me/channels", {"recipient_id": p.id}) for p in people[:26]]
    assert [status for status, _, _ in opens] == [200] * 25 + [403]
    assert opens[25][2] == {"code": 40003, "message": "You are opening direct messages too fast."}
    # Opening a DM the bot already has is no new conversation: it still works.
    assert (await bot_api.call("POST", "/users/@me/channels", {"recipient_id": people[0].id}))[0] == 200
    await advance(http, sandbox, 60)
    assert (await bot_api.call("POST", "/users/@me/channels", {"recipient_id": people[26].id}))[0] == 200


def _staff_only(sandbox, world):
    """A channel hidden from @everyone that the bot was not added to."""
    from discord_sandbox.state import VIEW_CHANNEL, Overwrite

    hidden = [Overwrite(world["guild"].id, 0, deny=VIEW_CHANNEL)]
    return sandbox.call(lambda: sandbox.server.add_channel(world["guild"], "staff", overwrites=hidden))


async def test_invalid_requests_are_counted_for_ten_minutes(bot_api, http, sandbox, world):
    stranger = Api(http, sandbox, "not-a-token")
    assert (await stranger.call("GET", "/users/@me"))[0] == 401
    # The bot cannot see a staff-only channel it was not added to: 403 Missing Access.
    assert (await bot_api.post(_staff_only(sandbox, world).id, "hi"))[0] == 403
    for n in range(6):
        await bot_api.post(world["shop"].id, f"m{n}")  # the 6th is a 429 (scope user)
    assert sandbox.server.invalid_requests(world["token"]) == 2
    report = (await state(http, sandbox))["invalid_requests"]
    assert report == {"total": 3, "by_client": {f"Bot {world['bot'].id}": 2, "unknown token": 1}}
    await advance(http, sandbox, 600)
    assert sandbox.server.invalid_requests(world["token"]) == 0
    assert (await state(http, sandbox))["invalid_requests"] == {"total": 0, "by_client": {}}


async def test_too_many_invalid_requests_ban_the_bot_for_an_hour(bot_api, http, sandbox, world):
    assert (RateLimits().invalid_requests, RateLimits().invalid_window_s) == (10_000, 600)
    sandbox.server.rate_limits = dataclasses.replace(RateLimits(), invalid_requests=20)
    # 403s (a staff-only channel) then, once its bucket is spent, 429s: all twenty count.
    hidden = _staff_only(sandbox, world)
    statuses = [(await bot_api.post(hidden.id, "hi"))[0] for _ in range(20)]
    assert statuses == [403] * 5 + [429] * 15
    status, headers, body = await bot_api.call("GET", "/users/@me")
    assert status == 403 and headers["Content-Type"].startswith("text/html")
    assert "Cloudflare" in body and "banned you temporarily" in body
    other_bot = sandbox.call(lambda: sandbox.server.add_bot("Other Bot"))[1]
    assert (await Api(http, sandbox, other_bot).call("GET", "/users/@me"))[0] == 200
    await advance(http, sandbox, 3599)
    assert (await bot_api.call("GET", "/users/@me"))[0] == 403
    await advance(http, sandbox, 2)
    assert (await bot_api.call("GET", "/users/@me"))[0] == 200


async def test_a_repeated_nonce_is_one_message_for_five_minutes_only(bot_api, http, sandbox, world):
    dm = int(
        (await bot_api.call("POST", "/users/@me/channels", {"recipient_id": world["buyer"].id}))[2]["id"]
    )
    key = {"nonce": "ticket-42-delivery", "enforce_nonce": True}
    first = (await bot_api.post(dm, "your key", **key))[2]
    again = (await bot_api.post(dm, "your key", **key))[2]
    assert again["id"] == first["id"]
    await advance(http, sandbox, 5 * 60 - 1)
    assert (await bot_api.post(dm, "your key", **key))[2]["id"] == first["id"]
    await advance(http, sandbox, 2)
    later = (await bot_api.post(dm, "your key", **key))[2]
    assert later["id"] != first["id"]
    without = (await bot_api.post(dm, "your key", nonce="ticket-42-delivery"))[2]
    assert without["id"] not in (first["id"], later["id"])


async def test_an_interaction_token_works_for_fifteen_minutes(bot_api, http, sandbox, world):
    _, _, panel = await bot_api.post(world["shop"].id, "panel")
    interaction = await click(http, sandbox, world, panel["id"])
    base = f"/webhooks/{world['bot'].id}/{interaction['token']}"
    status, _, _ = await bot_api.call(
        "POST",
        f"/interactions/{interaction['id']}/{interaction['token']}/callback",
        {"type": 4, "data": {"content": "pick a method"}},
    )
    assert status == 200
    await advance(http, sandbox, 14 * 60)
    assert (await bot_api.call("POST", base, {"content": "still here"}))[0] == 200
    assert (await bot_api.call("GET", f"{base}/messages/@original"))[0] == 200
    await advance(http, sandbox, 61)
    for method, path, body in (
        ("POST", base, {"content": "too late"}),
        ("GET", f"{base}/messages/@original", None),
        ("PATCH", f"{base}/messages/@original", {"content": "edited"}),
        ("DELETE", f"{base}/messages/@original", None),
    ):
        status, _, answer = await bot_api.call(method, path, body)
        assert (status, answer["code"]) == (401, 50027), (method, path)


async def test_the_original_response_can_be_deleted(bot_api, http, sandbox, world):
    _, _, panel = await bot_api.post(world["shop"].id, "panel")
    interaction = await click(http, sandbox, world, panel["id"])
    await bot_api.call(
        "POST",
        f"/interactions/{interaction['id']}/{interaction['token']}/callback",
        {"type": 4, "data": {"content": "pick a method"}},
    )
    original = f"/webhooks/{world['bot'].id}/{interaction['token']}/messages/@original"
    assert (await bot_api.call("DELETE", original))[0] == 204
    assert [m["content"] for m in await channel_messages(http, sandbox, world["shop"].id)] == ["panel"]


async def click(
    http: aiohttp.ClientSession, sandbox: Any, world: dict[str, Any], message_id: str
) -> dict[str, str]:
    """The buyer clicks a button on `message_id`; the interaction's id and token."""
    body = {
        "user_id": str(world["buyer"].id),
        "channel_id": str(world["shop"].id),
        "message_id": message_id,
        "custom_id": "buy_btn",
    }
    async with http.post(f"{sandbox.base_url}/_sandbox/click", json=body) as response:
        interaction_id = int((await response.json())["interaction_id"])
    token = sandbox.call(lambda: sandbox.server.interactions[interaction_id].token)
    return {"id": str(interaction_id), "token": token}


async def channel_messages(
    http: aiohttp.ClientSession, sandbox: Any, channel_id: int
) -> list[dict[str, Any]]:
    async with http.get(f"{sandbox.base_url}/_sandbox/channels/{channel_id}/messages") as response:
        return await response.json()
