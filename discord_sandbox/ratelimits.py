"""Discord's REST rate limits as a bot feels them: the global limit, per-route buckets, the DM
opening brake, and the invalid-request ("Cloudflare") ban.

Rules from Discord's developer docs, topics/rate-limits.mdx
(https://discord.com/developers/docs/topics/rate-limits):
- "Global Rate Limit": 50 requests per second per bot; interaction endpoints are exempt
  (interactions/receiving-and-responding.mdx, "Endpoints": "not bound to the application's
  Global Rate Limit" — the callback, `@original` and follow-ups).
- "Per-route rate limits" count per top-level resource (channel, guild, webhook id + token);
  `X-RateLimit-Bucket` names the limit "non-inclusive of top-level resources", so two routes of
  one bucket answer the same hash ("Header Format").
- "Exceeding A Rate Limit": a 429 with a JSON body `{message, retry_after, global, code?}`,
  `Retry-After`, `X-RateLimit-Scope` (`user`, `global` or `shared`) and, for the global limit,
  `X-RateLimit-Global: true`.
- "Invalid Request Limit aka Cloudflare bans": 10,000 responses with 401, 403 or 429 within
  10 minutes restrict the client for a while; 429s with scope `shared` do not count.

Discord does not publish per-route numbers ("should not be hard coded"); the defaults below
are the ones bots observe in headers, and every one is a field of `RateLimits`, so a test or a
benchmark can set its own (`SandboxServer.rate_limits = RateLimits(...)`).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from discord_sandbox.clock import SandboxClock

GLOBAL_LIMIT_PER_S = 50  # rate-limits.mdx, "Global Rate Limit"
INVALID_REQUESTS_LIMIT = 10_000  # rate-limits.mdx, "Invalid Request Limit aka Cloudflare bans"
INVALID_REQUESTS_WINDOW_S = 600.0  # "10,000 per 10 minutes"
# The docs say "temporarily" without a length; bots report one hour
# (github.com/discord/discord-api-docs/issues/5385: "a retry after of 1 hour").
BAN_S = 3600.0
# Discord's 40003 "You are opening direct messages too fast" has no published threshold; bots
# report that a handful of DMs at once pass and "a few dozen at once" fail. We refuse the 26th
# DM channel with a *new* recipient within a minute: re-opening a DM the bot already has is not
# what the brake is for (it stops mass DMs to strangers), and a shop delivering to 25 different
# buyers in one minute is a rush that should feel it.
NEW_DM_RECIPIENTS_PER_WINDOW = 25
NEW_DM_WINDOW_S = 60.0


@dataclass(frozen=True)
class RouteLimit:
    """One bucket's allowance.

    Parameters:
      limit: requests allowed within `window_s` (`X-RateLimit-Limit`).
      window_s: the window in seconds.
      shared: a per-resource limit shared by every client of the resource (scope `shared`,
        not counted as an invalid request), instead of a per-bot one (scope `user`).
      code: the JSON error code Discord adds to this limit's 429, if any.
    """

    limit: int
    window_s: float
    shared: bool = False
    code: int | None = None


MESSAGE_POSTS = RouteLimit(5, 5.0)  # per channel
MESSAGE_EDITS = RouteLimit(5, 5.0)  # per channel
# Creating and deleting channels are writes on the guild, limited for everyone writing there:
# code 20029 "The write action you are performing on the server has hit the write rate limit"
# (opcodes-and-status-codes.mdx, "JSON Error Codes"). Shared, because a client cannot see it
# coming: `DELETE /channels/{id}`'s top-level resource is the channel, so a client's buckets
# (py-cord's too) count each channel apart, while the limit counts the guild's deletes.
CHANNEL_CREATES = RouteLimit(10, 10.0, shared=True, code=20029)  # per guild
CHANNEL_DELETES = RouteLimit(5, 5.0, shared=True, code=20029)  # per guild
DM_OPENS = RouteLimit(10, 10.0)  # per bot: `POST /users/@me/channels` has no top-level id
OTHER_ROUTES = RouteLimit(1000, 1.0)  # generous: what no flow of ours comes near


@dataclass
class RateLimits:
    """Every limit the sandbox enforces; Discord's values by default."""

    global_per_s: int = GLOBAL_LIMIT_PER_S
    message_posts: RouteLimit = MESSAGE_POSTS
    message_edits: RouteLimit = MESSAGE_EDITS
    channel_creates: RouteLimit = CHANNEL_CREATES
    channel_deletes: RouteLimit = CHANNEL_DELETES
    dm_opens: RouteLimit = DM_OPENS
    other_routes: RouteLimit = OTHER_ROUTES
    new_dm_recipients: int = NEW_DM_RECIPIENTS_PER_WINDOW
    new_dm_window_s: float = NEW_DM_WINDOW_S
    invalid_requests: int = INVALID_REQUESTS_LIMIT
    invalid_window_s: float = INVALID_REQUESTS_WINDOW_S
    ban_s: float = BAN_S


