"""Log in with Discord (OAuth2, scopes `identify guilds`), as HTTP routes on Reflex's backend.

/auth/login sends the browser to Discord with a fresh `state`, also kept in a short-lived
HttpOnly cookie; /auth/callback accepts the answer only when both match, trades the code for
a token (authlib), reads who the user is and which guilds they are in, and starts a session
(`web.session`). /auth/logout ends it on the server and clears the cookie.
"""

from __future__ import annotations

import hmac
import logging
import secrets

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from models.dashboard_session import GuildMembership
from models.settings import get_settings
from models.store import Store, utcnow
from web import discord_api
from web import session as sessions

log = logging.getLogger(__name__)

STATE_COOKIE = "store_oauth_state"
SCOPES = "identify guilds"


def _client() -> AsyncOAuth2Client:
    settings = get_settings()
    return AsyncOAuth2Client(
        client_id=settings.discord_client_id,
        client_secret=settings.discord_client_secret.get_secret_value(),
        scope=SCOPES,
        redirect_uri=f"{settings.public_url.rstrip('/')}/auth/callback",
        token_endpoint_auth_method="client_secret_post",
        timeout=10,
    )


def _secure() -> bool:
    return get_settings().public_url.startswith("https://")


async def login(request: Request) -> Response:
    state = secrets.token_urlsafe(24)
    async with _client() as client:
        url, _ = client.create_authorization_url(discord_api.authorize_url(), state=state)
    response = RedirectResponse(url, 302)
    response.set_cookie(
        STATE_COOKIE, state, max_age=600, httponly=True, samesite="lax", secure=_secure(), path="/auth"
    )
    return response


def _refuse(reason: str) -> Response:
    log.warning("dashboard login refused: %s", reason)
    response = RedirectResponse(f"/login?error={reason}", 302)
    response.delete_cookie(STATE_COOKIE, path="/auth")
    return response


async def callback(request: Request) -> Response:
    expected = request.cookies.get(STATE_COOKIE, "")
    state = request.query_params.get("state", "")
    if not expected or not hmac.compare_digest(expected.encode(), state.encode()):
        return _refuse("state")  # a forged or replayed callback
    code = request.query_params.get("code")
    if not code:
        return _refuse("denied")
    try:
        async with _client() as client:
            await client.fetch_token(discord_api.token_url(), code=code)
            me = (await client.get(f"{discord_api.api_base()}/users/@me")).json()
            guilds = (await client.get(f"{discord_api.api_base()}/users/@me/guilds")).json()
        memberships = [
            GuildMembership(
                id=int(g["id"]),
                name=g.get("name", ""),
                icon=g.get("icon"),
                owner=bool(g.get("owner")),
                permissions=int(g.get("permissions", 0)),
            )
            for g in guilds
        ]
        user_id = int(me["id"])
        with_store = {
            s.guild_id async for s in Store.find({"guild_id": {"$in": [g.id for g in memberships]}})
        }
        async with httpx.AsyncClient(timeout=5) as http:
            for guild in memberships:
                if guild.id in with_store:
                    guild.role_ids = await discord_api.member_roles(http, guild.id, user_id)
                    guild.roles_read_at = utcnow()
    except Exception as error:  # Discord down, a bad client secret, a malformed answer
        log.warning("dashboard login failed: %r", error)
        return _refuse("discord")
    cookie = await sessions.start(user_id, str(me.get("username", "")), me.get("avatar"), memberships)
    response = RedirectResponse("/", 302)
    response.delete_cookie(STATE_COOKIE, path="/auth")
    response.set_cookie(
        sessions.COOKIE,
        cookie,
        max_age=int(sessions.LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(),
        path="/",
    )
    return response


async def logout(request: Request) -> Response:
    await sessions.end(request.cookies.get(sessions.COOKIE))
    response = RedirectResponse("/login", 302)
    response.delete_cookie(sessions.COOKIE, path="/")
    return response


ROUTES = [
    Route("/auth/login", login, methods=["GET"]),
    Route("/auth/callback", callback, methods=["GET"]),
    Route("/auth/logout", logout, methods=["GET", "POST"]),
]
