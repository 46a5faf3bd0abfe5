"""Rejects oversized requests with a 413 in our envelope, before the body is parsed."""

from __future__ import annotations

from mailpass.errors import PayloadTooLarge
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailpass_api.errors import envelope


class BodySizeLimit:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"The request body exceeds {self.limit} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                err = self._too_large()
                await envelope(err.http_status, err.code, err.message)(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            # Content-Length can be absent (chunked): count what actually arrives.
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise self._too_large()
            return message

        await self.app(scope, counted, send)
