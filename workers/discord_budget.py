"""One Discord request budget per bot token, shared through Redis by every process that talks
to Discord with it: the bot, any number of worker processes, the dashboard.

Discord's rules (its developer docs, topics/rate-limits.mdx,
https://discord.com/developers/docs/topics/rate-limits):
- "Global Rate Limit": 50 requests per second per bot, whatever process sends them.
  Interaction callbacks and their follow-up webhooks are exempt
  (interactions/receiving-and-responding.mdx, "Endpoints").
- "Per-route rate limits": each route's bucket, counted per top-level resource (a channel, a
  guild, a webhook), is announced in the answer's headers: `X-RateLimit-Bucket`, `-Limit`,
  `-Remaining`, `-Reset-After` ("Header Format"); the numbers "should not be hard coded".

py-cord keeps both in memory, per process: three workers and a bot each think they have 50 a
second, and a crowd clicking Buy gets hundreds of 429s. Here every request first draws from
the shared budget:

- The global limit is our own small Lua over a sorted set (`_TAKE_GLOBAL`): Discord counts a
  request when it *arrives*, and we cannot know when that is, only that it is between when
  we send it and when the answer comes back. So a request holds its place from the moment it
  leaves until one second after its answer: whatever the delays, no second of Discord's ever
  sees more than `global_per_s` of ours. (A moving window that stamps a request once, when it
  leaves, as `limits` does, let 2-5 of 200 posts through too many when three processes and
  the sandbox shared two busy cores, even at 40 a second: the requests of one second arrived
  spread out and ran into the next second's.)
- Priorities: a request of what a paying buyer waits for (a ticket channel, its
  instructions, the delivery DM) is `HIGH`; panel edits and notices are `LOW` and must first
  fit in a moving window of their own (`low_per_s`, kept by the `limits` library in the same
  Redis), so however long a low-priority flood lasts, high-priority requests always find
  `global_per_s - low_per_s` free places a second.
- Per-route buckets are not something `limits` can express either: their size and reset are
  learned at run time from Discord's headers, and Discord (not our clock) decides when a
  window resets. That part is Lua too (`_TAKE_ROUTE`, `_LEARN_ROUTE`): the last announced
  `Remaining` and reset per bucket and resource, taken from by every process. A bucket
  nobody knows yet (or whose window has passed) lets one request through to find out and
  holds the others until its answer is learned.

Which priority a request has is the caller's to say: `with low_priority(): ...` around it (a
context variable, so it follows the call down into py-cord). Everything is `HIGH` unless
marked.

If Redis cannot be reached, requests are not held: they go out under py-cord's own
in-process limits, the outage is logged once, and Redis is tried again after a few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import logging
import re
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from discord.http import HTTPClient
from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

DISCORD_GLOBAL_PER_S = 50  # rate-limits.mdx, "Global Rate Limit"
GLOBAL_PER_S = DISCORD_GLOBAL_PER_S - 2  # counted conservatively (see above); 2 spare for retries
LOW_PER_S = 30  # low priority's ceiling: high priority always has 18 a second to itself
# A request's place in the global window is held until its answer; one that never gets an
# answer (its process died) gives it back after this long.
FLIGHT_CAP_MS = 10_000
GLOBAL_POLL_S = 0.02
# A bucket being found out holds the others of its resource until its answer is learned; if
# the process that sent it dies, the hold ends after this long.
PROBE_HOLD_MS = 2_000
PROBE_POLL_S = 0.02
# After Redis failed, requests go out unbudgeted for this long before Redis is tried again.
REDIS_RETRY_AFTER_S = 5.0
# A stopped Redis refuses at once; this bounds only a Redis that hangs. 1 s was too tight on a
# loaded 2-core machine (CI): a slow answer made the budget step aside during a flood.
REDIS_TIMEOUT_S = 3.0


class Priority(enum.Enum):
    HIGH = "high"  # what a paying buyer waits for
    LOW = "low"  # panel edits, notices


request_priority: ContextVar[Priority] = ContextVar("discord_request_priority", default=Priority.HIGH)


@contextlib.contextmanager
def low_priority() -> Iterator[None]:
    """Discord requests made inside this block yield to a buyer's (panel edits, notices)."""
    token = request_priority.set(Priority.LOW)
    try:
        yield
    finally:
        request_priority.reset(token)


@dataclass(frozen=True)
class RouteKey:
    """Where a request is counted: its route, the top-level resource, and whether the global
    limit applies.

    Parameters:
      route: method and path with ids as `{id}`: "POST channels/{id}/messages".
      resource: the top-level resource ("channels/123"), "" when the route has none.
      exempt: interaction callbacks and webhooks (with a token) skip the global limit.
    """

    route: str
    resource: str
    exempt: bool


_API_PATH = re.compile(r"/api(?:/v\d+)?(/.*)$")
_TOP_LEVEL = ("channels", "guilds")
_TOKENED = ("webhooks", "interactions")