@dataclass(frozen=True)
class Route:
    """Where one request falls: its bucket and the resource it is counted on.

    Parameters:
      name: method and path template, as a benchmark reports it ("POST /channels/{channel_id}/messages").
      bucket: the opaque `X-RateLimit-Bucket` hash, shared by the routes of one bucket.
      resource: the top-level resource the bucket counts on ("" when none).
      limit: the bucket's allowance.
      exempt_from_global: interaction endpoints are not bound to the global limit.
    """

    name: str
    bucket: str
    resource: str
    limit: RouteLimit
    exempt_from_global: bool


# (method, path template under /api/v10) → the RateLimits field holding its limit
_NAMED_BUCKETS = {
    ("POST", "/channels/{channel_id}/messages"): "message_posts",
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"): "message_edits",
    ("POST", "/guilds/{guild_id}/channels"): "channel_creates",
    ("DELETE", "/channels/{channel_id}"): "channel_deletes",
    ("POST", "/users/@me/channels"): "dm_opens",
}


def _bucket_hash(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:32]


def classify(
    method: str,
    template: str,
    params: Mapping[str, str],
    limits: RateLimits,
    guild_of_channel: Callable[[str], str | None],
) -> Route:
    """The bucket of a request to `template` (a path under /api/v10 with `{placeholders}`)."""
    named = _NAMED_BUCKETS.get((method, template))
    if named == "channel_deletes":
        resource = guild_of_channel(params["channel_id"]) or params["channel_id"]
    elif "channel_id" in params:
        resource = params["channel_id"]
    elif "guild_id" in params:
        resource = params["guild_id"]
    elif "token" in params:  # a webhook counts on its id and token
        resource = f"{params.get('app_id') or params.get('interaction_id')}/{params['token']}"
    else:
        resource = ""
    limit: RouteLimit = getattr(limits, named) if named else limits.other_routes
    return Route(
        name=f"{method} {template}",
        bucket=_bucket_hash(named or f"{method} {template}"),
        resource=resource,
        limit=limit,
        exempt_from_global=template.startswith(("/interactions/", "/webhooks/")),
    )


@dataclass
class Refusal:
    """A 429: how long to wait, whose limit it was, and the headers Discord sends with it."""

    retry_after: float
    scope: str  # "user", "global" or "shared"
    headers: dict[str, str]
    code: int | None = None

    @property
    def is_global(self) -> bool:
        return self.scope == "global"


