"""The app: one router per resource (mailpass_api.routers), the error envelope, the body limit and
the OpenAPI document. Routes stay thin: authenticate, parse, call the use case, shape the answer."""

from __future__ import annotations

import importlib
from typing import Any

from fastapi import FastAPI
from mailpass.settings import get_settings
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from mailpass_api import errors
from mailpass_api.deps import API, container
from mailpass_api.limits import BodySizeLimit
from mailpass_api.routers import mail, tracking

__all__ = ["API", "container", "create_app"]

# The settings routers (and /stats, and the message log), by prefix. A cold start (a /send, a
# /status) never imports them. The eager mail router is tried first and has no route under
# /mail/messages, so that prefix falls through to its stand-in.
SETTINGS_ROUTERS = {
    f"{API}/mail/messages": "mailpass_api.routers.message_log",
    f"{API}/smtp-providers": "mailpass_api.routers.providers",
    f"{API}/webhooks": "mailpass_api.routers.webhooks",
    f"{API}/suppressions": "mailpass_api.routers.suppressions",
    f"{API}/domains": "mailpass_api.routers.domains",
    f"{API}/account": "mailpass_api.routers.account",
    f"{API}/templates": "mailpass_api.routers.templates",
    f"{API}/stats": "mailpass_api.routers.stats",
    f"{API}/api-keys": "mailpass_api.routers.api_keys",
}


class LazyRouter(BaseRoute):
    """Stands in for a router until the first request under its prefix, then includes it in the
    app and hands that request over to it. Matching is by prefix only: once loaded, the real
    routes answer (404 and 405 included) and this stand-in matches nothing."""

    def __init__(self, app: FastAPI, prefix: str, module: str) -> None:
        self.app = app
        self.prefix = prefix
        self.module = module
        self.loaded = False

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.loaded or scope["type"] != "http":
            return Match.NONE, {}
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if path == self.prefix or path.startswith(self.prefix + "/"):
            return Match.FULL, {}
        return Match.NONE, {}

    def load(self) -> None:
        if not self.loaded:
            # All synchronous, on the event loop: no other request sees it half done. Marked
            # loaded last, so a failed import is tried again by the next request.
            self.app.include_router(importlib.import_module(self.module).router)
            self.loaded = True

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.load()
        await self.app.router.app(scope, receive, send)


def create_app(max_request_bytes: int | None = None, *, inline_blocking: bool = False) -> FastAPI:
    app = FastAPI(
        title="MailPass",
        version="1.0",
        description="Transactional email API. Every answer is an envelope: "
        '`{"success": true, "data": ...}` or '
        '`{"success": false, "error": {"code", "message", "details"}}`.',
        docs_url=f"{API}/docs",
        openapi_url=f"{API}/openapi.json",
        redoc_url=None,
    )
    app.state.inline_blocking = inline_blocking
    errors.install(app)
    if max_request_bytes is None:
        max_request_bytes = get_settings().max_request_bytes
    app.add_middleware(BodySizeLimit, limit=max_request_bytes)

    app.include_router(mail.router)
    lazy = [LazyRouter(app, prefix, module) for prefix, module in SETTINGS_ROUTERS.items()]
    app.router.routes.extend(lazy)
    app.include_router(tracking.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from mailpass_api.contract import build

            for router in lazy:
                router.load()
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
    return app