def route_of(method: str, url: str) -> RouteKey:
    """The bucket key of a request to `url` (rate-limits.mdx, "Per-route rate limits": the
    top-level resources are channels, guilds and webhooks)."""
    path = url.split("?", 1)[0]
    match = _API_PATH.search(path)
    parts = [p for p in (match.group(1) if match else path).split("/") if p]
    resource, exempt = "", False
    if parts and parts[0] in _TOP_LEVEL and len(parts) > 1:
        resource = "/".join(parts[:2])
    elif parts and parts[0] in _TOKENED and len(parts) > 2:
        resource, exempt = "/".join(parts[:3]), True
    template = []
    for i, part in enumerate(parts):
        if part.isdigit():
            template.append("{id}")
        elif i == 2 and parts[0] in _TOKENED:
            template.append("{token}")
        elif i > 0 and parts[i - 1] == "reactions":
            template.append("{emoji}")
        else:
            template.append(part)
    return RouteKey(f"{method.upper()} {'/'.join(template)}", resource, exempt)


# KEYS: the global window. ARGV: limit, request id, flight cap (ms). Each member is a request,
# scored with the time its place is given back: while in flight, its departure + the cap;
# once answered (`_ANSWERED_GLOBAL`), its answer + 1 s. Returns 0 to go, else ms to wait.
_TAKE_GLOBAL = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + 1000 + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], 1000 + tonumber(ARGV[3]))
  return 0
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(first[2]) - now)
"""

_ANSWERED_GLOBAL = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
return redis.call('ZADD', KEYS[1], 'XX', now + 1000, ARGV[1])
"""

# KEYS: route map, probe key of the route. ARGV: key prefix, resource, probe hold (ms).
# Returns 0 to go, else how many ms to wait before asking again.
_TAKE_ROUTE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local bucket = redis.call('GET', KEYS[1])
local probe = KEYS[2]
if bucket then
  local key = ARGV[1] .. 'bucket:' .. bucket .. ':' .. ARGV[2]
  probe = key .. ':probe'
  local state = redis.call('HMGET', key, 'remaining', 'reset_at')
  if state[1] and tonumber(state[2]) > now then
    if tonumber(state[1]) > 0 then
      redis.call('HINCRBY', key, 'remaining', -1)
      return 0
    end
    return tonumber(state[2]) - now
  end
end
if redis.call('SET', probe, '1', 'NX', 'PX', ARGV[3]) then
  return 0
end
return -1
"""

# KEYS: route map, probe key of the route. ARGV: key prefix, resource, bucket ('' when the
# answer named none), remaining, reset after (ms). Within one window the lowest `remaining`
# wins: another process may have taken from it after Discord counted this request.
_LEARN_ROUTE = """
redis.call('DEL', KEYS[2])
if ARGV[3] == '' then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3], 'EX', 86400)
local key = ARGV[1] .. 'bucket:' .. ARGV[3] .. ':' .. ARGV[2]
redis.call('DEL', key .. ':probe')
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local remaining = tonumber(ARGV[4])
local reset_at = now + tonumber(ARGV[5])
local state = redis.call('HMGET', key, 'remaining', 'reset_at')
if state[1] and tonumber(state[2]) > now then
  remaining = math.min(remaining, tonumber(state[1]))
end
redis.call('HSET', key, 'remaining', remaining, 'reset_at', reset_at)
redis.call('PEXPIREAT', key, reset_at)
return remaining
"""


@dataclass
class Draw:
    """One request's draw on the budget; `answered` records what Discord said."""

    key: RouteKey
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    in_global: bool = False
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def answered(self, status: int, headers: Mapping[str, str]) -> None:
        self.status, self.headers = status, headers


