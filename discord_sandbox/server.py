"""A local Discord: enough of REST v10, the gateway and OAuth2 for an unmodified py-cord bot.

Run it with `DiscordSandbox().start()` (its own thread and event loop); point py-cord at it
with `discord.http.Route.API_BASE_URL = sandbox.api_base`. The control API under
`/_sandbox/` acts as users (click, send a message, close DMs) and shows state, so tests in
other processes can drive it too. It refuses what Discord refuses, answering as Discord does
(README, "The Discord sandbox's rules").
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import secrets
import threading
import time
from collections import defaultdict
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web
from aiohttp.http_exceptions import HttpProcessingError

from discord_sandbox import intents as gateway_intents
from discord_sandbox.clock import SandboxClock
from discord_sandbox.ratelimits import RateLimiter, RateLimits, Refusal, Route, classify
from discord_sandbox.rules import (
    CALLBACK_TYPES,
    CHANNEL_TYPES,
    REQUEST_MAX_BYTES,
    FormErrors,
    body_object,
    check_message,
    check_modal,
    check_upload_sizes,
    invalid_json,
    parse_snowflake,
    path_id,
    too_large,
)
from discord_sandbox.state import (
    ADMINISTRATOR,
    ATTACH_FILES,
    CHANNELS_PER_CATEGORY,
    CHANNELS_PER_GUILD,
    DEFAULT_EVERYONE,
    DM_PERMISSIONS,
    MANAGE_CHANNELS,
    MANAGE_MESSAGES,
    MANAGE_ROLES,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    Attachment,
    Channel,
    DiscordError,
    Guild,
    Interaction,
    Member,
    Message,
    Overwrite,
    Role,
    User,
    highest_role_position,
    message_snowflake,
    permissions,
    snowflake,
)

# resources/message.mdx "Create Message", `enforce_nonce`: a nonce is unique "in the past few
# minutes"; Discord does not say how many, we take five.
NONCE_WINDOW_S = 5 * 60.0


refusals_log = logging.getLogger("discord_sandbox.refusals")


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly application/json: py-cord's login fails on "; charset=utf-8".
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers=headers, content_type="application/json"
    )


def _client(token: str) -> str:
    """The Authorization header a bare bot token is sent with."""
    return token if token.startswith(("Bot ", "Bearer ")) else f"Bot {token}"


def _rate_limited(refusal: Refusal) -> web.Response:
    """A 429 as rate-limits.mdx "Exceeding A Rate Limit" shows it; py-cord retries it only with
    a `Via` header and a JSON body (without them, discord/http.py takes the 429 for a Cloudflare
    ban and raises instead of waiting)."""
    body: dict[str, Any] = {
        "message": "You are being rate limited."
        if refusal.scope != "shared"
        else "The resource is being rate limited.",
        "retry_after": round(refusal.retry_after, 3),
        "global": refusal.is_global,
    }
    if refusal.code is not None:
        body["code"] = refusal.code
    headers = {**refusal.headers, "Retry-After": str(math.ceil(refusal.retry_after)), "Via": "1.1 google"}
    return _json(body, 429, headers)


def _cloudflare_ban() -> web.Response:
    """rate-limits.mdx "Invalid Request Limit aka Cloudflare bans": a restricted client gets
    Cloudflare's page, not Discord's JSON (py-cord raises it as Forbidden with the text)."""
    page = (
        "<!DOCTYPE html><html><head><title>Access denied | discord.com used Cloudflare to restrict"
        " access</title></head><body><h1>Error 1020</h1><p>Access denied</p><p>The owner of this"
        " website (discord.com) has banned you temporarily from accessing this website.</p></body></html>"
    )
    return web.Response(status=403, text=page, content_type="text/html")


class SandboxServer:
    """The sandbox's state and HTTP/websocket handlers (one event loop)."""

    def __init__(self) -> None:
        self.base_url = ""
        self.users: dict[int, User] = {}
        self.tokens: dict[str, int] = {}  # "Bot x" / "Bearer y" → user id
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, dict[int, Message]] = defaultdict(dict)
        self.interactions: dict[int, Interaction] = {}
        self.sessions: dict[str, web.WebSocketResponse] = {}
        self.session_users: dict[str, int] = {}
        self.sequence = 0
        self.clock = SandboxClock()
        self.limiter = RateLimiter(self.clock)
        self.privileged_intents: dict[int, int] = {}  # bot user id → privileged intents enabled
        self.session_intents: dict[str, int] = {}
        self.session_shards: dict[str, tuple[int, int]] = {}  # session → [shard_id, num_shards]
        self.recommended_shards = 1  # what GET /gateway/bot answers in "shards"
        # (channel id, author id, nonce) → (message id, clock time) for `enforce_nonce`
        self.nonces: dict[tuple[int, int, str], tuple[int, float]] = {}
        self.commands: dict[int, list[dict[str, Any]]] = {}
        self.oauth_apps: dict[str, tuple[str, str]] = {}  # client_id → (secret, redirect_uri)
        self.oauth_scopes: dict[str, list[str]] = {}
        self.edit_log: list[tuple[float, int, str]] = []  # (monotonic time, message id, embeds JSON)
        self.oauth_codes: dict[str, int] = {}
        self.events: list[dict[str, Any]] = []  # every dispatch, for tests
        self.interaction_deadline_s = 3.0  # Discord's initial-response deadline

    # --- setup (control API) ---------------------------------------------------------------

    def add_user(self, username: str, bot: bool = False) -> User:
        user = User(snowflake(), username, bot=bot)
        self.users[user.id] = user
        return user

    @property
    def rate_limits(self) -> RateLimits:
        """The limits enforced; assign a `RateLimits` to change them (e.g. for a benchmark)."""
        return self.limiter.limits

    @rate_limits.setter
    def rate_limits(self, limits: RateLimits) -> None:
        self.limiter.limits = limits

    def add_bot(
        self, username: str = "Store Bot", privileged_intents: int = gateway_intents.MESSAGE_CONTENT
    ) -> tuple[User, str]:
        """A bot user and its token. `privileged_intents`: the privileged gateway intents its
        application has enabled in the Developer Portal (the README has sellers enable
        MESSAGE_CONTENT only); IDENTIFY asking for any other is closed with 4014."""
        if privileged_intents & ~gateway_intents.PRIVILEGED:
            raise ValueError("privileged_intents: GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT only")
        user = self.add_user(username, bot=True)
        token = f"sandbox.{user.id}.{secrets.token_urlsafe(12)}"
        self.tokens[f"Bot {token}"] = user.id
        self.privileged_intents[user.id] = privileged_intents
        return user, token

    def add_guild(self, name: str, owner: User, guild_id: int | None = None) -> Guild:
        guild = Guild(guild_id or snowflake(), name, owner.id)
        guild.roles[guild.id] = Role(guild.id, "@everyone", DEFAULT_EVERYONE)
        guild.members[owner.id] = Member(owner)
        self.guilds[guild.id] = guild
        return guild

    def add_role(self, guild: Guild, name: str, permissions: int = 0) -> Role:
        role = Role(snowflake(), name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        return role

    def add_member(self, guild: Guild, user: User, roles: list[int] | None = None) -> Member:
        member = Member(user, list(roles or []))
        guild.members[user.id] = member
        return member

    def add_channel(
        self,
        guild: Guild,
        name: str,
        type_: int = 0,
        parent_id: int | None = None,
        overwrites: list[Overwrite] | None = None,
    ) -> Channel:
        siblings = [c for c in self.channels.values() if c.guild_id == guild.id]
        if len(siblings) >= CHANNELS_PER_GUILD:
            raise DiscordError(400, 30013, "Maximum number of guild channels reached (500)")
        if parent_id is not None and sum(c.parent_id == parent_id for c in siblings) >= CHANNELS_PER_CATEGORY:
            raise DiscordError(
                400,
                50035,
                "Invalid Form Body",
                {"parent_id": ["Maximum number of channels in category reached (50)"]},
            )
        channel = Channel(
            snowflake(), type_, name, guild.id, parent_id, len(siblings), list(overwrites or [])
        )
        self.channels[channel.id] = channel
        return channel

    def rejections(self, token: str) -> int:
        """How many 429s the bot with `token` has been given."""
        return self.limiter.rejected[_client(token)]

    def invalid_requests(self, token: str) -> int:
        """The bot's invalid requests (401, 403, 429 not `shared`) within the last 10 minutes."""
        return self.limiter.invalid_requests(_client(token))

    # --- helpers -----------------------------------------------------------------------------

    def _caller(self, request: web.Request) -> User:
        # reference.mdx "Authentication": every route needs a valid Authorization header.
        user_id = self.tokens.get(request.headers.get("Authorization", ""))
        if user_id is None:
            raise DiscordError(401, 0, "401: Unauthorized")
        return self.users[user_id]

    def _channel(self, channel_id: str) -> Channel:
        channel = self.channels.get(path_id(channel_id, 10003, "Unknown Channel"))
        if channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        return channel

    def _guild(self, guild_id: str, caller: User) -> Guild:
        """The guild of a /guilds/{id} route; a guild the caller is not in is Missing Access."""
        guild = self.guilds.get(path_id(guild_id, 10004, "Unknown Guild"))
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        if caller.id not in guild.members:
            raise DiscordError(403, 50001, "Missing Access")
        return guild

    def _user(self, user_id: Any) -> User:
        user = self.users.get(parse_snowflake(user_id) if user_id is not None else -1)  # type: ignore[arg-type]
        if user is None:
            raise DiscordError(404, 10013, "Unknown User")
        return user

    def _guild_of(self, channel: Channel) -> Guild | None:
        return self.guilds.get(channel.guild_id) if channel.guild_id else None

    def _can(self, user: User, channel: Channel, permission: int) -> bool:
        if channel.type == 1:
            return user.id in (channel.recipient_id, *(u.id for u in self.users.values() if u.bot))
        guild = self._guild_of(channel)
        return guild is not None and permissions(guild, channel, user.id) & permission == permission

    def _require(self, user: User, channel: Channel, *needed: int) -> None:
        """Refuse as Discord does: a channel `user` cannot see is Missing Access (50001); one
        they see but lack a `needed` permission in is Missing Permissions (50013).
        topics/permissions.mdx "Implicit Permissions": without VIEW_CHANNEL nothing else
        counts, and without SEND_MESSAGES neither do ATTACH_FILES nor EMBED_LINKS, so callers
        list SEND_MESSAGES before those."""
        if not self._can(user, channel, VIEW_CHANNEL):
            raise DiscordError(403, 50001, "Missing Access")
        for permission in needed:
            if not self._can(user, channel, permission):
                raise DiscordError(403, 50013, "Missing Permissions")

    def _message_json(self, message: Message) -> dict[str, Any]:
        channel = self.channels.get(message.channel_id)
        return message.to_json(self.base_url, channel.guild_id if channel else None)

    async def _json(self, request: web.Request) -> Any:
        """The JSON of a body; anything that is no JSON is 50109, never a 500."""
        try:
            return json.loads(await request.read() or b"null")
        except (UnicodeDecodeError, ValueError):
            raise invalid_json() from None

    async def _body(self, request: web.Request) -> tuple[dict[str, Any], list[Attachment]]:
        """JSON, form-encoded `payload_json`, or multipart with files (how py-cord sends attachments)."""
        if request.content_length is not None and request.content_length > REQUEST_MAX_BYTES:
            raise too_large()  # refused before reading it, as Discord's edge does
        if request.content_type == "application/json":
            return body_object(await self._json(request)), []
        files: list[Attachment] = []
        payload: Any = {}
        try:
            if request.content_type.startswith("multipart/"):
                reader = await request.multipart()
                async for part in reader:
                    if not isinstance(part, BodyPartReader):
                        continue  # a nested multipart is nothing Discord reads either
                    if part.name == "payload_json":
                        payload = json.loads(await part.text())
                    elif part.filename:
                        data = await part.read()
                        files.append(
                            Attachment(
                                snowflake(),
                                part.filename,
                                part.headers.get("Content-Type", "application/octet-stream"),
                                bytes(data),
                            )
                        )
                check_upload_sizes([len(f.data) for f in files])
                return body_object(payload), files
            form = await request.post()
        except (UnicodeDecodeError, ValueError, HttpProcessingError):  # bad JSON, broken multipart
            raise invalid_json() from None
        if "payload_json" in form:
            try:
                payload = json.loads(str(form["payload_json"]))
            except ValueError:
                raise invalid_json() from None
        return body_object(payload), files

    async def dispatch(self, event: str, data: dict[str, Any], user_ids: set[int] | None = None) -> None:
        """Send a gateway event to every connected bot (or those in `user_ids`), on the shard
        that owns its guild."""
        self.events.append({"t": event, "d": data})
        guild_id = data.get("guild_id") or (data.get("id") if event.startswith("GUILD_") else None)
        for session_id, ws in list(self.sessions.items()):
            bot_id = self.session_users.get(session_id, 0)
            if user_ids is not None and bot_id not in user_ids:
                continue
            if not self._shard_owns(session_id, int(guild_id) if guild_id else None):
                continue
            intents = self.session_intents.get(session_id, 0)
            if not gateway_intents.receives(event, data, intents):
                continue
            try:
                await self._send_event(ws, event, gateway_intents.as_seen_by(event, data, bot_id, intents))
            except ConnectionError:
                self.sessions.pop(session_id, None)

    def _shard_owns(self, session_id: str, guild_id: int | None) -> bool:
        """events/gateway.mdx "Sharding": a guild's events go to shard
        `(guild_id >> 22) % num_shards`; events without a guild_id (DMs) to shard 0 only."""
        shard_id, num_shards = self.session_shards.get(session_id, (0, 1))
        if guild_id is None:
            return shard_id == 0
        return (guild_id >> 22) % num_shards == shard_id

    async def _send_event(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        """One op-0 dispatch on one gateway connection, with the next sequence number."""
        self.sequence += 1
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": self.sequence, "d": data}))

    def _create_message(
        self,
        channel: Channel,
        author: User,
        payload: dict[str, Any],
        files: list[Attachment],
        flags: int = 0,
        where: tuple[str, ...] = (),
    ) -> Message:
        """A new message once its body passed Discord's limits (`where`: the body's place in
        the request, e.g. ("data",) in an interaction response, for the error paths)."""
        check_message(payload, where)
        embeds, components = payload.get("embeds") or [], payload.get("components") or []
        nonce = payload.get("nonce")
        # --- A2: enforce_nonce de-duplicates within NONCE_WINDOW_S only (resources/message.mdx) ---
        nonce_key = (channel.id, author.id, str(nonce))
        if nonce is not None and payload.get("enforce_nonce"):
            message_id, sent_at = self.nonces.get(nonce_key, (0, 0.0))
            recent = self.clock.monotonic() - sent_at <= NONCE_WINDOW_S
            if recent and message_id in self.messages[channel.id]:
                return self.messages[channel.id][message_id]
        # --- end A2 ---
        content = str(payload.get("content") or "")
        if not content and not embeds and not files and not components:
            raise DiscordError(400, 50006, "Cannot send an empty message")
        message = Message(
            message_snowflake(),
            channel.id,
            author,
            content,
            embeds,
            components,
            files,
            flags=int(payload.get("flags") or 0) | flags,
            nonce=str(nonce) if nonce is not None else None,
        )
        self.messages[channel.id][message.id] = message
        if nonce is not None:
            self.nonces[nonce_key] = (message.id, self.clock.monotonic())  # A2: enforce_nonce window
        return message

    # --- middleware: errors and rate limits ---------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Discord's REST limits around every /api/ request (see ratelimits.py): the ban of a
        client with too many invalid requests, the global and per-route limits with their
        headers, the DM-opening brake, and counting what the client got wrong."""
        if not request.path.startswith("/api/"):
            try:
                return await handler(request)
            except DiscordError as error:
                return _json(error.body(), error.status)
        # Discord counts per bot or user token; "" stands for requests without one (their IP).
        client = request.headers.get("Authorization", "")
        if self.limiter.ban_left(client) > 0:
            return _cloudflare_ban()
        route = self._route(request)
        verdict = self.limiter.admit(client, route)
        if isinstance(verdict, Refusal):
            self.limiter.answered(client, 429, verdict.scope)
            return _rate_limited(verdict)
        try:
            response = await self._dm_brake(request, client, route) or await handler(request)
        except DiscordError as error:
            response = _json(error.body(), error.status)
        except web.HTTPException as error:  # aiohttp's own 404/405 for routes Discord lacks
            response = error
        self.limiter.answered(client, response.status, None)
        response.headers.update(verdict)
        return response

    def _route(self, request: web.Request) -> Route:
        resource = request.match_info.route.resource
        template = resource.canonical if resource is not None else request.path
        return classify(
            request.method,
            template.removeprefix("/api/v10"),
            request.match_info,
            self.rate_limits,
            lambda channel_id: str(c.guild_id)
            if channel_id.isdigit() and (c := self.channels.get(int(channel_id))) and c.guild_id
            else None,
        )

    async def _dm_brake(self, request: web.Request, client: str, route: Route) -> web.Response | None:
        """40003 "You are opening direct messages too fast" (opcodes-and-status-codes.mdx, JSON
        error codes) when a bot opens DMs with too many new people at once (ratelimits.py)."""
        if route.name != "POST /users/@me/channels" or client not in self.tokens:
            return None
        try:
            recipient_id = int(json.loads(await request.read())["recipient_id"])
        except (ValueError, TypeError, KeyError):
            return None  # the handler says what is wrong with the body
        if recipient_id not in self.users or any(
            c.type == 1 and c.recipient_id == recipient_id for c in self.channels.values()
        ):
            return None
        if self.limiter.opens_new_dm(client):
            return None
        return _json({"code": 40003, "message": "You are opening direct messages too fast."}, 403)

    # --- REST: identity and gateway -----------------------------------------------------------

    async def get_me(self, request: web.Request) -> web.Response:
        return _json(self._caller(request).to_json())

    async def get_user(self, request: web.Request) -> web.Response:
        self._caller(request)
        return _json(self._user(request.match_info["user_id"]).to_json())

    async def get_gateway(self, request: web.Request) -> web.Response:
        url = self.base_url.replace("http://", "ws://") + "/gateway/ws"
        return _json(
            {
                "url": url,
                "shards": self.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def empty_list(self, request: web.Request) -> web.Response:
        return _json([])

    def _application(self, request: web.Request) -> int:
        """The application of an /applications/{id} route: the caller's own only (a sandbox
        bot's application id is its user id)."""
        caller = self._caller(request)
        app_id = path_id(request.match_info["app_id"], 10002, "Unknown Application")
        if app_id != caller.id:
            raise DiscordError(
                403, 20012, "You are not authorized to perform this action on this application"
            )
        return app_id

    async def get_commands(self, request: web.Request) -> web.Response:
        return _json(self.commands.get(self._application(request), []))

    async def put_commands(self, request: web.Request) -> web.Response:
        """Bulk overwrite of an application's commands; each gets an id, as on Discord."""
        app_id = self._application(request)
        body = await self._json(request) if request.can_read_body else []
        errors = FormErrors()
        # interactions/application-commands.mdx: a command's name is 1-32 characters.
        for i, command in enumerate(errors.array((), body)):
            errors.string((i, "name"), errors.mapping((i,), command).get("name"), 32, 1, required=True)
        errors.raise_if_any()
        commands = []
        for command in body or []:
            known = next((c for c in self.commands.get(app_id, []) if c["name"] == command["name"]), None)
            commands.append(
                {
                    **command,
                    "id": known["id"] if known else str(snowflake()),
                    "application_id": str(app_id),
                    "version": str(snowflake()),
                    "type": command.get("type", 1),
                }
            )
        self.commands[app_id] = commands
        return _json(commands)

    async def run_command(
        self, user: User, channel: Channel, name: str, options: dict[str, object] | None = None
    ) -> Interaction:
        """`user` runs the slash command `name` in `channel`, filling in `options` by name
        (interactions/receiving-and-responding.mdx "Application Command Interaction Data
        Option Structure": name, type as the command declared it, value)."""
        bot_id = next(u.id for u in self.users.values() if u.bot)
        command = next(c for c in self.commands.get(bot_id, []) if c["name"] == name)
        declared = {o["name"]: o.get("type", 3) for o in command.get("options") or []}
        given = [{"name": k, "type": declared[k], "value": v} for k, v in (options or {}).items()]
        return await self.start_interaction(
            user, channel, None, 2, {"id": command["id"], "name": name, "type": 1, "options": given}
        )

    # --- REST: guilds and channels ------------------------------------------------------------

    async def get_guild(self, request: web.Request) -> web.Response:
        """resources/guild.mdx "Get Guild": owner and roles, to compute permissions with."""
        guild = self._guild(request.match_info["guild_id"], self._caller(request))
        return _json(guild.rest_json())

    async def create_channel(self, request: web.Request) -> web.Response:
        """resources/guild.mdx "Create Guild Channel": needs MANAGE_CHANNELS; overwrites may
        only allow or deny what the caller has in the guild (or in the parent category), need
        MANAGE_ROLES, and may touch MANAGE_ROLES only for an administrator. A channel made in
        a category without overwrites gets the category's (it starts synced)."""
        caller = self._caller(request)
        guild = self._guild(request.match_info["guild_id"], caller)
        body = body_object(await self._json(request))
        errors = FormErrors()
        name = errors.string(("name",), body.get("name"), 100, 1, required=True)
        kind = errors.integer(("type",), body.get("type"))
        if kind is not None and kind not in CHANNEL_TYPES:
            choices = ", ".join(str(t) for t in sorted(CHANNEL_TYPES))
            errors.add(("type",), "BASE_TYPE_CHOICES", f"Value must be one of ({choices}).")
        topic = errors.string(("topic",), body.get("topic"), 1024, 0)
        parent_id = errors.snowflake(("parent_id",), body.get("parent_id"), required=False)
        parent = self.channels.get(parent_id) if parent_id is not None else None
        if parent_id is not None and (parent is None or parent.guild_id != guild.id or parent.type != 4):
            errors.add(("parent_id",), "CHANNEL_PARENT_INVALID", "Category does not exist")
        overwrites: list[Overwrite] = []
        raw_overwrites = errors.array(("permission_overwrites",), body.get("permission_overwrites"))
        for i, raw in enumerate(raw_overwrites):
            path = ("permission_overwrites", i)
            item = errors.mapping(path, raw)
            target = errors.snowflake((*path, "id"), item.get("id"))
            target_type = errors.integer((*path, "type"), item.get("type"), required=True)
            if target_type is not None and target_type not in (0, 1):
                errors.add((*path, "type"), "BASE_TYPE_CHOICES", "Value must be one of (0, 1).")
            # resources/guild.mdx: "allow and deny can be omitted or set to null" ("0").
            allow = errors.integer((*path, "allow"), item.get("allow")) or 0
            deny = errors.integer((*path, "deny"), item.get("deny")) or 0
            if target is not None and target_type is not None:
                overwrites.append(Overwrite(target, target_type, allow, deny))
        errors.raise_if_any()
        held = permissions(guild, None, caller.id)
        if parent is not None:
            held |= permissions(guild, parent, caller.id)
        if not held & MANAGE_CHANNELS:
            raise DiscordError(403, 50013, "Missing Permissions")
        if overwrites:
            administrator = held & ADMINISTRATOR
            touched = 0
            for overwrite in overwrites:
                touched |= overwrite.allow | overwrite.deny
            if not held & MANAGE_ROLES or touched & ~held or (touched & MANAGE_ROLES and not administrator):
                raise DiscordError(403, 50013, "Missing Permissions")
        elif parent is not None and body.get("permission_overwrites") is None:
            overwrites = [Overwrite(o.id, o.type, o.allow, o.deny) for o in parent.overwrites]
        channel = self.add_channel(guild, name or "", kind or 0, parent.id if parent else None, overwrites)
        channel.topic = topic or None
        await self.dispatch("CHANNEL_CREATE", channel.to_json())
        return _json(channel.to_json(), 201)

    async def get_guild_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request.match_info["guild_id"], self._caller(request))
        return _json([c.to_json() for c in self.channels.values() if c.guild_id == guild.id])

    async def get_guild_roles(self, request: web.Request) -> web.Response:
        """resources/guild.mdx "Get Guild Roles": the guild's roles (the caller must be in it)."""
        guild = self._guild(request.match_info["guild_id"], self._caller(request))
        return _json([r.to_json() for r in guild.roles.values()])

    async def member_role(self, request: web.Request) -> web.Response:
        """resources/guild.mdx "Add Guild Member Role" (PUT) and "Remove Guild Member Role"
        (DELETE): both need MANAGE_ROLES, and topics/permissions.mdx "Permission Hierarchy":
        a bot can grant (and take) only roles of a lower position than its own highest role;
        the owner is above the hierarchy. Either refusal is 403 50013; an unknown role is 404
        10011, an unknown member 404 10007 (opcodes-and-status-codes.mdx). 204 on success,
        also when the member already had (or did not have) the role; a change fires Guild
        Member Update."""
        caller = self._caller(request)
        guild = self._guild(request.match_info["guild_id"], caller)
        role = guild.roles.get(path_id(request.match_info["role_id"], 10011, "Unknown Role"))
        if role is None or role.id == guild.id:  # @everyone is no role one can be given
            raise DiscordError(404, 10011, "Unknown Role")
        member = guild.members.get(path_id(request.match_info["user_id"], 10013, "Unknown User"))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member")
        if caller.id != guild.owner_id:
            if not permissions(guild, None, caller.id) & MANAGE_ROLES:
                raise DiscordError(403, 50013, "Missing Permissions")
            if role.position >= highest_role_position(guild, caller.id):
                raise DiscordError(403, 50013, "Missing Permissions")
        adding = request.method == "PUT"
        if adding != (role.id in member.roles):
            if adding:
                member.roles.append(role.id)
            else:
                member.roles.remove(role.id)
            await self.dispatch("GUILD_MEMBER_UPDATE", {**member.to_json(), "guild_id": str(guild.id)})
        return web.Response(status=204)

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request.match_info["guild_id"], self._caller(request))
        member = guild.members.get(path_id(request.match_info["user_id"], 10013, "Unknown User"))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member")
        return _json(member.to_json())

    async def get_channel(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        channel = self._channel(request.match_info["channel_id"])
        self._require(caller, channel)
        return _json(channel.to_json(self.users))

    async def delete_channel(self, request: web.Request) -> web.Response:
        """resources/channel.mdx "Delete/Close Channel": MANAGE_CHANNELS, computed on that
        channel (its overwrites count)."""
        caller = self._caller(request)
        channel = self._channel(request.match_info["channel_id"])
        if self._guild_of(channel) is None:
            raise DiscordError(403, 50013, "Missing Permissions")  # the sandbox's bots close no DMs
        self._require(caller, channel, MANAGE_CHANNELS)
        del self.channels[channel.id]
        self.messages.pop(channel.id, None)  # attachments vanish with their channel
        await self.dispatch("CHANNEL_DELETE", channel.to_json())
        return _json(channel.to_json())

    async def open_dm(self, request: web.Request) -> web.Response:
        self._caller(request)
        body = body_object(await self._json(request))
        errors = FormErrors()
        recipient_id = errors.snowflake(("recipient_id",), body.get("recipient_id"))
        errors.raise_if_any()
        if recipient_id not in self.users:
            raise DiscordError(400, 50033, "Invalid Recipient(s)")  # opcodes-and-status-codes.mdx
        for channel in self.channels.values():
            if channel.type == 1 and channel.recipient_id == recipient_id:
                return _json(channel.to_json(self.users))
        channel = Channel(snowflake(), 1, recipient_id=recipient_id)
        self.channels[channel.id] = channel
        return _json(channel.to_json(self.users))

    # --- REST: messages -------------------------------------------------------------------------

    async def post_message(self, request: web.Request) -> web.Response:
        """resources/message.mdx "Create Message": SEND_MESSAGES in a channel the caller sees;
        files need ATTACH_FILES (topics/permissions.mdx)."""
        caller = self._caller(request)
        channel = self._channel(request.match_info["channel_id"])
        if channel.type == 1 and not self.users[channel.recipient_id or 0].dms_open:
            raise DiscordError(403, 50007, "Cannot send messages to this user")
        self._require(caller, channel, SEND_MESSAGES)
        payload, files = await self._body(request)
        if files:
            self._require(caller, channel, SEND_MESSAGES, ATTACH_FILES)
        message = self._create_message(channel, caller, payload, files)
        data = self._message_json(message)
        await self.dispatch("MESSAGE_CREATE", data)
        return _json(data)

    async def get_messages(self, request: web.Request) -> web.Response:
        """resources/message.mdx "Get Channel Messages": VIEW_CHANNEL; without
        READ_MESSAGE_HISTORY "no messages will be returned"; limit 1-100."""
        caller = self._caller(request)
        channel = self._channel(request.match_info["channel_id"])
        self._require(caller, channel)
        errors = FormErrors()
        limit = errors.integer(("limit",), request.query.get("limit"))
        if limit is not None and not 1 <= limit <= 100:
            errors.add(
                ("limit",),
                "NUMBER_TYPE_MAX" if limit > 100 else "NUMBER_TYPE_MIN",
                "int value should be less than or equal to 100."
                if limit > 100
                else "int value should be greater than or equal to 1.",
            )
        errors.raise_if_any()
        if not self._can(caller, channel, READ_MESSAGE_HISTORY):
            return _json([])
        ordered = sorted(self.messages[channel.id].values(), key=lambda m: m.id, reverse=True)
        return _json([self._message_json(m) for m in ordered[: limit or 50]])

    def _message(self, channel: Channel, message_id: str) -> Message:
        message = self.messages[channel.id].get(path_id(message_id, 10008, "Unknown Message"))
        if message is None:
            raise DiscordError(404, 10008, "Unknown Message")
        return message

    async def get_message(self, request: web.Request) -> web.Response:
        """resources/message.mdx "Get Channel Message": VIEW_CHANNEL and READ_MESSAGE_HISTORY."""
        caller = self._caller(request)
        channel = self._channel(request.match_info["channel_id"])
        self._require(caller, channel, READ_MESSAGE_HISTORY)
        return _json(self._message_json(self._message(channel, request.match_info["message_id"])))

    async def edit_message(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        channel = self._channel(request.match_info["channel_id"])
        self._require(caller, channel)
        message = self._message(channel, request.match_info["message_id"])
        if message.author.id != caller.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        payload, files = await self._body(request)
        self._apply_edit(message, payload, files)
        data = self._message_json(message)
        await self.dispatch("MESSAGE_UPDATE", data)
        return _json(data)

    def _apply_edit(
        self, message: Message, payload: dict[str, Any], files: list[Attachment], where: tuple[str, ...] = ()
    ) -> None:
        check_message(payload, where)
        if "embeds" in payload:
            message.embeds = payload["embeds"] or []
        if "components" in payload:
            message.components = payload["components"] or []
        if "content" in payload:
            message.content = str(payload["content"] or "")
        if files:
            message.attachments = files
        message.edited = time.time()
        self.edit_log.append((time.monotonic(), message.id, json.dumps(message.embeds)))

    async def delete_message(self, request: web.Request) -> web.Response:
        """resources/message.mdx "Delete Message": someone else's message needs MANAGE_MESSAGES."""
        caller = self._caller(request)
        channel = self._channel(request.match_info["channel_id"])
        self._require(caller, channel)
        message = self._message(channel, request.match_info["message_id"])
        if message.author.id != caller.id and channel.type != 1:
            self._require(caller, channel, MANAGE_MESSAGES)
        del self.messages[channel.id][message.id]
        await self.dispatch(
            "MESSAGE_DELETE",
            {
                "id": str(message.id),
                "channel_id": str(channel.id),
                "guild_id": str(channel.guild_id) if channel.guild_id else None,
            },
        )
        return web.Response(status=204)

    # --- interactions ---------------------------------------------------------------------------

    async def interaction_callback(self, request: web.Request) -> web.Response:
        interaction = self.interactions.get(
            path_id(request.match_info["interaction_id"], 10062, "Unknown interaction")
        )
        if interaction is None or interaction.token != request.match_info["token"]:
            raise DiscordError(404, 10062, "Unknown interaction")
        if interaction.response_type is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged")
        if interaction.past_deadline(self.clock.monotonic()):
            interaction.late = True
            raise DiscordError(404, 10062, "Unknown interaction")  # what Discord says after 3 s
        payload, files = await self._body(request)
        kind, data = self._interaction_response(payload, files)
        interaction.response_type = kind
        interaction.responded_at = self.clock.monotonic()
        bot = self.users[interaction.application_id]
        channel = self.channels.get(interaction.channel_id)
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5) and channel is not None:
            flags = data.get("flags", 0)
            message = self._create_message(
                channel, bot, {**data, "content": data.get("content") or ("…" if kind == 5 else "")}, files
            )
            message.flags |= flags
            self._answers(message, interaction)
            interaction.original_message_id = message.id
            resource["message"] = self._message_json(message)
            if not flags & 64:
                await self.dispatch("MESSAGE_CREATE", resource["message"])
        elif kind in (6, 7) and interaction.message_id:
            # receiving-and-responding.mdx "Interaction Callback Type": 6 acknowledges to "edit
            # the original message later", 7 edits "the message the component was attached
            # to": after either, @original is that message (editing it replaces its menus).
            interaction.original_message_id = interaction.message_id
        if kind == 7 and channel is not None and interaction.message_id:
            message = self._message(channel, str(interaction.message_id))
            self._apply_edit(message, data, files)
            resource["message"] = self._message_json(message)
            await self.dispatch("MESSAGE_UPDATE", resource["message"])
        elif kind == 9:
            interaction_modals = self.events
            interaction_modals.append(
                {"t": "MODAL_OPENED", "d": {"interaction_id": str(interaction.id), **data}}
            )
        return _json(
            {
                "interaction": {
                    "id": str(interaction.id),
                    "type": 3,
                    "response_message_id": str(interaction.original_message_id or ""),
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": False,
                },
                "resource": resource,
            }
        )

    def _answers(self, message: Message, interaction: Interaction, followup: bool = False) -> None:
        """Mark `message` as the answer to `interaction`: resources/message.mdx "Message
        Interaction Metadata Object" (who triggered it; the original response's id on a
        follow-up; the clicked message for a component)."""
        message.interaction_id = interaction.id
        metadata: dict[str, Any] = {
            "id": str(interaction.id),
            "type": interaction.kind,
            "user": self.users[interaction.user_id].to_json(),
            "authorizing_integration_owners": {},
        }
        if followup and interaction.original_message_id:
            metadata["original_response_message_id"] = str(interaction.original_message_id)
        if interaction.kind == 3 and interaction.message_id:
            metadata["interacted_message_id"] = str(interaction.message_id)
        message.interaction_metadata = metadata

    def _interaction_response(
        self, payload: dict[str, Any], files: list[Attachment]
    ) -> tuple[int, dict[str, Any]]:
        """The type and data of an interaction response, refused (before it counts as the
        answer) as Discord refuses it: interactions/receiving-and-responding.mdx
        "Interaction Response Structure" (type one of the callback types; message data with
        the message limits, reported under `data`; a modal with the modal's)."""
        errors = FormErrors()
        kind = errors.integer(("type",), payload.get("type"), required=True)
        if kind is not None and kind not in CALLBACK_TYPES:
            choices = ", ".join(str(t) for t in sorted(CALLBACK_TYPES))
            errors.add(("type",), "BASE_TYPE_CHOICES", f"Value must be one of ({choices}).")
        data = errors.mapping(("data",), payload.get("data"))
        errors.raise_if_any()
        assert kind is not None
        if kind == 9:
            check_modal(data)
        elif kind in (4, 5, 7):
            check_message(data, ("data",))
            data = {**data, "flags": int(data.get("flags") or 0)}
        if kind == 4 and not (data.get("content") or data.get("embeds") or data.get("components") or files):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        return kind, data

    def _interaction_by_token(self, token: str) -> Interaction:
        for interaction in self.interactions.values():
            if interaction.token == token:
                # interactions/receiving-and-responding.mdx "Followup Messages": tokens are
                # valid for 15 minutes; after that Discord answers 401 "Invalid Webhook Token".
                if interaction.token_expired(self.clock.monotonic()):
                    raise DiscordError(401, 50027, "Invalid Webhook Token")
                return interaction
        raise DiscordError(404, 10015, "Unknown Webhook")

    async def followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request.match_info["token"])
        channel = self.channels.get(interaction.channel_id)
        if channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        payload, files = await self._body(request)
        if interaction.response_type == 5 and interaction.original_message_id and not interaction.followed_up:
            # After a deferred "thinking…" response, the first follow-up replaces that message.
            interaction.followed_up = True
            message = self._message(channel, str(interaction.original_message_id))
            self._apply_edit(message, {"content": payload.get("content") or "", **payload}, files)
            return _json(self._message_json(message))
        interaction.followed_up = True
        message = self._create_message(channel, self.users[interaction.application_id], payload, files)
        self._answers(message, interaction, followup=True)
        data = self._message_json(message)
        if not message.flags & 64:
            await self.dispatch("MESSAGE_CREATE", data)
        return _json(data)

    async def original(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request.match_info["token"])
        channel = self.channels.get(interaction.channel_id)
        if channel is None or interaction.original_message_id is None:
            raise DiscordError(404, 10008, "Unknown Message")
        message = self._message(channel, str(interaction.original_message_id))
        if request.method == "DELETE":
            # receiving-and-responding.mdx "Delete Original Interaction Response": 204.
            del self.messages[channel.id][message.id]
            guild_id = str(channel.guild_id) if channel.guild_id else None
            await self.dispatch(
                "MESSAGE_DELETE", {"id": str(message.id), "channel_id": str(channel.id), "guild_id": guild_id}
            )
            return web.Response(status=204)
        if request.method == "PATCH":
            payload, files = await self._body(request)
            self._apply_edit(message, payload, files)
        return _json(self._message_json(message))

    # --- gateway ----------------------------------------------------------------------------

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        session_id = None
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                continue
            packet = json.loads(frame.data)
            op = packet.get("op")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2:
                user_id = self.tokens.get(f"Bot {packet['d']['token']}")
                if user_id is None:
                    await ws.close(code=4004, message=b"Authentication failed")
                    break
                # events/gateway.mdx "Gateway Intents": 4013 for invalid intents, 4014 for a
                # privileged one the application has not enabled.
                intents = packet["d"].get("intents")
                refused = gateway_intents.refusal(intents, self.privileged_intents.get(user_id, 0))
                if refused is not None:
                    await ws.close(code=refused[0], message=refused[1].encode())
                    break
                # events/gateway.mdx "Sharding": IDENTIFY's `shard` is [shard_id, num_shards];
                # an invalid one closes with 4010 (opcodes-and-status-codes.mdx).
                shard = packet["d"].get("shard") or [0, 1]
                if not (
                    isinstance(shard, list)
                    and len(shard) == 2
                    and all(type(n) is int for n in shard)
                    and 0 <= shard[0] < shard[1]
                ):
                    await ws.close(code=4010, message=b"Invalid shard")
                    break
                session_id = secrets.token_hex(16)
                self.sessions[session_id] = ws
                self.session_users[session_id] = user_id
                self.session_intents[session_id] = intents
                self.session_shards[session_id] = (shard[0], shard[1])
                await self._ready(ws, session_id, user_id)
            elif op == 6:
                await ws.send_str(json.dumps({"op": 9, "d": False}))  # start a new session
            elif op == 8:
                guild = self.guilds.get(int(packet["d"]["guild_id"]))
                if guild is not None:
                    chunk = {
                        "guild_id": str(guild.id),
                        "members": [m.to_json() for m in guild.members.values()],
                        "chunk_index": 0,
                        "chunk_count": 1,
                        "nonce": packet["d"].get("nonce"),
                    }
                    await self._send_event(ws, "GUILD_MEMBERS_CHUNK", chunk)
        if session_id:
            self.sessions.pop(session_id, None)
            self.session_intents.pop(session_id, None)
            self.session_shards.pop(session_id, None)
        return ws

    async def _ready(self, ws: web.WebSocketResponse, session_id: str, user_id: int) -> None:
        bot = self.users[user_id]
        guilds = [
            g for g in self.guilds.values() if user_id in g.members and self._shard_owns(session_id, g.id)
        ]
        ready = {
            "v": 10,
            "user": bot.to_json(),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session_id,
            "resume_gateway_url": self.base_url.replace("http://", "ws://") + "/gateway/ws",
            "application": {
                "id": str(bot.id),
                "flags": gateway_intents.application_flags(self.privileged_intents.get(user_id, 0)),
            },
            "private_channels": [],
            "relationships": [],
            "shard": list(self.session_shards.get(session_id, (0, 1))),
        }
        await self._send_event(ws, "READY", ready)
        intents = self.session_intents.get(session_id, 0)
        for guild in guilds:
            channels = [c for c in self.channels.values() if c.guild_id == guild.id]
            data = guild.to_json(channels)
            data["members"] = gateway_intents.guild_members(data["members"], user_id, intents)
            if gateway_intents.receives("GUILD_CREATE", data, intents):
                await self._send_event(ws, "GUILD_CREATE", data)

    # --- OAuth2 (the dashboard's "Log in with Discord") -----------------------------------------

    def add_oauth_app(self, client_id: str, secret: str, redirect_uri: str) -> None:
        self.oauth_apps[client_id] = (secret, redirect_uri)

    async def oauth_authorize(self, request: web.Request) -> web.Response:
        """The consent page: pick who you are (a sandbox has no passwords), then Authorize."""
        q = request.query
        app = self.oauth_apps.get(q.get("client_id", ""))
        if app is None or q.get("redirect_uri") != app[1] or q.get("response_type") != "code":
            return web.Response(status=400, text="invalid_request: unknown client or redirect_uri")
        if "login_as" in q:
            user_id = parse_snowflake(q["login_as"]) or 0
            if user_id not in self.users:
                return web.Response(status=400, text="unknown user")
            code = secrets.token_urlsafe(16)
            self.oauth_codes[code] = user_id
            self.oauth_scopes[code] = q.get("scope", "").split()
            state = f"&state={q['state']}" if "state" in q else ""
            raise web.HTTPFound(f"{app[1]}?code={code}{state}")
        rows = "".join(
            f'<li><a id="login-{u.id}" href="?{request.query_string}&login_as={u.id}">'
            f"Authorize as {u.username}</a></li>"
            for u in self.users.values()
            if not u.bot
        )
        return web.Response(
            text=f"<!doctype html><h1>Discord sandbox</h1><ul>{rows}</ul>", content_type="text/html"
        )

    async def oauth_token(self, request: web.Request) -> web.Response:
        try:
            form = await request.post()
        except (UnicodeDecodeError, ValueError, HttpProcessingError):
            return _json({"error": "invalid_request"}, 400)  # RFC 6749 5.2
        client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        if request.headers.get("Authorization", "").startswith("Basic "):
            try:
                client_id, _, secret = (
                    base64.b64decode(request.headers["Authorization"][6:]).decode().partition(":")
                )
            except ValueError:  # not base64, or not UTF-8: no client we know
                return _json({"error": "invalid_client"}, 401)
        app = self.oauth_apps.get(client_id)
        if app is None or app[0] != secret:
            return _json({"error": "invalid_client"}, 401)
        code = str(form.get("code", ""))
        if form.get("grant_type") != "authorization_code" or code not in self.oauth_codes:
            return _json({"error": "invalid_grant"}, 400)
        if form.get("redirect_uri") != app[1]:
            return _json({"error": "invalid_grant", "error_description": "redirect_uri mismatch"}, 400)
        user_id = self.oauth_codes.pop(code)  # a code works once
        token = secrets.token_urlsafe(24)
        self.tokens[f"Bearer {token}"] = user_id
        scope = " ".join(self.oauth_scopes.pop(code, []))
        return _json(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": 604800,
                "refresh_token": secrets.token_urlsafe(24),
                "scope": scope,
            }
        )

    async def my_guilds(self, request: web.Request) -> web.Response:
        user = self._caller(request)
        return _json(
            [
                {
                    "id": str(g.id),
                    "name": g.name,
                    "icon": None,
                    "owner": g.owner_id == user.id,
                    "permissions": str(permissions(g, None, user.id)),
                    "features": [],
                }
                for g in self.guilds.values()
                if user.id in g.members
            ]
        )

    # --- control API (acting as users; inspecting state) ---------------------------------------

    async def _control_body(self, request: web.Request, *required: str) -> dict[str, Any]:
        """A control-API body: a JSON object with the `required` fields (400 otherwise)."""
        body = body_object(await self._json(request))
        errors = FormErrors()
        for name in required:
            if body.get(name) is None:
                errors.required((name,))
        errors.raise_if_any()
        return body

    async def control_click(self, request: web.Request) -> web.Response:
        body = await self._control_body(request, "user_id", "channel_id", "message_id", "custom_id")
        user = self._user(body["user_id"])
        channel = self._channel(str(body["channel_id"]))
        message = self._message(channel, str(body["message_id"]))
        if not self._can(user, channel, VIEW_CHANNEL):
            raise DiscordError(403, 50001, "Missing Access")
        errors = FormErrors()
        errors.string(("custom_id",), body["custom_id"], 100, 1)
        errors.integer(("component_type",), body.get("component_type"))
        errors.array(("values",), body.get("values"))
        errors.raise_if_any()
        interaction = await self.start_interaction(
            user,
            channel,
            message,
            3,
            {
                "custom_id": body["custom_id"],
                "component_type": int(body.get("component_type", 2)),
                **({"values": body["values"]} if "values" in body else {}),
            },
        )
        return _json({"interaction_id": str(interaction.id)})

    async def control_submit_modal(self, request: web.Request) -> web.Response:
        body = await self._control_body(request, "user_id", "channel_id", "custom_id", "fields")
        user = self._user(body["user_id"])
        channel = self._channel(str(body["channel_id"]))
        errors = FormErrors()
        errors.mapping(("fields",), body["fields"])
        errors.raise_if_any()
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
            for k, v in body["fields"].items()
        ]
        interaction = await self.start_interaction(
            user, channel, None, 5, {"custom_id": body["custom_id"], "components": rows}
        )
        return _json({"interaction_id": str(interaction.id)})

    def _app_permissions(self, bot_id: int, channel: Channel) -> int:
        """`app_permissions` of an interaction: what the bot may do where it was invoked,
        computed as Discord does (interactions/receiving-and-responding.mdx, Interaction
        Structure; in a DM, the permissions of a DM with the bot)."""
        guild = self._guild_of(channel)
        if guild is None:
            return DM_PERMISSIONS
        return permissions(guild, channel, bot_id)

    async def start_interaction(
        self, user: User, channel: Channel, message: Message | None, kind: int, data: dict[str, Any]
    ) -> Interaction:
        bot_id = message.author.id if message else next(u.id for u in self.users.values() if u.bot)
        interaction = Interaction(
            snowflake(),
            secrets.token_urlsafe(24),
            bot_id,
            user.id,
            channel.id,
            channel.guild_id,
            message.id if message else None,
            created=self.clock.monotonic(),
            kind=kind,
            deadline_s=self.interaction_deadline_s,
        )
        self.interactions[interaction.id] = interaction
        guild = self._guild_of(channel)
        payload: dict[str, Any] = {
            "id": str(interaction.id),
            "application_id": str(bot_id),
            "type": kind,
            "data": data,
            "channel_id": str(channel.id),
            "channel": channel.to_json(self.users),
            "token": interaction.token,
            "version": 1,
            "locale": "en-US",
            "app_permissions": str(self._app_permissions(bot_id, channel)),
            "entitlements": [],
            "authorizing_integration_owners": {},
            "context": 0 if guild else 1,
        }
        if guild is not None:
            member = guild.members[user.id]
            payload.update(
                guild_id=str(guild.id),
                guild_locale="en-US",
                member={**member.to_json(), "permissions": str(permissions(guild, channel, user.id))},
            )
        else:
            payload["user"] = user.to_json()
        if message is not None:
            payload["message"] = self._message_json(message)
        await self.dispatch("INTERACTION_CREATE", payload, {bot_id})
        return interaction

    async def control_send(self, request: web.Request) -> web.Response:
        body = await self._control_body(request, "user_id", "channel_id")
        user = self._user(body["user_id"])
        channel = self._channel(str(body["channel_id"]))
        errors = FormErrors()
        files = []
        for i, raw in enumerate(errors.array(("files",), body.get("files"))):
            item = errors.mapping(("files", i), raw)
            name = errors.string(("files", i, "filename"), item.get("filename"), 1024, 1, required=True)
            try:
                data = bytes.fromhex(str(item.get("hex", "")))
            except ValueError:
                errors.add(("files", i, "hex"), "BASE_TYPE_STRING", "Must be the file's bytes in hex.")
                continue
            kind = str(item.get("content_type") or "application/octet-stream")
            files.append(Attachment(snowflake(), name or "file", kind, data))
        errors.raise_if_any()
        content = body.get("content") or ""
        return _json(self._message_json(await self.user_sends(user, channel, content, files)))

    async def control_add_member(self, request: web.Request) -> web.Response:
        """A new person joins the guild (for load tests that need a crowd): their user JSON."""
        guild = self.guilds.get(path_id(request.match_info["guild_id"], 10004, "Unknown Guild"))
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        body = await self._control_body(request, "username")
        errors = FormErrors()
        # resources/user.mdx "Usernames and Nicknames": 2-32 characters.
        username = errors.string(("username",), body["username"], 32, 2)
        errors.raise_if_any()
        user = self.add_user(username or "")
        self.add_member(guild, user)
        member = guild.members[user.id]
        await self.dispatch("GUILD_MEMBER_ADD", {**member.to_json(), "guild_id": str(guild.id)})
        return _json(user.to_json())

    async def user_sends(
        self, user: User, channel: Channel, content: str, files: list[Attachment]
    ) -> Message:
        """A person posts a message (with attachments) in a channel they can write in."""
        self._require(user, channel, SEND_MESSAGES, *([ATTACH_FILES] if files else []))
        message = self._create_message(channel, user, {"content": content}, files)
        await self.dispatch("MESSAGE_CREATE", self._message_json(message))
        return message

    async def user_deletes(self, channel: Channel, message_id: int) -> None:
        """A moderator deletes a message (e.g. the panel, by mistake)."""
        self.messages[channel.id].pop(message_id, None)
        guild_id = str(channel.guild_id) if channel.guild_id else None
        await self.dispatch(
            "MESSAGE_DELETE", {"id": str(message_id), "channel_id": str(channel.id), "guild_id": guild_id}
        )

    async def control_messages(self, request: web.Request) -> web.Response:
        channel_id = path_id(request.match_info["channel_id"], 10003, "Unknown Channel")
        ordered = sorted(self.messages.get(channel_id, {}).values(), key=lambda m: m.id)
        return _json([self._message_json(m) for m in ordered])

    async def control_state(self, request: web.Request) -> web.Response:
        return _json(
            {
                "channels": [c.to_json(self.users) for c in self.channels.values()],
                "interactions": [
                    {"id": str(i.id), "response_type": i.response_type, "late": i.late}
                    for i in self.interactions.values()
                ],
                "rate_limited": sum(self.limiter.rejected.values()),
                # 429s by "METHOD /route/{template}" ("global" for the global limit).
                "rejections_by_route": dict(self.limiter.rejected_by_route),
                "requests": {
                    "total": sum(self.limiter.requests.values()),
                    "toward_global_limit": sum(self.limiter.admitted_global.values()),
                },
                "invalid_requests": self._invalid_requests_report(),
                # Modals the bot opened, for a UI acting as the user (the demo's Sandbox page).
                "modals": [e["d"] for e in self.events if e["t"] == "MODAL_OPENED"][-50:],
                "users": [u.to_json() for u in self.users.values()],
            }
        )

    def _invalid_requests_report(self) -> dict[str, Any]:
        """Invalid requests in the last 10 minutes, in all and per client ("Bot <user id>",
        "Bearer <user id>", or "anonymous"), without showing a token."""
        by_client: dict[str, int] = {}
        for client in self.limiter.clients():
            count = self.limiter.invalid_requests(client)
            if count:
                kind, _, _ = client.partition(" ")
                owner = self.tokens.get(client)
                label = f"{kind} {owner}" if owner else ("anonymous" if not client else "unknown token")
                by_client[label] = by_client.get(label, 0) + count
        return {"total": sum(by_client.values()), "by_client": by_client}

    async def control_clock(self, request: web.Request) -> web.Response:
        """Move the sandbox clock forward (`{"advance_s": 600}`), so tests need not sleep."""
        try:
            body = json.loads(await request.read())
        except ValueError:
            body = None
        advance = body.get("advance_s") if isinstance(body, dict) else None
        if isinstance(advance, bool) or not isinstance(advance, int | float) or not 0 <= advance < math.inf:
            raise DiscordError(400, 50035, "Invalid Form Body", {"advance_s": ["a number of seconds >= 0"]})
        self.clock.advance(float(advance))
        return _json({"offset_s": self.clock.offset_s})

    async def control_role_position(self, request: web.Request) -> web.Response:
        """The owner drags a role in Server Settings → Roles (`{"position": 3}`): the role takes
        that position and the others below @everyone's are renumbered 1, 2, … in their order,
        as Modify Guild Role Positions (resources/guild.mdx) leaves them; one Guild Role
        Update per role. The guild's roles, as Get Guild Roles answers."""
        guild = self.guilds.get(path_id(request.match_info["guild_id"], 10004, "Unknown Guild"))
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        role = guild.roles.get(path_id(request.match_info["role_id"], 10011, "Unknown Role"))
        if role is None or role.id == guild.id:
            raise DiscordError(404, 10011, "Unknown Role")
        body = await self._control_body(request, "position")
        errors = FormErrors()
        position = errors.integer(("position",), body["position"], required=True)
        errors.raise_if_any()
        others = sorted(
            (r for r in guild.roles.values() if r.id not in (guild.id, role.id)), key=lambda r: r.position
        )
        at = min(max((position or 1) - 1, 0), len(others))
        for number, moved in enumerate([*others[:at], role, *others[at:]], start=1):
            if moved.position != number:
                moved.position = number
                await self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": moved.to_json()})
        return _json([r.to_json() for r in sorted(guild.roles.values(), key=lambda r: r.position)])

    async def control_dms(self, request: web.Request) -> web.Response:
        body = await self._control_body(request, "user_id", "open")
        self._user(body["user_id"]).dms_open = bool(body["open"])
        return _json({"ok": True})

    async def attachment(self, request: web.Request) -> web.Response:
        channel_id, attachment_id = (
            parse_snowflake(request.match_info["channel_id"]),
            parse_snowflake(request.match_info["attachment_id"]),
        )
        for message in self.messages.get(channel_id, {}).values():
            for item in message.attachments:
                if item.id == attachment_id:
                    return web.Response(body=item.data, content_type=item.content_type)
        raise web.HTTPNotFound()

    @web.middleware
    async def refusals(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """aiohttp's own refusals under /api/ (no such route, wrong method, a body over
        client_max_size) as Discord's JSON: `{"message": "404: Not Found", "code": 0}` etc.
        Every refusal is logged, so a test or the demo's log shows what a bot sent that
        Discord would refuse."""
        try:
            return await handler(request)
        except DiscordError as refused:
            error = refused
        except web.HTTPRequestEntityTooLarge:
            error = too_large()
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as refusal:
            if not request.path.startswith("/api/"):
                raise
            error = DiscordError(refusal.status, 0, f"{refusal.status}: {refusal.reason}")
        refusals_log.warning("%s %s refused: %s %s", request.method, request.path, error.status, error.body())
        raise error

    def app(self) -> web.Application:
        # Above the 25 MiB Discord takes in one request, so that a larger upload meets
        # Discord's own 413 (40005) from the handlers rather than aiohttp's plain-text one.
        app = web.Application(
            middlewares=[self.middleware, self.refusals], client_max_size=REQUEST_MAX_BYTES + 5 * 1024 * 1024
        )
        api = "/api/v10"
        app.add_routes(
            [
                web.get(f"{api}/users/@me", self.get_me),
                web.get(f"{api}/users/@me/guilds", self.my_guilds),
                web.get("/oauth2/authorize", self.oauth_authorize),
                web.post(f"{api}/oauth2/token", self.oauth_token),
                web.post("/oauth2/token", self.oauth_token),
                web.get(f"{api}/users/{{user_id}}", self.get_user),
                web.get(f"{api}/gateway", self.get_gateway),
                web.get(f"{api}/gateway/bot", self.get_gateway),
                web.get(f"{api}/soundboard-default-sounds", self.empty_list),
                web.get(f"{api}/applications/{{app_id}}/commands", self.get_commands),
                web.put(f"{api}/applications/{{app_id}}/commands", self.put_commands),
                web.put(f"{api}/applications/{{app_id}}/guilds/{{guild_id}}/commands", self.put_commands),
                web.post(
                    f"{api}/interactions/{{interaction_id}}/{{token}}/callback", self.interaction_callback
                ),
                web.post(f"{api}/webhooks/{{app_id}}/{{token}}", self.followup),
                web.get(f"{api}/webhooks/{{app_id}}/{{token}}/messages/@original", self.original),
                web.patch(f"{api}/webhooks/{{app_id}}/{{token}}/messages/@original", self.original),
                web.delete(f"{api}/webhooks/{{app_id}}/{{token}}/messages/@original", self.original),
                web.get(f"{api}/guilds/{{guild_id}}", self.get_guild),
                web.post(f"{api}/guilds/{{guild_id}}/channels", self.create_channel),
                web.get(f"{api}/guilds/{{guild_id}}/channels", self.get_guild_channels),
                web.get(f"{api}/guilds/{{guild_id}}/roles", self.get_guild_roles),
                web.get(f"{api}/guilds/{{guild_id}}/members/{{user_id}}", self.get_member),
                web.put(f"{api}/guilds/{{guild_id}}/members/{{user_id}}/roles/{{role_id}}", self.member_role),
                web.delete(
                    f"{api}/guilds/{{guild_id}}/members/{{user_id}}/roles/{{role_id}}", self.member_role
                ),
                web.get(f"{api}/channels/{{channel_id}}", self.get_channel),
                web.delete(f"{api}/channels/{{channel_id}}", self.delete_channel),
                web.post(f"{api}/channels/{{channel_id}}/messages", self.post_message),
                web.get(f"{api}/channels/{{channel_id}}/messages", self.get_messages),
                web.get(f"{api}/channels/{{channel_id}}/messages/{{message_id}}", self.get_message),
                web.patch(f"{api}/channels/{{channel_id}}/messages/{{message_id}}", self.edit_message),
                web.delete(f"{api}/channels/{{channel_id}}/messages/{{message_id}}", self.delete_message),
                web.post(f"{api}/users/@me/channels", self.open_dm),
                web.get("/gateway/ws", self.gateway),
                web.get("/attachments/{channel_id}/{attachment_id}/{filename}", self.attachment),
                web.post("/_sandbox/click", self.control_click),
                web.post("/_sandbox/modal", self.control_submit_modal),
                web.post("/_sandbox/send", self.control_send),
                web.post("/_sandbox/dms", self.control_dms),
                web.get("/_sandbox/channels/{channel_id}/messages", self.control_messages),
                web.get("/_sandbox/state", self.control_state),
                web.post("/_sandbox/clock", self.control_clock),
                web.post("/_sandbox/guilds/{guild_id}/members", self.control_add_member),
                web.post("/_sandbox/guilds/{guild_id}/roles/{role_id}/position", self.control_role_position),
            ]
        )
        return app


class DiscordSandbox:
    """Runs a SandboxServer on 127.0.0.1 in a thread of its own.

    Parameters:
      port: 0 picks a free port.
    """

    def __init__(self, port: int = 0) -> None:
        self.server = SandboxServer()
        self.port = port
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="discord-sandbox", daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def api_base(self) -> str:
        return f"{self.server.base_url}/api/v10"

    def call(self, fn: Any, *args: Any) -> Any:
        """Run `fn(*args)` on the sandbox loop (state is only touched there)."""

        async def run() -> Any:
            result = fn(*args)
            return await result if asyncio.iscoroutine(result) else result

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def start(self) -> DiscordSandbox:
        self._thread.start()

        async def serve() -> None:
            self._runner = web.AppRunner(self.server.app())
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", self.port)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.server.base_url = f"http://127.0.0.1:{port}"

        asyncio.run_coroutine_threadsafe(serve(), self.loop).result(10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
