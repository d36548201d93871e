"""The few Discord REST calls the dashboard makes: OAuth2 endpoints, the user's guilds, and
with the bot's token a guild's channels and a member's roles. Points at the sandbox when
`STORE_DISCORD_API_BASE_URL` is set.

Calls with the bot's token count against the same Discord limits as the bot's and the
workers' (rate-limits.mdx, "Global Rate Limit": per bot, not per process), so they draw on
the token's shared request budget (`workers.discord_budget`): use `bot_client()`."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from models.settings import get_settings
from workers.discord_budget import RequestBudget, budget_for

DISCORD_API = "https://discord.com/api/v10"
TEXT_CHANNEL, CATEGORY = 0, 4


def api_base() -> str:
    return (get_settings().discord_api_base_url or DISCORD_API).rstrip("/")


def authorize_url() -> str:
    base = api_base()
    site = base[: base.index("/api")] if "/api" in base else base
    return f"{site}/oauth2/authorize"


def token_url() -> str:
    return f"{api_base()}/oauth2/token"


@dataclass(frozen=True)
class Channel:
    id: int
    name: str
    type: int
    parent_id: int | None


def _bot_headers() -> dict[str, str]:
    return {"Authorization": f"Bot {get_settings().discord_token.get_secret_value()}"}


class BudgetedTransport(httpx.AsyncBaseTransport):
    """httpx transport whose every request first waits for its turn in the bot token's budget.

    Parameters:
      budget: this process's `RequestBudget` for the token.
    """

    def __init__(self, budget: RequestBudget) -> None:
        self.budget = budget
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with self.budget.draw(request.method, str(request.url)) as draw:
            response = await self.inner.handle_async_request(request)
            draw.answered(response.status_code, response.headers)
            return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def bot_client(timeout: float = 5) -> httpx.AsyncClient:
    """An httpx client for calls with the bot's token: authorised, and drawing on the token's
    shared request budget (unbudgeted without Redis settings)."""
    settings = get_settings()
    budget = budget_for(settings.redis_url or "", settings.discord_token.get_secret_value())
    transport = BudgetedTransport(budget) if budget is not None else None
    return httpx.AsyncClient(timeout=timeout, headers=_bot_headers(), transport=transport)


async def guild_channels(guild_id: int) -> list[Channel]:
    """The guild's channels as the bot sees them (empty when Discord cannot be reached)."""
    try:
        async with bot_client() as http:
            response = await http.get(f"{api_base()}/guilds/{guild_id}/channels")
        if response.status_code != 200:
            return []
        return [
            Channel(
                int(c["id"]),
                c.get("name", ""),
                int(c.get("type", 0)),
                int(c["parent_id"]) if c.get("parent_id") else None,
            )
            for c in response.json()
        ]
    except (httpx.HTTPError, ValueError, KeyError):
        return []


async def member_roles(http: httpx.AsyncClient, guild_id: int, user_id: int) -> list[int]:
    """The user's role ids in a guild, read with the bot's token ([] when not a member).
    `http` is the caller's client; the call draws on the bot's budget all the same."""
    url = f"{api_base()}/guilds/{guild_id}/members/{user_id}"
    settings = get_settings()
    budget = budget_for(settings.redis_url or "", settings.discord_token.get_secret_value())
    if budget is None:
        response = await http.get(url, headers=_bot_headers())
    else:
        async with budget.draw("GET", url) as draw:
            response = await http.get(url, headers=_bot_headers())
            draw.answered(response.status_code, response.headers)
    if response.status_code != 200:
        return []
    return [int(r) for r in response.json().get("roles", [])]
