"""The sandbox refuses what Discord refuses, answering as Discord does (status, JSON `code`,
`message`, and for 50035 the nested `errors`), over real HTTP, and creates nothing when it
refuses. Each rule cites its Discord docs section in discord_sandbox/rules.py or server.py."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from discord_sandbox.state import (
    ATTACH_FILES,
    DEFAULT_EVERYONE,
    MANAGE_CHANNELS,
    MANAGE_ROLES,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    Overwrite,
)
from workflows.discord_permissions import REQUIRED

MiB = 1024 * 1024
UNAUTHORIZED = {"message": "401: Unauthorized", "code": 0}


def form_error(path: tuple[Any, ...], code: str, message: str) -> dict[str, Any]:
    """The body of a 50035 refusal of the field at `path`, as Discord writes it."""
    node: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        node = {str(key): node}
    return {"code": 50035, "message": "Invalid Form Body", "errors": node}


def errors_at(body: dict[str, Any], path: tuple[Any, ...]) -> list[dict[str, str]]:
    node = body.get("errors", {})
    for key in path:
        node = node.get(str(key), {})
    return node.get("_errors", [])


class Client:
    """A Discord client over HTTP that waits out 429s as py-cord does."""

    def __init__(self, http: aiohttp.ClientSession, sandbox: Any, token: str | None) -> None:
        self.http, self.sandbox, self.token = http, sandbox, token

    async def call(
        self, method: str, path: str, *, auth: str | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = dict(kwargs.pop("headers", {}))
        if auth is not None:
            headers["Authorization"] = auth
        elif self.token is not None:
            headers["Authorization"] = f"Bot {self.token}"
        outside_api = ("/_sandbox", "/api/", "/oauth2/", "/attachments/", "/gateway/")
        url = path if path.startswith(outside_api) else f"/api/v10{path}"
        while True:
            async with self.http.request(
                method, self.sandbox.base_url + url, headers=headers, **kwargs
            ) as response:
                text = await response.text()
                if response.status == 429:
                    await asyncio.sleep(float(response.headers["Retry-After"]))
                    continue
                body = json.loads(text) if response.content_type == "application/json" else text
                return response.status, body


@pytest.fixture
async def client(sandbox, world):
    sandbox.server.interaction_deadline_s = 120  # these tests answer at once; a loaded CI is slow
    async with aiohttp.ClientSession() as http:
        yield Client(http, sandbox, world["token"])


def count_messages(sandbox, channel) -> int:
    return sandbox.call(lambda: len(sandbox.server.messages[channel.id]))


async def bot_message(client, channel, **body: Any) -> dict[str, Any]:
    status, message = await client.call(
        "POST", f"/channels/{channel.id}/messages", json={"content": "panel", **body}
    )
    assert status == 200, message
    return message


def interaction_for(sandbox, world, message_id: str) -> Any:
    """The buyer clicked a button of the bot's message: a fresh interaction to answer."""
    s = sandbox.server

    async def click():
        message = s.messages[world["shop"].id][int(message_id)]
        return await s.start_interaction(world["buyer"], world["shop"], message, 3, {"custom_id": "buy"})

    return sandbox.call(click)


def multipart(payload: dict[str, Any], files: list[tuple[str, bytes]]) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps(payload), content_type="application/json")
    for n, (name, data) in enumerate(files):
        form.add_field(f"files[{n}]", data, filename=name, content_type="application/octet-stream")
    return form


# --- 1. message content ------------------------------------------------------------------------

TOO_LONG = form_error(("content",), "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")


async def test_content_over_2000_characters_is_refused_wherever_a_message_is_sent(sandbox, world, client):
    shop = world["shop"]
    long = "x" * 2001
    status, body = await client.call("POST", f"/channels/{shop.id}/messages", json={"content": long})
    assert (status, body) == (400, TOO_LONG)
    assert count_messages(sandbox, shop) == 0

    panel = await bot_message(client, shop, content="x" * 2000)  # exactly 2000 is fine
    status, body = await client.call(
        "PATCH", f"/channels/{shop.id}/messages/{panel['id']}", json={"content": long}
    )
    assert (status, body) == (400, TOO_LONG)
    status, unchanged = await client.call("GET", f"/channels/{shop.id}/messages/{panel['id']}")
    assert unchanged["content"] == "x" * 2000

    interaction = interaction_for(sandbox, world, panel["id"])
    callback = f"/interactions/{interaction.id}/{interaction.token}/callback"
    status, body = await client.call("POST", callback, json={"type": 4, "data": {"content": long}})
    assert (status, body) == (400, {**TOO_LONG, "errors": {"data": TOO_LONG["errors"]}})
    assert count_messages(sandbox, shop) == 1
    # The refused answer did not count as the answer: a valid one still goes through.
    status, _ = await client.call("POST", callback, json={"type": 4, "data": {"content": "ok"}})
    assert status == 200

    bot_id = world["bot"].id
    followup = f"/webhooks/{bot_id}/{interaction.token}"
    status, body = await client.call("POST", followup, json={"content": long})
    assert (status, body) == (400, TOO_LONG)
    status, body = await client.call("PATCH", f"{followup}/messages/@original", json={"content": long})
    assert (status, body) == (400, TOO_LONG)
    assert count_messages(sandbox, shop) == 2


