"""A seller's dashboard login: who they are and which guilds Discord said they are in.

The browser holds only a signed random token (cookie); the session lives here under the
token's SHA-256, so logging out or expiry ends it on the server, whatever the browser keeps.
"""

from __future__ import annotations

from datetime import datetime

from beanie import Document
from pydantic import BaseModel, Field
from pymongo import ASCENDING, IndexModel

from models.store import utcnow


class GuildMembership(BaseModel):
    """One guild of the user's, as Discord's OAuth2 `guilds` scope reported it at login.

    Parameters:
      permissions: the user's permission bits in the guild (Manage Server is 1 << 5).
      role_ids: the user's roles there, read with the bot's token (seller roles grant access).
    """

    id: int
    name: str
    icon: str | None = None
    owner: bool = False
    permissions: int = 0
    role_ids: list[int] = Field(default_factory=list)
    roles_read_at: datetime | None = None


class DashboardSession(Document):
    """A logged-in seller. Expires by itself (TTL index on `expires_at`)."""

    token_hash: str
    user_id: int
    username: str
    avatar: str | None = None
    guilds: list[GuildMembership] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime

    class Settings:
        name = "dashboard_sessions"
        indexes = [
            IndexModel([("token_hash", ASCENDING)], unique=True),
            IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0),
        ]
