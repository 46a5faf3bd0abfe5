"""A reverse proxy that injects faults, for the PHP SDK's retry tests: told over its own
`/__proxy/*` endpoints to answer the next N matching requests with an error (after forwarding
them or instead), and logging every request it sees so tests can count attempts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Fault:
    method: str
    path: str
    status: int = 503
    times: int = 1
    forward: bool = False  # forward first, then replace the answer: the answer "was lost"
    code: str = "SERVICE_UNAVAILABLE"
    retry_after: int | None = None
    raw: str | None = None  # a body that is not the API's envelope

    def body(self) -> bytes:
        if self.raw is not None:
            return self.raw.encode()
        error = {"code": self.code, "message": "injected by the test proxy", "details": None}
        return json.dumps({"success": False, "error": error}).encode()


@dataclass
class FaultProxy:
    upstream: str
    faults: list[Fault] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and fault.path == path:
                    fault.times -= 1
                    return fault
        return None


def _handler(proxy: FaultProxy, client: httpx.Client) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {"content-type": "application/json"}).items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _control(self, body: bytes) -> None:
            reply = b"{}"
            with proxy.lock:
                if self.path == "/__proxy/reset":
                    proxy.faults.clear()
                    proxy.requests.clear()
                elif self.path == "/__proxy/faults":
                    proxy.faults.append(Fault(**json.loads(body)))
                elif self.path == "/__proxy/log":
                    reply = json.dumps({"requests": proxy.requests}).encode()
                else:
                    self._reply(404, reply)
                    return
            self._reply(200, reply)

        def _any(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.startswith("/__proxy/"):
                self._control(body)
                return
            path = self.path.split("?", 1)[0]
            fault = proxy.take_fault(self.command, path)
            status: int
            if fault is None or fault.forward:
                upstream = client.request(
                    self.command,
                    self.path,
                    content=body,
                    headers={k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP},
                )
                status, reply = upstream.status_code, upstream.content
                headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
            if fault is not None:
                status, reply = fault.status, fault.body()
                headers = {"content-type": "application/json"}
                if fault.retry_after is not None:
                    headers["retry-after"] = str(fault.retry_after)
            with proxy.lock:
                proxy.requests.append(
                    {
                        "method": self.command,
                        "path": path,
                        "status": status,
                        "idempotency_key": self.headers.get("idempotency-key"),
                    }
                )
            self._reply(status, reply, headers)

        # http.server dispatches on these names.
        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any  # noqa: N815

    return Handler


@contextmanager
def fault_proxy(upstream: str) -> Iterator[str]:
    """Serves on a free loopback port; yields its base URL."""
    proxy = FaultProxy(upstream)
    with httpx.Client(base_url=upstream, timeout=30) as client:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy, client))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
