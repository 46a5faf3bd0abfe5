"""`make dev`'s console: one short line per request and per drain that did work, the services'
JSON logs marked as such, and the banner framed on stderr, so each kind is told apart at a
glance (and `2>/dev/null` keeps the lines and logs only)."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST = "http  "
DRAIN = "drain "
LOG = "log   "


def say(prefix: str, text: str) -> None:
    print(f"{prefix}{text}", flush=True)


def frame(text: str) -> str:
    """The banner in a box of `=` lines."""
    rule = "=" * 78
    return f"{rule}\n{text.strip(chr(10))}\n{rule}"


class RequestLines:
    """ASGI middleware: `http   POST /api/v1/mail/send 200 12 ms` per request (uvicorn's own
    access log is off: it says less and looks like the rest)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            ms = (time.perf_counter() - start) * 1000
            say(REQUEST, f"{scope['method']} {scope['path']} {status[0]} {ms:.0f} ms")


class _Prefixed:
    """A stream that starts each line with a prefix."""

    def __init__(self, stream: TextIO, prefix: str) -> None:
        self._stream = stream
        self._prefix = prefix
        self._at_line_start = True

    def write(self, text: str) -> int:
        out = []
        for piece in text.splitlines(keepends=True):
            if self._at_line_start:
                out.append(self._prefix)
            out.append(piece)
            self._at_line_start = piece.endswith("\n")
        self._stream.write("".join(out))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()


class _NotDrainReports(logging.Filter):
    """The dispatcher logs a report after every drain, idle ones too; the console prints its
    own line for those that did work (drain_line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "drain finished"


def mark_json_logs() -> None:
    from mailpass.observability import logger

    handler: Any = logger.registered_handler
    if isinstance(handler, logging.StreamHandler):
        handler.setStream(_Prefixed(sys.stdout, LOG))
    handler.addFilter(_NotDrainReports())


def drain_line(report: dict[str, Any]) -> str | None:
    """One line for a dispatcher run that did something; None for an idle one."""
    parts = []
    if report.get("received"):
        counts = ", ".join(
            f"{report[k]} {k}"
            for k in ("sent", "failed", "retried", "canceled", "poison")
            if report.get(k)
        )
        parts.append(f"{report['received']} received" + (f": {counts}" if counts else ""))
    moved = report.get("scheduled", {}).get("moved")
    if moved:
        parts.append(f"{moved} scheduled queued")
    checked = report.get("domains", {}).get("checked")
    if checked:
        parts.append(f"{checked} domains checked")
    return "; ".join(parts) or None