class RequestBudget:
    """The budget of one bot token, shared through Redis.

    Parameters:
      redis_url: the Redis every process of the store uses.
      token: the bot token (only a hash of it names the Redis keys).
      global_per_s: requests a second all processes together send under the global limit.
      low_per_s: of those, how many low-priority ones at most.
    """

    def __init__(
        self,
        redis_url: str,
        token: str,
        global_per_s: int = GLOBAL_PER_S,
        low_per_s: int = LOW_PER_S,
    ) -> None:
        self.prefix = f"discord-budget:{hashlib.sha256(token.encode()).hexdigest()[:16]}:"
        self.redis = Redis.from_url(
            redis_url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
        )
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            connection_pool=self.redis.connection_pool,
            key_prefix=self.prefix + "window",
        )
        self.limiter = MovingWindowRateLimiter(storage)
        self.global_per_s = global_per_s
        self.low_window = RateLimitItemPerSecond(low_per_s)
        self._take_global = self.redis.register_script(_TAKE_GLOBAL)
        self._answered_global = self.redis.register_script(_ANSWERED_GLOBAL)
        self._global_key = self.prefix + "global"
        self._take_route = self.redis.register_script(_TAKE_ROUTE)
        self._learn_route = self.redis.register_script(_LEARN_ROUTE)
        # One waiter per priority in this process asks Redis; the others queue behind it, so a
        # crowd waiting for the next free place costs Redis one call, not one each.
        self._turns = {Priority.HIGH: asyncio.Lock(), Priority.LOW: asyncio.Lock()}
        self._redis_away_until = 0.0

    # --- drawing -------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def draw(self, method: str, url: str) -> AsyncIterator[Draw]:
        """Wait for this request's turn; the block sends it and records the answer."""
        draw = Draw(route_of(method, url))
        if draw.key.exempt:
            # An interaction's token is answered by the one process that received it: nothing
            # to share with other processes, and no global place to hold. py-cord's own
            # per-route lock still applies; a rush of Buy clicks spends no Redis round trip here.
            yield draw
            return
        await self._redis_or_not(self._wait_turn(draw))
        try:
            yield draw
        finally:
            await self._redis_or_not(self._learn(draw))

    async def aiohttp_middleware(
        self, request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        """aiohttp client middleware: runs around every attempt py-cord makes, retries too."""
        async with self.draw(request.method, str(request.url)) as draw:
            response = await handler(request)
            draw.answered(response.status, response.headers)
            return response

    async def _wait_turn(self, draw: Draw) -> None:
        # The route first: a request waiting for its bucket's reset must not hold a global place.
        key = draw.key
        # Routes without a top-level resource (opening a DM) have a bucket too: the bot's own.
        while True:
            wait_ms = await self._take_route(keys=self._route_keys(key), args=self._route_args(key))
            if wait_ms == 0:
                break
            # < 0: someone is finding the bucket out; else Discord's reset is that far away
            await asyncio.sleep(PROBE_POLL_S if wait_ms < 0 else wait_ms / 1000)
        if key.exempt:
            return
        priority = request_priority.get()
        async with self._turns[priority]:
            if priority is Priority.LOW:
                while not await self.limiter.hit(self.low_window, "low"):
                    stats = await self.limiter.get_window_stats(self.low_window, "low")
                    await asyncio.sleep(max(0.002, stats.reset_time - time.time()))
            while True:
                wait_ms = await self._take_global(
                    keys=[self._global_key], args=[self.global_per_s, draw.id, FLIGHT_CAP_MS]
                )
                if wait_ms == 0:
                    draw.in_global = True
                    return
                # the earliest place may belong to a request still in flight: look again soon
                await asyncio.sleep(min(GLOBAL_POLL_S, wait_ms / 1000))

    async def _learn(self, draw: Draw) -> None:
        if draw.in_global:
            await self._answered_global(keys=[self._global_key], args=[draw.id])
        headers = draw.headers
        bucket = headers.get("X-RateLimit-Bucket", "") if draw.status is not None else ""
        remaining, reset_after = headers.get("X-RateLimit-Remaining"), headers.get("X-RateLimit-Reset-After")
        if bucket and (remaining is None or reset_after is None):
            bucket = ""
        args = [*self._route_args(draw.key)[:2], bucket]
        if bucket:
            args += [int(remaining or 0), max(1, int(float(reset_after or 0) * 1000))]
        await self._learn_route(keys=self._route_keys(draw.key), args=args)

    def _route_keys(self, key: RouteKey) -> list[str]:
        return [f"{self.prefix}route:{key.route}", f"{self.prefix}probe:{key.route}:{key.resource}"]

    def _route_args(self, key: RouteKey) -> list[Any]:
        return [self.prefix, key.resource, PROBE_HOLD_MS]

    # --- without Redis -------------------------------------------------------------------

    async def _redis_or_not(self, work: Any) -> None:
        """Run `work` against Redis; if Redis is away, go on without the budget (py-cord's
        own limits still apply) and say so once."""
        if time.monotonic() < self._redis_away_until:
            work.close()
            return
        try:
            await work
        except (RedisError, StorageError, OSError) as error:
            if not self._redis_away_until:
                log.warning(
                    "Discord request budget: Redis unreachable (%s); requests go out under "
                    "this process's own limits until it answers",
                    error,
                )
            self._redis_away_until = time.monotonic() + REDIS_RETRY_AFTER_S
            return
        if self._redis_away_until:
            log.info("Discord request budget: Redis answers again; requests share the budget")
            self._redis_away_until = 0.0

    async def close(self) -> None:
        await self.redis.aclose()


def share_budget(http: HTTPClient, budget: RequestBudget) -> None:
    """Make every request of py-cord's `http` draw from `budget`.

    py-cord passes `HTTPClient.request`'s extra keywords to aiohttp for each attempt, so an
    aiohttp middleware given there runs around every attempt, retries after a 429 included,
    and py-cord's own bucket locks and retry loop stay as they are."""
    request = http.request

    async def budgeted(route: Any, **kwargs: Any) -> Any:
        return await request(route, middlewares=(budget.aiohttp_middleware,), **kwargs)

    http.request = budgeted  # type: ignore[method-assign]


_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], RequestBudget]] = (
    weakref.WeakKeyDictionary()
)


def budget_for(redis_url: str, token: str) -> RequestBudget | None:
    """This event loop's budget for `token` (None without Redis or a token): for a process
    like the dashboard that makes a few calls from wherever it is."""
    if not redis_url or not token:
        return None
    budgets = _per_loop.setdefault(asyncio.get_running_loop(), {})
    if (redis_url, token) not in budgets:
        budgets[(redis_url, token)] = RequestBudget(redis_url, token)
    return budgets[(redis_url, token)]