@dataclass
class RateLimiter:
    """The windows of every client (a token; "" for requests without one) and what they cost.

    Discord counts the invalid-request limit per IP address; every sandbox client shares
    127.0.0.1, so the sandbox counts it per token instead, which keeps one test's bot from
    banning another's.

    Parameters:
      clock: the sandbox clock every window is measured on.
      limits: the allowances (replaceable at any time).
    """

    clock: SandboxClock
    limits: RateLimits = field(default_factory=RateLimits)
    rejected: Counter[str] = field(default_factory=Counter)  # 429s per client
    rejected_by_route: Counter[str] = field(default_factory=Counter)  # 429s per route name
    # Requests seen per client, and those admitted that count toward the global limit: a
    # benchmark's "share of 429s" and the floor the global limit sets on its work.
    requests: Counter[str] = field(default_factory=Counter)
    admitted_global: Counter[str] = field(default_factory=Counter)
    _global: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _windows: dict[tuple[str, str, str], deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _invalid: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _banned_until: dict[str, float] = field(default_factory=dict)
    _new_dms: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def ban_left(self, client: str) -> float:
        """Seconds until `client` may use the API again; 0 when not banned."""
        return max(0.0, self._banned_until.get(client, 0.0) - self.clock.monotonic())

    def admit(self, client: str, route: Route) -> dict[str, str] | Refusal:
        """The rate-limit headers of an admitted request, or the refusal of a limited one."""
        now = self.clock.monotonic()
        self.requests[client] += 1
        hits = self._global[client]
        _forget_before(hits, now - 1.0)
        if not route.exempt_from_global and len(hits) >= self.limits.global_per_s:
            retry = 1.0 - (now - hits[0])
            return self._refuse(
                client,
                route,
                Refusal(retry, "global", {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"}),
            )
        allowance = route.limit
        # A shared limit counts every client of the resource together.
        window = self._windows[("" if allowance.shared else client, route.bucket, route.resource)]
        _forget_before(window, now - allowance.window_s)
        if len(window) >= allowance.limit:
            retry = allowance.window_s - (now - window[0])
            headers = self._headers(route, 0, retry)
            headers["X-RateLimit-Scope"] = "shared" if allowance.shared else "user"
            return self._refuse(
                client, route, Refusal(retry, headers["X-RateLimit-Scope"], headers, allowance.code)
            )
        if not route.exempt_from_global:
            hits.append(now)
            self.admitted_global[client] += 1
        window.append(now)
        return self._headers(route, allowance.limit - len(window), allowance.window_s - (now - window[0]))

    def _refuse(self, client: str, route: Route, refusal: Refusal) -> Refusal:
        refusal.retry_after = max(0.001, refusal.retry_after)
        self.rejected[client] += 1
        self.rejected_by_route["global" if refusal.is_global else route.name] += 1
        return refusal

    def _headers(self, route: Route, remaining: int, reset_after: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(route.limit.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{self.clock.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": route.bucket,
        }

    def opens_new_dm(self, client: str) -> bool:
        """Count a DM channel with a new recipient; False when that is one too many (40003)."""
        now = self.clock.monotonic()
        opened = self._new_dms[client]
        _forget_before(opened, now - self.limits.new_dm_window_s)
        if len(opened) >= self.limits.new_dm_recipients:
            return False
        opened.append(now)
        return True

    def answered(self, client: str, status: int, scope: str | None) -> None:
        """Count an invalid request (401, 403, or a 429 not of scope `shared`); ban at the limit."""
        if status not in (401, 403, 429) or scope == "shared":
            return
        now = self.clock.monotonic()
        invalid = self._invalid[client]
        _forget_before(invalid, now - self.limits.invalid_window_s)
        invalid.append(now)
        if len(invalid) >= self.limits.invalid_requests:
            self._banned_until[client] = now + self.limits.ban_s

    def invalid_requests(self, client: str) -> int:
        """Invalid requests of `client` within the last 10 minutes."""
        invalid = self._invalid.get(client)
        if not invalid:
            return 0
        _forget_before(invalid, self.clock.monotonic() - self.limits.invalid_window_s)
        return len(invalid)

    def clients(self) -> list[str]:
        """Every client that made an invalid request or was refused."""
        return sorted(set(self._invalid) | set(self.rejected))


def _forget_before(hits: deque[float], cutoff: float) -> None:
    while hits and hits[0] <= cutoff:
        hits.popleft()