# --- 2. uploads ----------------------------------------------------------------------------------

TOO_LARGE = {"code": 40005, "message": "Request entity too large"}


async def test_a_file_over_10_mib_or_a_request_over_25_mib_is_refused_with_413(sandbox, world, client):
    shop = world["shop"]
    path = f"/channels/{shop.id}/messages"
    status, body = await client.call(
        "POST", path, data=multipart({"content": "transcript"}, [("big.html", b"x" * (10 * MiB + 1))])
    )
    assert (status, body) == (413, TOO_LARGE)
    three = [(f"part{n}.bin", b"x" * (9 * MiB)) for n in range(3)]  # each allowed, 27 MiB in all
    status, body = await client.call("POST", path, data=multipart({"content": "parts"}, three))
    assert (status, body) == (413, TOO_LARGE)
    assert count_messages(sandbox, shop) == 0
    status, sent = await client.call(
        "POST", path, data=multipart({"content": "ok"}, [("ok.html", b"x" * (10 * MiB))])
    )
    assert status == 200 and sent["attachments"][0]["size"] == 10 * MiB


# --- 3. button emoji -----------------------------------------------------------------------------


def buttons(*items: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": 1, "components": list(items)}]


def button(custom_id: str = "buy", **fields: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": "Buy", "custom_id": custom_id, **fields}


@pytest.mark.parametrize(
    "emoji, field, code, message",
    [
        ({"name": "cart"}, "name", "BUTTON_COMPONENT_INVALID_EMOJI", "Invalid emoji"),
        ({"name": ":cart:"}, "name", "BUTTON_COMPONENT_INVALID_EMOJI", "Invalid emoji"),
        ({"id": None, "name": ""}, "name", "BUTTON_COMPONENT_INVALID_EMOJI", "Invalid emoji"),
        ({"id": "cart", "name": "cart"}, "id", "NUMBER_TYPE_COERCE", 'Value "cart" is not snowflake.'),
    ],
)
async def test_a_button_emoji_that_is_no_emoji_is_refused(
    sandbox, world, client, emoji, field, code, message
):
    shop = world["shop"]
    status, body = await client.call(
        "POST", f"/channels/{shop.id}/messages", json={"components": buttons(button(emoji=emoji))}
    )
    assert status == 400
    assert body == form_error(("components", 0, "components", 0, "emoji", field), code, message)
    assert count_messages(sandbox, shop) == 0


async def test_a_real_unicode_or_custom_emoji_on_a_button_is_taken(world, client):
    rows = buttons(
        button("a", emoji={"name": "🛒"}),
        button("b", emoji={"name": "👍🏽"}),
        button("c", emoji={"id": "1234567890123", "name": "toko"}),
    )
    await bot_message(client, world["shop"], components=rows)


# --- 4. embeds -----------------------------------------------------------------------------------

EMBED_CASES = [
    ({"title": "t" * 257}, ("embeds", 0, "title"), "BASE_TYPE_MAX_LENGTH", "Must be 256 or fewer in length."),
    (
        {"description": "d" * 4097},
        ("embeds", 0, "description"),
        "BASE_TYPE_MAX_LENGTH",
        "Must be 4096 or fewer in length.",
    ),
    (
        {"fields": [{"name": f"P{n}", "value": "Rp 1"} for n in range(26)]},
        ("embeds", 0, "fields"),
        "BASE_TYPE_MAX_LENGTH",
        "Must be 25 or fewer in length.",
    ),
    (
        {"fields": [{"name": "n" * 257, "value": "v"}]},
        ("embeds", 0, "fields", 0, "name"),
        "BASE_TYPE_BAD_LENGTH",
        "Must be between 1 and 256 in length.",
    ),
    (
        {"fields": [{"name": "n", "value": "v" * 1025}]},
        ("embeds", 0, "fields", 0, "value"),
        "BASE_TYPE_BAD_LENGTH",
        "Must be between 1 and 1024 in length.",
    ),
    (
        {"footer": {"text": "f" * 2049}},
        ("embeds", 0, "footer", "text"),
        "BASE_TYPE_MAX_LENGTH",
        "Must be 2048 or fewer in length.",
    ),
    (
        {"author": {"name": "a" * 257}},
        ("embeds", 0, "author", "name"),
        "BASE_TYPE_MAX_LENGTH",
        "Must be 256 or fewer in length.",
    ),
]


@pytest.mark.parametrize("embed, path, code, message", EMBED_CASES)
async def test_an_embed_over_a_limit_is_refused_at_that_field(
    sandbox, world, client, embed, path, code, message
):
    shop = world["shop"]
    status, body = await client.call("POST", f"/channels/{shop.id}/messages", json={"embeds": [embed]})
    assert (status, body) == (400, form_error(path, code, message))
    assert count_messages(sandbox, shop) == 0


async def test_more_than_ten_embeds_or_6000_characters_in_all_are_refused(sandbox, world, client):
    shop = world["shop"]
    path = f"/channels/{shop.id}/messages"
    status, body = await client.call("POST", path, json={"embeds": [{"title": "x"}] * 11})
    assert (status, body) == (
        400,
        form_error(("embeds",), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."),
    )
    # Each field within its own limit, 6,001 characters together (whitespace around is not counted).
    heavy = [
        {"description": "d" * 4000},
        {"description": "d" * 1000, "footer": {"text": " " + "f" * 1001 + " "}},
    ]
    status, body = await client.call("POST", path, json={"embeds": heavy})
    assert (status, body) == (
        400,
        form_error(("embeds",), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"),
    )
    assert count_messages(sandbox, shop) == 0
    heavy[1]["footer"]["text"] = "f" * 1000  # 6,000 exactly is allowed
    status, _ = await client.call("POST", path, json={"embeds": heavy})
    assert status == 200


# --- 5. components and modals --------------------------------------------------------------------


def select(custom_id: str = "pick", options: int = 2, **fields: Any) -> dict[str, Any]:
    choices = [{"label": f"P{n}", "value": str(n)} for n in range(options)]
    return {"type": 3, "custom_id": custom_id, "options": choices, **fields}


ROWS = ("components",)
ROW0 = ("components", 0, "components")
ITEM0 = ("components", 0, "components", 0)
COMPONENT_CASES = [
    (
        [{"type": 1, "components": [button(f"b{n}")]} for n in range(6)],
        ROWS,
        "BASE_TYPE_MAX_LENGTH",
        "Must be 5 or fewer in length.",
    ),
    (
        buttons(*(button(f"b{n}") for n in range(6))),
        ROW0,
        "BASE_TYPE_BAD_LENGTH",
        "Must be between 1 and 5 in length.",
    ),
    (buttons(), ROW0, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."),
    (
        buttons(select(), button()),
        ROW0,
        "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
        "The specified component exceeds the maximum width",
    ),
    (
        buttons(button(label="L" * 81)),
        (*ITEM0, "label"),
        "BASE_TYPE_MAX_LENGTH",
        "Must be 80 or fewer in length.",
    ),
    (
        buttons(button("c" * 101)),
        (*ITEM0, "custom_id"),
        "BASE_TYPE_BAD_LENGTH",
        "Must be between 1 and 100 in length.",
    ),
    (
        buttons(button("")),
        (*ITEM0, "custom_id"),
        "BASE_TYPE_BAD_LENGTH",
        "Must be between 1 and 100 in length.",
    ),
    (
        buttons(button("buy"), button("buy")),
        ("components", 0, "components", 1, "custom_id"),
        "COMPONENT_CUSTOM_ID_DUPLICATED",
        "Component custom id was already specified",
    ),
    (
        buttons(select(options=26)),
        (*ITEM0, "options"),
        "BASE_TYPE_BAD_LENGTH",
        "Must be between 1 and 25 in length.",
    ),
    (
        buttons(select(options=0)),
        (*ITEM0, "options"),
        "BASE_TYPE_BAD_LENGTH",
        "Must be between 1 and 25 in length.",
    ),
    (
        buttons({**select(), "options": [{"label": "l" * 101, "value": "v"}]}),
        (*ITEM0, "options", 0, "label"),
        "BASE_TYPE_BAD_LENGTH",
        "Must be between 1 and 100 in length.",
    ),
    (
        buttons({**select(), "options": [{"label": "l", "value": "v" * 101}]}),
        (*ITEM0, "options", 0, "value"),
        "BASE_TYPE_BAD_LENGTH",
        "Must be between 1 and 100 in length.",
    ),
    (
        buttons({**select(), "options": [{"label": "l", "value": "v", "description": "d" * 101}]}),
        (*ITEM0, "options", 0, "description"),
        "BASE_TYPE_MAX_LENGTH",
        "Must be 100 or fewer in length.",
    ),
    (
        buttons(select(placeholder="p" * 151)),
        (*ITEM0, "placeholder"),
        "BASE_TYPE_MAX_LENGTH",
        "Must be 150 or fewer in length.",
    ),
]


@pytest.mark.parametrize("rows, path, code, message", COMPONENT_CASES)
async def test_components_over_a_limit_are_refused_at_that_field(
    sandbox, world, client, rows, path, code, message
):
    shop = world["shop"]
    status, body = await client.call(
        "POST", f"/channels/{shop.id}/messages", json={"content": "panel", "components": rows}
    )
    assert status == 400 and body["code"] == 50035
    assert {"code": code, "message": message} in errors_at(body, path), body
    assert count_messages(sandbox, shop) == 0


def modal(title: str = "Bukti bayar", rows: int = 1, **text_input: Any) -> dict[str, Any]:
    field = {"type": 4, "custom_id": "ref", "style": 1, "label": "Nomor referensi", **text_input}
    components = [{"type": 1, "components": [{**field, "custom_id": f"ref{n}"}]} for n in range(rows)]
    return {"type": 9, "data": {"custom_id": "proof", "title": title, "components": components}}


FIELD0 = ("data", "components", 0, "components", 0)
MODAL_CASES = [
    (modal(title="T" * 46), ("data", "title"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length."),
    (modal(title=""), ("data", "title"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length."),
    (modal(rows=0), ("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."),
    (modal(rows=6), ("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."),
    (
        modal(label="L" * 46),
        (*FIELD0, "label"),
        "BASE_TYPE_BAD_LENGTH",
        "Must be between 1 and 45 in length.",
    ),
    (modal(value="v" * 4001), (*FIELD0, "value"), "BASE_TYPE_MAX_LENGTH", "Must be 4000 or fewer in length."),
    (
        modal(placeholder="p" * 101),
        (*FIELD0, "placeholder"),
        "BASE_TYPE_MAX_LENGTH",
        "Must be 100 or fewer in length.",
    ),
    (
        {"type": 9, "data": {**modal()["data"], "custom_id": "x" * 101}},
        ("data", "custom_id"),
        "BASE_TYPE_BAD_LENGTH",
        "Must be between 1 and 100 in length.",
    ),
]


@pytest.mark.parametrize("response, path, code, message", MODAL_CASES)
async def test_a_modal_over_a_limit_is_refused_and_not_shown(
    sandbox, world, client, response, path, code, message
):
    panel = await bot_message(client, world["shop"])
    interaction = interaction_for(sandbox, world, panel["id"])
    callback = f"/interactions/{interaction.id}/{interaction.token}/callback"
    status, body = await client.call("POST", callback, json=response)
    assert status == 400 and body["code"] == 50035
    assert {"code": code, "message": message} in errors_at(body, path), body
    state = await client.call("GET", "/_sandbox/state")
    assert state[1]["modals"] == []
    status, _ = await client.call("POST", callback, json=modal())  # a valid modal still opens
    assert status == 200


# --- 6. malformed bodies and ids ------------------------------------------------------------------

INVALID_JSON = {"code": 50109, "message": "The request body contains invalid JSON."}


async def test_a_body_that_is_no_json_is_refused_with_50109(sandbox, world, client):
    panel = await bot_message(client, world["shop"])
    interaction = interaction_for(sandbox, world, panel["id"])
    json_header = {"Content-Type": "application/json"}
    for method, path in [
        ("POST", f"/channels/{world['shop'].id}/messages"),
        ("PATCH", f"/channels/{world['shop'].id}/messages/{panel['id']}"),
        ("POST", f"/guilds/{world['guild'].id}/channels"),
        ("POST", "/users/@me/channels"),
        ("POST", f"/interactions/{interaction.id}/{interaction.token}/callback"),
        ("POST", f"/webhooks/{world['bot'].id}/{interaction.token}"),
    ]:
        for junk in (b"{not json", b"\xff\xfe", b'{"content": "unterminated'):
            status, body = await client.call(method, path, data=junk, headers=json_header)
            assert (status, body) == (400, INVALID_JSON), (method, path, junk)
    assert count_messages(sandbox, world["shop"]) == 1


async def test_a_missing_or_ill_typed_field_is_refused_at_that_field(sandbox, world, client):
    guild = world["guild"]
    before = sandbox.call(lambda: len(sandbox.server.channels))
    status, body = await client.call("POST", f"/guilds/{guild.id}/channels", json={"type": 0})
    assert (status, body) == (400, form_error(("name",), "BASE_TYPE_REQUIRED", "This field is required"))
    status, body = await client.call(
        "POST", f"/guilds/{guild.id}/channels", json={"name": "t", "type": "text"}
    )
    assert (status, body) == (400, form_error(("type",), "NUMBER_TYPE_COERCE", 'Value "text" is not int.'))
    status, body = await client.call(
        "POST", f"/guilds/{guild.id}/channels", json={"name": "t", "parent_id": "tickets"}
    )
    assert (status, body) == (
        400,
        form_error(("parent_id",), "NUMBER_TYPE_COERCE", 'Value "tickets" is not snowflake.'),
    )
    assert sandbox.call(lambda: len(sandbox.server.channels)) == before
    status, body = await client.call("POST", "/users/@me/channels", json={"recipient_id": "budi"})
    assert (status, body) == (
        400,
        form_error(("recipient_id",), "NUMBER_TYPE_COERCE", 'Value "budi" is not snowflake.'),
    )
    status, body = await client.call("POST", "/users/@me/channels", json=["budi"])
    assert status == 400 and body["code"] == 50035
    panel = await bot_message(client, world["shop"])
    interaction = interaction_for(sandbox, world, panel["id"])
    callback = f"/interactions/{interaction.id}/{interaction.token}/callback"
    status, body = await client.call("POST", callback, json={"type": "reply", "data": {"content": "hi"}})
    assert (status, body) == (400, form_error(("type",), "NUMBER_TYPE_COERCE", 'Value "reply" is not int.'))
    status, body = await client.call("POST", callback, json={"data": {"content": "hi"}})
    assert (status, body) == (400, form_error(("type",), "BASE_TYPE_REQUIRED", "This field is required"))
    assert count_messages(sandbox, world["shop"]) == 1


@pytest.mark.parametrize("junk", ["abc", "-1", "1.5", str(2**64), "١٢٣"])
async def test_an_id_in_a_path_that_names_nothing_is_an_unknown_thing(world, client, junk):
    shop, guild = world["shop"].id, world["guild"].id
    for path, code, message in [
        (f"/channels/{junk}", 10003, "Unknown Channel"),
        (f"/channels/{junk}/messages", 10003, "Unknown Channel"),
        (f"/guilds/{junk}", 10004, "Unknown Guild"),
        (f"/guilds/{junk}/channels", 10004, "Unknown Guild"),
        (f"/channels/{shop}/messages/{junk}", 10008, "Unknown Message"),
        (f"/users/{junk}", 10013, "Unknown User"),
        (f"/guilds/{guild}/members/{junk}", 10013, "Unknown User"),
    ]:
        status, body = await client.call("GET", path)
        assert (status, body) == (404, {"code": code, "message": message}), path


async def test_junk_at_every_route_is_answered_with_a_4xx_in_json(sandbox, world, client):
    """Every route of the app, every method it takes, with junk in each path parameter and
    each kind of junk body: never a 5xx, always Discord's JSON error shape under /api/."""
    app = sandbox.server.app()
    routes = []
    for resource in app.router.resources():
        info = resource.get_info()
        template = info.get("formatter") or info.get("path")
        for route in resource:
            if route.method != "HEAD" and template != "/gateway/ws":
                routes.append((route.method, template))
    assert len(routes) > 30
    junk_ids = ["abc", str(2**64), "0"]
    bodies: list[dict[str, Any]] = [
        {"data": b"{oops", "headers": {"Content-Type": "application/json"}},
        {"json": []},
        {
            "json": {
                **{"type": [], "data": "x", "content": {}, "name": None, "recipient_id": {}},
                **{"user_id": "x", "channel_id": [], "message_id": None, "custom_id": 5, "fields": 3},
            }
        },
        {"data": b"--x\r\nbroken", "headers": {"Content-Type": "multipart/form-data; boundary=x"}},
        {},
    ]
    # Five bodies: a message route's bucket allows five requests in five seconds (per channel),
    # so junk in one channel never waits out a 429; a route without ids is sent its junk once.
    for method, template in routes:
        for junk in junk_ids if "{" in template else junk_ids[:1]:
            path = template
            for name in ("channel_id", "guild_id", "message_id", "user_id", "app_id", "interaction_id"):
                path = path.replace("{" + name + "}", junk)
            path = path.replace("{token}", "junk-token").replace("{attachment_id}", junk)
            path = path.replace("{filename}", "x.txt")
            for body in bodies if method in ("POST", "PUT", "PATCH") else [{}]:
                status, answer = await client.call(method, path, **body)
                where = (method, path, body)
                assert status < 500, where
                inspection = method == "GET" and template.startswith(
                    "/_sandbox"
                )  # shows an unknown channel empty
                if ("{" in template or method != "GET") and not inspection:  # junk in the path or body
                    assert status >= 400, where
                if "/oauth2/token" in path:  # answers as OAuth2 does (RFC 6749 5.2)
                    assert isinstance(answer, dict) and "error" in answer, where
                elif path.startswith("/api/") and status >= 400:
                    assert isinstance(answer, dict) and "code" in answer and "message" in answer, where
    status, answer = await client.call("GET", "/no/such/route")
    assert (status, answer) == (404, {"message": "404: Not Found", "code": 0})
    status, answer = await client.call("PUT", f"/channels/{world['shop'].id}")
    assert (status, answer) == (405, {"message": "405: Method Not Allowed", "code": 0})


# --- 7. reads need a token -------------------------------------------------------------------------


async def test_reading_without_a_valid_token_is_unauthorized(sandbox, world, client):
    panel = await bot_message(client, world["shop"])
    shop, guild = world["shop"].id, world["guild"].id
    reads = [
        f"/channels/{shop}",
        f"/channels/{shop}/messages",
        f"/channels/{shop}/messages/{panel['id']}",
        f"/guilds/{guild}",
        f"/guilds/{guild}/roles",
        f"/guilds/{guild}/channels",
        f"/guilds/{guild}/members/{world['buyer'].id}",
        f"/users/{world['buyer'].id}",
        "/users/@me",
        f"/applications/{world['bot'].id}/commands",
    ]
    for path in reads:
        for auth in ("", f"Bot {world['token']}x", "Bearer nope"):
            status, body = await client.call("GET", path, auth=auth)
            assert (status, body) == (401, UNAUTHORIZED), (path, auth)


# --- 8. permissions -------------------------------------------------------------------------------


def channel_with(sandbox, world, name: str, bot_allow: int = 0, bot_deny: int = 0) -> Any:
    """A channel where the bot's role has these overwrites."""
    s, guild = sandbox.server, world["guild"]
    bot_role = next(r for r in guild.roles.values() if r.name == "bot")
    return sandbox.call(
        lambda: s.add_channel(guild, name, overwrites=[Overwrite(bot_role.id, 0, bot_allow, bot_deny)])
    )


MISSING_ACCESS = {"code": 50001, "message": "Missing Access"}
MISSING_PERMISSIONS = {"code": 50013, "message": "Missing Permissions"}


async def test_posting_needs_view_then_send_then_attach(sandbox, world, client):
    hidden = channel_with(sandbox, world, "hidden", bot_deny=VIEW_CHANNEL)
    muted = channel_with(sandbox, world, "muted", bot_deny=SEND_MESSAGES)
    no_files = channel_with(sandbox, world, "no-files", bot_deny=ATTACH_FILES)
    status, body = await client.call("POST", f"/channels/{hidden.id}/messages", json={"content": "hi"})
    assert (status, body) == (403, MISSING_ACCESS)
    status, body = await client.call("POST", f"/channels/{muted.id}/messages", json={"content": "hi"})
    assert (status, body) == (403, MISSING_PERMISSIONS)
    status, body = await client.call(
        "POST", f"/channels/{no_files.id}/messages", data=multipart({"content": "hi"}, [("a.txt", b"a")])
    )
    assert (status, body) == (403, MISSING_PERMISSIONS)
    for channel in (hidden, muted, no_files):
        assert count_messages(sandbox, channel) == 0
    status, _ = await client.call(
        "POST", f"/channels/{no_files.id}/messages", json={"content": "text is fine"}
    )
    assert status == 200


async def test_reading_messages_needs_read_message_history(sandbox, world, client):
    amnesiac = channel_with(sandbox, world, "no-history", bot_deny=READ_MESSAGE_HISTORY)
    sent = await bot_message(client, amnesiac)
    status, listed = await client.call("GET", f"/channels/{amnesiac.id}/messages")
    assert (status, listed) == (200, [])  # "no messages will be returned"
    status, body = await client.call("GET", f"/channels/{amnesiac.id}/messages/{sent['id']}")
    assert (status, body) == (403, MISSING_PERMISSIONS)
    hidden = channel_with(sandbox, world, "hidden", bot_deny=VIEW_CHANNEL)
    status, body = await client.call("GET", f"/channels/{hidden.id}/messages")
    assert (status, body) == (403, MISSING_ACCESS)


async def test_deleting_a_channel_needs_manage_channels_on_that_channel(sandbox, world, client):
    kept = channel_with(sandbox, world, "kept", bot_deny=MANAGE_CHANNELS)
    status, body = await client.call("DELETE", f"/channels/{kept.id}")
    assert (status, body) == (403, MISSING_PERMISSIONS)
    assert sandbox.call(lambda: kept.id in sandbox.server.channels)
    gone = channel_with(sandbox, world, "gone")
    status, _ = await client.call("DELETE", f"/channels/{gone.id}")
    assert status == 200 and not sandbox.call(lambda: gone.id in sandbox.server.channels)


async def test_deleting_someone_elses_message_needs_manage_messages(sandbox, world, client):
    shop = world["shop"]
    said = sandbox.call(lambda: sandbox.server.user_sends(world["buyer"], shop, "hai", []))
    weak = sandbox.call(lambda: sandbox.server.add_bot("Weak Bot"))
    role = sandbox.call(lambda: sandbox.server.add_role(world["guild"], "weak", VIEW_CHANNEL | SEND_MESSAGES))
    sandbox.call(lambda: sandbox.server.add_member(world["guild"], weak[0], [role.id]))
    status, body = await client.call(
        "DELETE", f"/channels/{shop.id}/messages/{said.id}", auth=f"Bot {weak[1]}"
    )
    assert (status, body) == (403, MISSING_PERMISSIONS)
    assert count_messages(sandbox, shop) == 1
    status, _ = await client.call("DELETE", f"/channels/{shop.id}/messages/{said.id}")  # the store bot may
    assert status == 204


def ticket_body(world, **extra: Any) -> dict[str, Any]:
    guild, buyer = world["guild"], world["buyer"]
    return {
        "name": "ticket-0001",
        "permission_overwrites": [
            {"id": str(guild.id), "type": 0, "deny": str(VIEW_CHANNEL)},
            {"id": str(buyer.id), "type": 1, "allow": str(VIEW_CHANNEL | SEND_MESSAGES | ATTACH_FILES)},
            # Without its own overwrite the bot would lose sight of the channel it made.
            {"id": str(world["bot"].id), "type": 1, "allow": str(VIEW_CHANNEL | SEND_MESSAGES)},
        ],
        **extra,
    }


async def test_creating_a_channel_needs_manage_channels_and_overwrites_within_the_bots_own(
    sandbox, world, client
):
    guild = world["guild"]
    path = f"/guilds/{guild.id}/channels"
    before = sandbox.call(lambda: len(sandbox.server.channels))
    weak, weak_token = sandbox.call(lambda: sandbox.server.add_bot("Weak Bot"))
    no_manage_channels = int(REQUIRED) & ~MANAGE_CHANNELS
    role = sandbox.call(lambda: sandbox.server.add_role(guild, "weak", no_manage_channels))
    sandbox.call(lambda: sandbox.server.add_member(guild, weak, [role.id]))
    status, body = await client.call("POST", path, json={"name": "x"}, auth=f"Bot {weak_token}")
    assert (status, body) == (403, MISSING_PERMISSIONS)

    # Allowing what the bot itself does not have (Manage Server) is refused...
    beyond = ticket_body(world)
    beyond["permission_overwrites"][1]["allow"] = str(VIEW_CHANNEL | (1 << 5))
    status, body = await client.call("POST", path, json=beyond)
    assert (status, body) == (403, MISSING_PERMISSIONS)
    # ... and so is Manage Roles in an overwrite, short of an administrator, even for a bot that has it.
    roles = ticket_body(world)
    roles["permission_overwrites"][1]["allow"] = str(VIEW_CHANNEL | MANAGE_ROLES)
    status, body = await client.call("POST", path, json=roles)
    assert (status, body) == (403, MISSING_PERMISSIONS)
    # Any overwrite at all needs Manage Roles.
    no_roles = sandbox.call(lambda: sandbox.server.add_bot("No Roles Bot"))
    role = sandbox.call(lambda: sandbox.server.add_role(guild, "no-roles", int(REQUIRED) & ~MANAGE_ROLES))
    sandbox.call(lambda: sandbox.server.add_member(guild, no_roles[0], [role.id]))
    status, body = await client.call("POST", path, json=ticket_body(world), auth=f"Bot {no_roles[1]}")
    assert (status, body) == (403, MISSING_PERMISSIONS)
    assert sandbox.call(lambda: len(sandbox.server.channels)) == before

    status, created = await client.call("POST", path, json=ticket_body(world))
    assert status == 201 and created["name"] == "ticket-0001"


async def test_the_owner_may_put_manage_roles_in_an_overwrite(sandbox, world, client):
    seller_token = "Bearer seller-token"
    sandbox.call(lambda: sandbox.server.tokens.__setitem__(seller_token, world["seller"].id))
    body = ticket_body(world)
    body["permission_overwrites"][1]["allow"] = str(VIEW_CHANNEL | MANAGE_ROLES)
    status, created = await client.call(
        "POST", f"/guilds/{world['guild'].id}/channels", json=body, auth=seller_token
    )
    assert status == 201, created


async def test_a_channel_made_in_a_category_without_overwrites_gets_the_categorys(sandbox, world, client):
    guild = world["guild"]
    path = f"/guilds/{guild.id}/channels"
    status, category = await client.call("POST", path, json={**ticket_body(world, name="tickets"), "type": 4})
    assert status == 201
    status, child = await client.call("POST", path, json={"name": "ticket-0002", "parent_id": category["id"]})
    assert status == 201
    assert child["parent_id"] == category["id"]
    assert child["permission_overwrites"] == category["permission_overwrites"]
    status, fetched = await client.call("GET", f"/channels/{child['id']}")
    assert fetched["permission_overwrites"] == category["permission_overwrites"]


async def test_a_guild_the_caller_is_not_in_is_missing_access(sandbox, world, client):
    other = sandbox.call(lambda: sandbox.server.add_guild("Toko Lain", world["stranger"]))
    for method, path, body in [
        ("GET", f"/guilds/{other.id}", None),
        ("GET", f"/guilds/{other.id}/roles", None),
        ("GET", f"/guilds/{other.id}/channels", None),
        ("GET", f"/guilds/{other.id}/members/{world['stranger'].id}", None),
        ("POST", f"/guilds/{other.id}/channels", {"name": "spam"}),
    ]:
        status, answer = await client.call(method, path, json=body)
        assert (status, answer) == (403, MISSING_ACCESS), path
    assert not sandbox.call(lambda: [c for c in sandbox.server.channels.values() if c.guild_id == other.id])


# --- 9. routes to compute permissions over HTTP; a crowd through the control API ------------------


def compute(guild_json, roles_json, member_json, channel_json, user_id: str) -> int:
    """What a client computes from Discord's JSON alone (topics/permissions.mdx)."""
    if guild_json["owner_id"] == user_id:
        return (1 << 50) - 1
    roles = {r["id"]: int(r["permissions"]) for r in roles_json}
    base = roles[guild_json["id"]]
    for role_id in member_json["roles"]:
        base |= roles[role_id]
    overwrites = {o["id"]: (int(o["allow"]), int(o["deny"])) for o in channel_json["permission_overwrites"]}
    if guild_json["id"] in overwrites:
        allow, deny = overwrites[guild_json["id"]]
        base = (base & ~deny) | allow
    allow = deny = 0
    for role_id in member_json["roles"]:
        if role_id in overwrites:
            allow |= overwrites[role_id][0]
            deny |= overwrites[role_id][1]
    base = (base & ~deny) | allow
    if user_id in overwrites:
        base = (base & ~overwrites[user_id][1]) | overwrites[user_id][0]
    return base


async def test_a_client_can_compute_over_http_what_the_bot_may_do(sandbox, world, client):
    guild, bot = world["guild"], world["bot"]
    no_files = channel_with(sandbox, world, "no-files", bot_deny=ATTACH_FILES)
    status, guild_json = await client.call("GET", f"/guilds/{guild.id}")
    assert status == 200 and guild_json["owner_id"] == str(world["seller"].id)
    assert {r["name"] for r in guild_json["roles"]} == {"@everyone", "bot"}
    status, roles = await client.call("GET", f"/guilds/{guild.id}/roles")
    assert status == 200 and roles == guild_json["roles"]
    status, member = await client.call("GET", f"/guilds/{guild.id}/members/{bot.id}")
    status, shop = await client.call("GET", f"/channels/{world['shop'].id}")
    status, restricted = await client.call("GET", f"/channels/{no_files.id}")
    assert compute(guild_json, roles, member, shop, str(bot.id)) == int(REQUIRED) | DEFAULT_EVERYONE
    assert not compute(guild_json, roles, member, restricted, str(bot.id)) & ATTACH_FILES
    status, listed = await client.call("GET", f"/guilds/{guild.id}/channels")
    assert {c["name"] for c in listed} >= {"shop", "no-files"}


async def test_a_load_test_can_add_members_through_the_control_api(sandbox, world, client):
    guild = world["guild"]
    status, user = await client.call(
        "POST", f"/_sandbox/guilds/{guild.id}/members", json={"username": "pembeli1"}
    )
    assert status == 200 and user["username"] == "pembeli1"
    status, member = await client.call("GET", f"/guilds/{guild.id}/members/{user['id']}")
    assert status == 200 and member["user"]["id"] == user["id"]
    status, body = await client.call("POST", f"/_sandbox/guilds/{guild.id}/members", json={})
    assert (status, body) == (400, form_error(("username",), "BASE_TYPE_REQUIRED", "This field is required"))
    status, body = await client.call("POST", "/_sandbox/guilds/123/members", json={"username": "x1"})
    assert (status, body) == (404, {"code": 10004, "message": "Unknown Guild"})
    # Not a Discord route: Discord adds a member with PUT (and an OAuth2 token), never POST.
    status, body = await client.call("POST", f"/guilds/{guild.id}/members/{user['id']}", json={})
    assert (status, body) == (405, {"message": "405: Method Not Allowed", "code": 0})


# --- 10. app_permissions -------------------------------------------------------------------------


async def test_an_interaction_carries_the_bots_real_permissions_in_that_channel(sandbox, world, client):
    no_files = channel_with(sandbox, world, "no-files", bot_deny=ATTACH_FILES)
    for channel, expected in [
        (world["shop"], int(REQUIRED) | DEFAULT_EVERYONE),
        (no_files, (int(REQUIRED) | DEFAULT_EVERYONE) & ~ATTACH_FILES),
    ]:
        panel = await bot_message(client, channel)
        s = sandbox.server

        async def click(channel=channel, panel=panel, s=s):
            message = s.messages[channel.id][int(panel["id"])]
            return await s.start_interaction(world["buyer"], channel, message, 3, {"custom_id": "buy"})

        interaction = sandbox.call(click)
        sent = next(
            e["d"] for e in s.events if e["t"] == "INTERACTION_CREATE" and e["d"]["id"] == str(interaction.id)
        )
        assert int(sent["app_permissions"]) == expected
        assert not int(sent["app_permissions"]) & (1 << 3)  # never Administrator
