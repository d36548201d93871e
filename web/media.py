"""Files the dashboard keeps and serves.

Product images, 3D models with their still pictures, and panel thumbnails are public (Discord
shows them to everyone in the guild, the public product page shows the model):
`/media/<guild>/<name>`. A ticket's payment proof, archived transcript and the files
posted in it are the buyer's private data: `/files/tickets/<id>/proof|transcript` and
`/files/tickets/<id>/attachments/<message>/<n>` (linked from the transcript) check the
seller's session against the ticket's store on every request.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from models.settings import get_settings
from models.ticket import Ticket
from models.ticket_message import TicketMessage
from web import access
from workflows.errors import StoreError
from workflows.images import PreparedImage, prepare_upload
from workflows.model3d import check_model
from workflows.model_still import render_png
from workflows.tickets import get_ticket

_NAME = re.compile(r"^[0-9a-f]{32}(_thumb)?\.(png|jpg|webp|gif|glb)$")
# The registered type of binary glTF (https://www.iana.org/assignments/media-types/model/gltf-binary).
GLB_TYPE = "model/gltf-binary"


def media_dir() -> Path:
    return get_settings().data_dir / "media"


def public_url(ref: str | None) -> str:
    """Where a browser (or Discord) fetches a kept image ('' for none)."""
    return f"{get_settings().public_url.rstrip('/')}/media/{ref}" if ref else ""


def thumbnail_ref(ref: str | None) -> str | None:
    if not ref:
        return None
    stem, _, _ = ref.rpartition(".")
    return f"{stem}_thumb.png"


def _write(folder: Path, name: str, prepared: PreparedImage) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.{prepared.extension}").write_bytes(prepared.clean)
    (folder / f"{name}_thumb.png").write_bytes(prepared.thumbnail)


async def keep_image(guild_id: int, data: bytes) -> str:
    """Check, clean and keep an uploaded image with its thumbnail; returns its ref
    (`<guild>/<name>.<ext>`). InvalidInput says what is wrong with a bad upload."""
    prepared = await asyncio.to_thread(prepare_upload, data)
    name = uuid.uuid4().hex
    await asyncio.to_thread(_write, media_dir() / str(guild_id), name, prepared)
    return f"{guild_id}/{name}.{prepared.extension}"


def _prepare_model(data: bytes) -> tuple[bytes, bytes, bytes]:
    """(the .glb, its still picture, the still's thumbnail): checked and drawn, nothing written."""
    model = check_model(data)
    still = render_png(model)
    prepared = prepare_upload(still)
    return model.glb, still, prepared.thumbnail


def _write_model(folder: Path, name: str, glb: bytes, still: bytes, thumbnail: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.png").write_bytes(still)
    (folder / f"{name}_thumb.png").write_bytes(thumbnail)
    (folder / f"{name}.glb").write_bytes(glb)


async def keep_model(guild_id: int, data: bytes) -> tuple[str, str]:
    """Check an uploaded 3D model (.glb, or .gltf with embedded data), keep it as a .glb and
    draw its still picture (with the usual `_thumb.png`); returns (model ref, still ref), e.g.
    `("<guild>/<hex>.glb", "<guild>/<hex>.png")`. A bad file raises InvalidInput (keyed
    `errors.model3d_*`, said in the seller's language) and nothing is written."""
    glb, still, thumbnail = await asyncio.to_thread(_prepare_model, data)
    name = uuid.uuid4().hex
    await asyncio.to_thread(_write_model, media_dir() / str(guild_id), name, glb, still, thumbnail)
    return f"{guild_id}/{name}.glb", f"{guild_id}/{name}.png"


async def public_media(request: Request) -> Response:
    guild, name = request.path_params["guild"], request.path_params["name"]
    if not guild.isdigit() or not _NAME.match(name):
        return PlainTextResponse("not found", 404)
    path = media_dir() / guild / name
    if not await asyncio.to_thread(path.is_file):
        return PlainTextResponse("not found", 404)
    media_type = GLB_TYPE if name.endswith(".glb") else None  # Python's mimetypes does not know .glb
    return FileResponse(
        path,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


async def _sellers_ticket(request: Request) -> Ticket | None:
    """The ticket of the path, if the session is one of its store's sellers."""
    try:
        ticket: Ticket = await get_ticket(request.path_params["ticket_id"])
        await access.check(request.headers.get("cookie"), ticket.guild_id)
    except (StoreError, access.Refused):
        return None  # the same answer for "not yours" and "none"
    return ticket


async def ticket_file(request: Request) -> Response:
    ticket = await _sellers_ticket(request)
    if ticket is None:
        return PlainTextResponse("not found", 404)
    data_dir = get_settings().data_dir
    if request.path_params["kind"] == "transcript" and ticket.transcript:
        path = Path(ticket.transcript.path)
        media_type = "text/html"
    elif request.path_params["kind"] == "proof" and ticket.payment_report and ticket.payment_report.proof_ref:
        path = data_dir / ticket.payment_report.proof_ref
        media_type = None
    else:
        return PlainTextResponse("not found", 404)
    if not await asyncio.to_thread(path.is_file):
        return PlainTextResponse("not found", 404)
    # A transcript is HTML written from buyers' messages: served sandboxed, never as our origin.
    # (Transcripts archived before attachments were linked carry their images as data URIs.)
    headers = {
        "Content-Security-Policy": "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    }
    return FileResponse(
        path, media_type=media_type, headers={**headers, "Cache-Control": "private, no-store"}
    )


async def ticket_attachment(request: Request) -> Response:
    """A file posted in a ticket, as the store copied it (bot/listeners.py)."""
    ticket = await _sellers_ticket(request)
    message_id, index = request.path_params["message_id"], request.path_params["index"]
    if ticket is None or not message_id.isdigit() or not index.isdigit() or len(message_id) > 20:
        return PlainTextResponse("not found", 404)
    message = await TicketMessage.find_one({"ticket_id": ticket.id, "message_id": int(message_id)})
    if message is None or int(index) >= len(message.attachments):
        return PlainTextResponse("not found", 404)
    attachment = message.attachments[int(index)]
    data_dir = get_settings().data_dir.resolve()
    path = (data_dir / attachment.stored_path).resolve() if attachment.stored_path else None
    if path is None or not path.is_relative_to(data_dir) or not await asyncio.to_thread(path.is_file):
        return PlainTextResponse("not found", 404)
    # Only an image the listener checked is shown inline; anything else a buyer posted (HTML,
    # a script) is a download, never rendered as our origin.
    image = attachment.content_type in {"image/png", "image/jpeg", "image/gif", "image/webp"}
    return FileResponse(
        path,
        media_type=attachment.content_type if image else "application/octet-stream",
        filename=attachment.filename,
        content_disposition_type="inline" if image else "attachment",
        headers={
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


ROUTES = [
    Route("/media/{guild}/{name}", public_media, methods=["GET"]),
    Route("/files/tickets/{ticket_id}/{kind}", ticket_file, methods=["GET"]),
    Route("/files/tickets/{ticket_id}/attachments/{message_id}/{index}", ticket_attachment, methods=["GET"]),
]
