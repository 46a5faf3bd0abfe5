"""/track: hit by mail clients, unauthenticated: the signed token is the only thing trusted."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from mailpass.errors import NotFound

from mailpass_api.contract import failures
from mailpass_api.deps import API, Services, blocking, caller_ip

router = APIRouter(prefix=f"{API}/track", tags=["tracking"])

NO_STORE = {"Cache-Control": "no-store, no-cache, must-revalidate, private", "Pragma": "no-cache"}


@router.get(
    "/open/{token}",
    operation_id="trackOpen",
    summary="The open-tracking pixel",
    description="Records an open for a valid token; answers the pixel either way.",
    response_class=Response,
    responses={
        200: {
            "description": "A 1x1 transparent GIF",
            "content": {"image/gif": {"schema": {"type": "string", "format": "binary"}}},
        },
        **failures(public=True),
    },
)
async def track_open(request: Request, token: str, c: Services) -> Response:
    from mailpass.tracking import OPEN, PIXEL_GIF

    ua = request.headers.get("user-agent")
    await blocking(request, c.tracking.record, token, caller_ip(request), ua, OPEN)
    # The pixel either way: a mail client shows nothing whatever happened.
    return Response(PIXEL_GIF, media_type="image/gif", headers=NO_STORE)


@router.get(
    "/click/{token}",
    operation_id="trackClick",
    summary="A tracked link",
    description="Records a click and redirects to the URL the token signs.",
    status_code=302,
    response_class=Response,
    responses={
        302: {
            "description": "To the link's URL",
            "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
        },
        **failures(NotFound, public=True),
    },
)
async def track_click(request: Request, token: str, c: Services) -> Response:
    from mailpass.tracking import CLICK

    ua = request.headers.get("user-agent")
    tracked = await blocking(request, c.tracking.record, token, caller_ip(request), ua, CLICK)
    if tracked is None or tracked.url is None:
        # No redirect for anything we did not sign ourselves: not an open redirect.
        raise NotFound("No such link")
    return Response(status_code=302, headers={"Location": tracked.url, **NO_STORE})
