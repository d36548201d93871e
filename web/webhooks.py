"""HTTP routes for payment notifications, mounted on Reflex's backend (`api_transformer`).

Every refusal is a 4xx with a short reason, changes nothing and is logged; no input can make
the handler answer 5xx.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from models.store import Store
from web import seller_alerts
from web.database import connected
from workflows import bank_mutations, gateway_callbacks, json_body, payment_secrets
from workflows.errors import InvalidInput

log = logging.getLogger(__name__)


# Discord snowflakes are 64-bit; anything longer is no guild (and would overflow MongoDB's int64).
MAX_GUILD_ID = 2**63 - 1
JSON_TYPES = ("application/json", "text/json")


def _guild_id(request: Request) -> int | None:
    raw = str(request.path_params.get("guild_id", ""))
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_GUILD_ID else None


def _refusal(request: Request) -> JSONResponse | None:
    """What is wrong with the request before its body is read: its type or declared size."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in JSON_TYPES:
        return JSONResponse({"error": "content type must be application/json"}, 415)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > json_body.MAX_BYTES:
        return JSONResponse({"error": "body too large"}, 413)
    return None


async def _body(request: Request, limit: int) -> bytes | None:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def moota(request: Request) -> JSONResponse:
    """POST /webhooks/moota/{guild_id}: a JSON array of bank mutations, signed."""
    guild_id = _guild_id(request)
    if guild_id is None:
        log.warning("moota webhook refused: no such store %r", request.path_params.get("guild_id"))
        return JSONResponse({"error": "unknown store"}, 404)
    refused = _refusal(request)
    if refused is not None:
        log.warning("moota webhook for %s refused: %s", guild_id, bytes(refused.body).decode())
        return refused
    body = await _body(request, bank_mutations.MAX_BODY_BYTES)
    if body is None:
        log.warning("moota webhook for %s refused: body too large", guild_id)
        return JSONResponse({"error": "body too large"}, 413)
    store = await Store.find_one(Store.guild_id == guild_id)
    secret = await payment_secrets.reveal(store, "moota_secret") if store else None
    if store is None or not secret:
        log.warning("moota webhook for unknown or unconfigured store %s", guild_id)
        return JSONResponse({"error": "unknown store"}, 404)
    if not bank_mutations.signature_ok(secret, body, request.headers.get("Signature")):
        log.warning("moota webhook for %s refused: bad or missing signature", guild_id)
        return JSONResponse({"error": "bad signature"}, 401)
    try:
        mutations = bank_mutations.parse(body)
    except InvalidInput as error:
        log.warning("moota webhook for %s refused: %s", guild_id, error)
        return JSONResponse({"error": str(error)}, 400)
    outcomes = [await bank_mutations.record(guild_id, m) for m in mutations]
    return JSONResponse({"results": [o.__dict__ for o in outcomes]})


async def _gateway(request: Request, name: str) -> JSONResponse:
    guild_id = _guild_id(request)
    if guild_id is None:
        log.warning("%s callback refused: no such store %r", name, request.path_params.get("guild_id"))
        return JSONResponse({"error": "unknown store"}, 404)
    refused = _refusal(request)
    if refused is not None:
        log.warning("%s callback for %s refused: %s", name, guild_id, bytes(refused.body).decode())
        return refused
    body = await _body(request, json_body.MAX_BYTES)
    if body is None:
        log.warning("%s callback for %s refused: body too large", name, guild_id)
        return JSONResponse({"error": "body too large"}, 413)
    store = await Store.find_one(Store.guild_id == guild_id)
    if store is None:
        log.warning("%s callback for unknown store %s", name, guild_id)
        return JSONResponse({"error": "unknown store"}, 404)
    try:
        key = await payment_secrets.reveal(store, gateway_callbacks.KEYS[name])
        if name == "tripay":
            settlement = gateway_callbacks.tripay(key, body, request.headers.get("X-Callback-Signature"))
        elif name == "midtrans":
            settlement = gateway_callbacks.midtrans(key, body)
        else:
            settlement = gateway_callbacks.xendit(key, body, request.headers.get("x-callback-token"))
        settled = await gateway_callbacks.settle(store, settlement)
    except gateway_callbacks.Forged as error:
        log.warning("%s callback for %s refused: %s", name, store.guild_id, error)
        return JSONResponse({"error": str(error)}, 401)
    except InvalidInput as error:
        log.warning("%s callback for %s refused: %s", name, store.guild_id, error)
        return JSONResponse({"error": str(error)}, 400)
    if settled.kept is not None:
        kept = settled.kept
        log.warning(
            "%s payment %s kept: ticket #%s %s", name, kept.external_id, kept.ticket_number, kept.reason
        )
        await seller_alerts.alert(store, gateway_callbacks.kept_alert(store, kept), f"kept:{kept.id}")
    return JSONResponse({"result": settled.result})


async def tripay(request: Request) -> JSONResponse:
    return await _gateway(request, "tripay")


async def midtrans(request: Request) -> JSONResponse:
    return await _gateway(request, "midtrans")


async def xendit(request: Request) -> JSONResponse:
    return await _gateway(request, "xendit")


ROUTES = [
    Route("/webhooks/moota/{guild_id}", moota, methods=["POST"]),
    Route("/webhooks/tripay/{guild_id}", tripay, methods=["POST"]),
    Route("/webhooks/midtrans/{guild_id}", midtrans, methods=["POST"]),
    Route("/webhooks/xendit/{guild_id}", xendit, methods=["POST"]),
]

# Mounted on Reflex's backend, which connects the database itself.
webhooks = Starlette(routes=ROUTES)


# Served alone (`granian --interface asgi web.webhooks:standalone`), e.g. on its own host.
standalone = Starlette(routes=ROUTES, lifespan=lambda app: connected())
