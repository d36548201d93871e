"""`/files/stores/<guild>/export/<kind>.<csv|json>`: a store's export (workflows/export.py) as a
download, for that store's sellers only.

Like a ticket's files (web/media.py) the seller's session is checked against the store on
every request: no session is 401, and anything else that is not this seller's store (another
guild's, one that does not exist, a kind we do not export) is the same 404, so the answer never
tells a stranger which stores exist.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from web import access
from workflows import export


def path(guild_id: int | str, kind: str, fmt: str) -> str:
    """Where the dashboard links one download."""
    return f"/files/stores/{guild_id}/export/{kind}.{fmt}"


async def download(request: Request) -> Response:
    kind, fmt = request.path_params["kind"], request.path_params["fmt"]
    try:
        checked = await access.check(request.headers.get("cookie"), request.path_params["guild"])
    except access.Refused as refused:
        if refused.why is access.Why.LOG_IN:
            return PlainTextResponse("please log in with Discord", 401)
        return PlainTextResponse("not found", 404)
    if kind not in export.KINDS or fmt not in export.FORMATS:
        return PlainTextResponse("not found", 404)
    made = await export.collect(checked.store, kind)
    return Response(
        export.render(made, fmt),
        media_type=export.MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename(made, fmt)}"',
            # Buyers' names and payments: never kept by a shared cache or the browser's.
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


ROUTES = [Route("/files/stores/{guild}/export/{kind}.{fmt}", download, methods=["GET"])]
