"""The dashboard's session cookie: a random token, signed with the store's secret key.

Only the token's SHA-256 is stored (`DashboardSession.token_hash`), so a database dump does
not hold usable cookies; the signature lets a forged or truncated cookie be refused before
any lookup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta
from http.cookies import SimpleCookie

from models.dashboard_session import DashboardSession, GuildMembership
from models.settings import get_settings
from models.store import utcnow

COOKIE = "store_session"
LIFETIME = timedelta(hours=12)


def _sign(token: str) -> str:
    key = hashlib.sha256(b"discord-store/session/v1\x00" + get_settings().resolved_secret_key()).digest()
    digest = hmac.new(key, token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cookie_value(token: str) -> str:
    return f"{token}.{_sign(token)}"


def token_from(value: str | None) -> str | None:
    """The token of a well-signed cookie value, else None."""
    if not value or value.count(".") != 1:
        return None
    token, signature = value.split(".")
    return token if hmac.compare_digest(signature.encode(), _sign(token).encode()) else None


def cookie_from_header(header: str | None, name: str = COOKIE) -> str | None:
    """One cookie out of a raw `Cookie:` header."""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header or "")
    except Exception:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


async def start(user_id: int, username: str, avatar: str | None, guilds: list[GuildMembership]) -> str:
    """A new session; returns the cookie value to set."""
    token = secrets.token_urlsafe(32)
    await DashboardSession(
        token_hash=_hash(token),
        user_id=user_id,
        username=username,
        avatar=avatar,
        guilds=guilds,
        expires_at=utcnow() + LIFETIME,
    ).insert()
    return cookie_value(token)


async def find(cookie: str | None) -> DashboardSession | None:
    """The live session a cookie value stands for, or None."""
    token = token_from(cookie)
    if token is None:
        return None
    session = await DashboardSession.find_one(DashboardSession.token_hash == _hash(token))
    if session is None or session.expires_at <= utcnow():
        return None
    return session


async def end(cookie: str | None) -> None:
    """Log out: the session is deleted on the server."""
    token = token_from(cookie)
    if token is not None:
        await DashboardSession.get_pymongo_collection().delete_one({"token_hash": _hash(token)})
