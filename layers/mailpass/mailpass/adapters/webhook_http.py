"""Posting a webhook delivery: one small request with stdlib http.client, to an address the egress
guard checked at post time (not only at registration), and never following a redirect.

http.client keeps the URL's host for the Host header, SNI and the certificate check; only the TCP
connection is made to the checked IP, so the name is not resolved twice (no DNS rebinding). It
never follows redirects by itself: a 3xx comes back as that status, a failed attempt, because a
redirect would be a second, unchecked destination.

When nothing answered, the reason starts with what stood in the way (the delivery log's `error`):
`blocked` (the egress guard), `dns`, `refused`, `timeout`, `tls` or `connection`."""

from __future__ import annotations

import http.client
import socket
import ssl
from urllib.parse import urlsplit

from mailpass import egress
from mailpass.errors import EgressRefused

# Enough of a reply to end the exchange cleanly; the body itself is not used.
MAX_REPLY_BYTES = 64 * 1024


class HttpPost:
    def __init__(
        self,
        timeout: float,
        *,
        allow_local: bool = False,
        resolve: egress.Resolve = egress.system_resolve,
    ) -> None:
        self._timeout = timeout
        self._allow_local = allow_local
        self._resolve = resolve

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        parts = urlsplit(url)
        secure = parts.scheme == "https"
        if not parts.hostname or not (secure or (self._allow_local and parts.scheme == "http")):
            return 0, "blocked: the url must be https://"
        try:
            port = parts.port or (443 if secure else 80)
            addresses = egress.resolve_public(
                parts.hostname, port, allow_loopback=self._allow_local, resolve=self._resolve
            )
        except EgressRefused as exc:
            return 0, f"{'blocked' if exc.permanent else 'dns'}: {exc.message}"
        except ValueError:
            return 0, "blocked: the url has an invalid port"
        conn: http.client.HTTPConnection
        if secure:
            conn = http.client.HTTPSConnection(
                parts.hostname, port, timeout=self._timeout, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(parts.hostname, port, timeout=self._timeout)

        def pinned(
            address: tuple[str, int], timeout: float | None, source: tuple[str, int] | None
        ) -> socket.socket:
            return egress.connect(addresses, port, timeout)

        conn._create_connection = pinned  # type: ignore[attr-defined]  # the one way in
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request("POST", target, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read(MAX_REPLY_BYTES)
            return resp.status, resp.reason or ""
        except (http.client.HTTPException, OSError) as exc:
            return 0, f"{_kind(exc)}: {type(exc).__name__}: {exc}"
        finally:
            conn.close()


def _kind(exc: Exception) -> str:
    if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return "tls"
    return "connection"
