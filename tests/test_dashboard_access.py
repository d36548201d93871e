"""Who may run which store: the Discord login (OAuth2 against the sandbox) and the server-side
check every dashboard page and action makes. Fast: no browser, the routes called in-process."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from starlette.applications import Starlette

from models.dashboard_session import DashboardSession
from models.store import Store, utcnow
from tests.conftest import GUILD
from web import access, discord_api, oauth
from web import session as sessions

CLIENT_ID, CLIENT_SECRET = "900000000000000077", "client-secret"
DASHBOARD = "http://dashboard.test"


@pytest.fixture
def configured(settings, sandbox, world, monkeypatch):
    settings.discord_token = settings.discord_token.__class__(world["token"])
    settings.discord_api_base_url = sandbox.api_base
    settings.discord_client_id = CLIENT_ID
    settings.discord_client_secret = settings.discord_client_secret.__class__(CLIENT_SECRET)
    settings.public_url = DASHBOARD
    for module in (oauth, discord_api, sessions, access):
        if hasattr(module, "get_settings"):
            monkeypatch.setattr(module, "get_settings", lambda: settings)
    sandbox.call(sandbox.server.add_oauth_app, CLIENT_ID, CLIENT_SECRET, f"{DASHBOARD}/auth/callback")
    return settings


@pytest.fixture
async def dashboard(configured):
    app = Starlette(routes=oauth.ROUTES)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=DASHBOARD) as client:
        yield client


async def log_in(dashboard: httpx.AsyncClient, user_id: int) -> httpx.Response:
    """The whole dance: our /auth/login → the sandbox's consent → our /auth/callback."""
    start = await dashboard.get("/auth/login")
    assert start.status_code == 302
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(start.headers["location"] + f"&login_as={user_id}")
    assert consent.status_code == 302 and consent.headers["location"].startswith(f"{DASHBOARD}/auth/callback")
    return await dashboard.get(consent.headers["location"].removeprefix(DASHBOARD))


def cookie_header(response: httpx.Response) -> str:
    return f"{sessions.COOKIE}={response.cookies[sessions.COOKIE]}"


async def test_a_forged_login_callback_is_refused_and_starts_no_session(dashboard, store):
    await dashboard.get("/auth/login")  # the browser now holds the real state
    forged = await dashboard.get("/auth/callback?code=stolen&state=made-up")
    assert forged.status_code == 302 and forged.headers["location"] == "/login?error=state"
    assert sessions.COOKIE not in forged.cookies
    assert await DashboardSession.find_all().count() == 0


async def test_the_owner_logs_in_and_may_run_only_their_store(dashboard, store, world, sandbox):
    other = sandbox.call(sandbox.server.add_guild, "Other", world["stranger"], 1_000_000_000_000_999)
    await Store(guild_id=other.id, name="Other").insert()

    done = await log_in(dashboard, world["seller"].id)
    assert done.status_code == 302 and done.headers["location"] == "/"
    set_cookie = done.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie
    cookie = cookie_header(done)

    allowed = await access.check(cookie, GUILD)
    assert allowed.store.guild_id == GUILD and allowed.session.username == "seller"
    with pytest.raises(access.Refused, match="cannot manage"):
        await access.check(cookie, other.id)  # not a member there
    with pytest.raises(access.Refused, match="no such store"):
        await access.check(cookie, "1 OR 1=1")
    tampered = cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB")
    with pytest.raises(access.Refused, match="log in"):
        await access.check(tampered, GUILD)


async def test_a_member_without_manage_server_needs_a_seller_role(dashboard, store, world, sandbox):
    buyer = world["buyer"]
    plain = await log_in(dashboard, buyer.id)
    with pytest.raises(access.Refused):
        await access.check(cookie_header(plain), GUILD)

    def give_role():
        role = sandbox.server.add_role(world["guild"], "penjual")
        sandbox.server.guilds[GUILD].members[buyer.id].roles.append(role.id)
        return role

    role = sandbox.call(give_role)
    await Store.get_pymongo_collection().update_one(
        {"guild_id": GUILD}, {"$set": {"tickets.seller_role_ids": [role.id]}}
    )
    helper = await log_in(dashboard, buyer.id)  # roles are read at login, with the bot's token
    cookie = cookie_header(helper)
    assert (await access.check(cookie, GUILD)).store.guild_id == GUILD

    # The role is taken away in Discord; once what we read is older than ROLES_FRESH_FOR, the
    # next request reads the roles again and is refused.
    sandbox.call(lambda: sandbox.server.guilds[GUILD].members[buyer.id].roles.remove(role.id))
    assert (await access.check(cookie, GUILD)).store.guild_id == GUILD  # still fresh
    await DashboardSession.get_pymongo_collection().update_many(
        {}, {"$set": {"guilds.$[].roles_read_at": utcnow() - access.ROLES_FRESH_FOR - timedelta(seconds=1)}}
    )
    with pytest.raises(access.Refused, match="cannot manage"):
        await access.check(cookie, GUILD)


async def test_logging_out_ends_the_session_on_the_server(dashboard, store, world):
    cookie = cookie_header(await log_in(dashboard, world["seller"].id))
    await access.check(cookie, GUILD)
    out = await dashboard.get("/auth/logout", headers={"cookie": cookie})
    assert out.status_code == 302 and out.headers["location"] == "/login"
    with pytest.raises(access.Refused, match="log in"):
        await access.check(cookie, GUILD)  # the old cookie is worthless now
