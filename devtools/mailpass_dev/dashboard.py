"""The dashboard on the API's origin for the local stack: /dashboard/ is the built single-page app
(dashboard/dist), everything else goes to the API app untouched.

Only the dev server (and the browser tests) wrap the API with this: the API Lambda never imports
it, so its cold start does not change. In AWS, CloudFront serves the same files from S3 with the
same headers (template.yaml's DashboardHeadersPolicy)."""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from mailpass_dev.template import ROOT

DIST = ROOT / "dashboard" / "dist"
PREFIX = "/dashboard"

# The strict policy: scripts, styles, fetches and images from this origin only, nothing inline,
# no framing. template.yaml's response headers policy carries the same string (a test compares).
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}

Scope = dict[str, Any]
Asgi = Any  # an ASGI application: (scope, receive, send) -> awaitable


def with_dashboard(api: Asgi, dist: Path = DIST) -> Asgi:
    """An ASGI app serving dist under /dashboard/ (security headers on every answer there) and
    handing every other request to `api`."""
    from starlette.responses import PlainTextResponse, RedirectResponse
    from starlette.staticfiles import StaticFiles

    files = StaticFiles(directory=dist, html=True, check_dir=False)

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await api(scope, receive, send)
            return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                # A rebuilt dashboard shows at once: hashed assets may be cached, pages not.
                if not path.startswith(PREFIX + "/assets/"):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        if path == PREFIX:
            response: Asgi = RedirectResponse(PREFIX + "/", status_code=308)
        elif not (dist / "index.html").is_file():
            response = PlainTextResponse(
                "The dashboard is not built: run `make dashboard`.", status_code=503
            )
        else:
            # StaticFiles serves the part of the path after root_path.
            await files({**scope, "root_path": PREFIX}, receive, send_with_headers)
            return
        await response(scope, receive, send_with_headers)

    return app
