"""SMTP hand-off with pooled connections.

Connections are kept per (host, port, security, user) and reused across requests of a warm
process and across a dispatcher drain. A pooled connection may have died while idle (or while
Lambda was frozen); that shows on MAIL FROM, before anything was handed over, so exactly then we
reconnect and try once more. A failure after MAIL FROM is never retried here."""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mailpass import egress
from mailpass.errors import EgressRefused, ProviderError
from mailpass.mime import OutgoingMessage
from mailpass.models import SmtpSecurity
from mailpass.ports import SendReceipt

# EHLO name: smtplib would otherwise call socket.getfqdn(), a DNS round trip on every connect.
EHLO_NAME = "mailpass.local"


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    host: str
    port: int
    security: SmtpSecurity
    username: str | None = None
    password: str | None = field(default=None, repr=False)


class _PinnedSMTP(smtplib.SMTP):
    """SMTP to addresses the egress guard already checked. The provider's host name still serves
    for SNI and the certificate check (STARTTLS and implicit TLS); only the socket goes to the
    checked IP, so the name is never resolved again (no DNS rebinding)."""

    pinned: list[egress.Address]
    _host: str  # smtplib's: the name TLS is checked against

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return egress.connect(self.pinned, port, timeout)


class _PinnedSMTP_SSL(smtplib.SMTP_SSL, _PinnedSMTP):  # noqa: N801  # smtplib's own spelling
    """Implicit TLS: SMTP_SSL wraps the socket _PinnedSMTP opens (next in the MRO), with SNI."""


def open_connection(
    target: SmtpTarget, timeout: float, *, allow_loopback: bool, resolve: egress.Resolve
) -> smtplib.SMTP:
    """A connected session (banner read, nothing said yet) to a checked address of target."""
    addresses = egress.resolve_public(
        target.host, target.port, allow_loopback=allow_loopback, resolve=resolve
    )
    conn: _PinnedSMTP
    if target.security is SmtpSecurity.TLS:
        conn = _PinnedSMTP_SSL(
            local_hostname=EHLO_NAME, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = _PinnedSMTP(local_hostname=EHLO_NAME, timeout=timeout)
    conn.pinned = addresses
    conn._host = target.host  # what STARTTLS and SMTP_SSL check the certificate against
    conn.connect(target.host, target.port)
    return conn


class _Stale(Exception):
    """The pooled connection was dead before the hand-off began."""


def _text(resp: bytes | str) -> str:
    return (resp.decode(errors="replace") if isinstance(resp, bytes) else resp).strip()


def describe(exc: BaseException, target: SmtpTarget) -> ProviderError:
    where = f"{target.host}:{target.port}"
    if isinstance(exc, EgressRefused):
        return ProviderError(exc.message, permanent=exc.permanent)
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        return ProviderError(f"{code} {_text(exc.smtp_error)}", permanent=500 <= code < 600)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        detail = "; ".join(f"{a}: {c} {_text(m)}" for a, (c, m) in exc.recipients.items())
        return ProviderError(detail, permanent=all(500 <= c < 600 for c in codes))
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return ProviderError(f"{where}: {exc}", permanent=True)
    if isinstance(exc, ssl.SSLError):
        return ProviderError(f"{where}: TLS failed: {exc}", permanent=True)
    if isinstance(exc, ConnectionRefusedError):
        return ProviderError(f"{where}: connection refused", permanent=False)
    if isinstance(exc, TimeoutError | socket.timeout):
        return ProviderError(f"{where}: timed out", permanent=False)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return ProviderError(f"{where}: server disconnected: {exc}", permanent=False)
    return ProviderError(f"{where}: {type(exc).__name__}: {exc}", permanent=False)


def _b64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def login(conn: smtplib.SMTP, username: str, password: str) -> None:
    """One AUTH attempt, UTF-8 credentials. smtplib's login() encodes them as ASCII and, on a
    refusal, walks on through every other mechanism; we want one clear answer, fast."""
    mechanisms = conn.esmtp_features.get("auth", "").upper().split()
    if "PLAIN" in mechanisms:  # RFC 4616: UTF-8
        code, resp = conn.docmd("AUTH", "PLAIN " + _b64(f"\0{username}\0{password}"))
    elif "LOGIN" in mechanisms:
        code, resp = conn.docmd("AUTH", "LOGIN " + _b64(username))
        if code == 334:
            code, resp = conn.docmd(_b64(password))
    else:
        conn.login(username, password)  # CRAM-MD5 and friends
        return
    if code not in (235, 503):  # 503: already authenticated
        raise smtplib.SMTPAuthenticationError(code, resp)


class SmtpPool:
    def __init__(
        self,
        timeout: float,
        idle_seconds: float,
        *,
        allow_loopback: bool = False,
        resolve: egress.Resolve = egress.system_resolve,
    ) -> None:
        self.timeout = timeout
        self._timeout = timeout
        self.allow_loopback = allow_loopback
        self.resolve = resolve
        self._idle = idle_seconds
        self._lock = threading.Lock()
        self._idle_conns: dict[SmtpTarget, list[tuple[smtplib.SMTP, float]]] = {}

    def connect(self, target: SmtpTarget) -> smtplib.SMTP:
        conn = open_connection(
            target, self._timeout, allow_loopback=self.allow_loopback, resolve=self.resolve
        )
        try:
            conn.ehlo()
            if target.security is SmtpSecurity.STARTTLS:
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if target.username and target.password is not None:
                login(conn, target.username, target.password)
        except BaseException:
            conn.close()
            raise
        return conn

    def acquire(self, target: SmtpTarget) -> tuple[smtplib.SMTP, bool]:
        """A connection for this target and whether it is fresh (opened just now)."""
        now = time.monotonic()
        with self._lock:
            stack = self._idle_conns.get(target, [])
            while stack:
                conn, since = stack.pop()
                if now - since <= self._idle:
                    return conn, False
                _quietly_close(conn)
        return self.connect(target), True

    def release(self, target: SmtpTarget, conn: smtplib.SMTP) -> None:
        with self._lock:
            self._idle_conns.setdefault(target, []).append((conn, time.monotonic()))

    def close_all(self) -> None:
        with self._lock:
            stacks, self._idle_conns = self._idle_conns, {}
        for stack in stacks.values():
            for conn, _ in stack:
                _quietly_close(conn, graceful=True)


def _quietly_close(conn: smtplib.SMTP, *, graceful: bool = False) -> None:
    # QUIT waits for a reply; on a connection that may be dead that can stall for the whole
    # timeout, so only a clean shutdown says goodbye. The rest just drop the socket.
    try:
        if graceful:
            conn.quit()
    except Exception:  # noqa: S110  # best effort: the peer may already be gone
        pass
    finally:
        conn.close()


class SmtpSender:
    def __init__(self, pool: SmtpPool, target: SmtpTarget) -> None:
        self._pool = pool
        self._target = target

    def send(self, message: OutgoingMessage) -> SendReceipt:
        for _ in range(2):
            try:
                conn, fresh = self._pool.acquire(self._target)
            except Exception as exc:
                raise describe(exc, self._target) from exc
            try:
                refused = self._transmit(conn, message)
            except _Stale as stale:
                _quietly_close(conn)
                if fresh:
                    raise describe(stale.__cause__ or stale, self._target) from stale
                continue
            except ProviderError:
                self._reset_or_drop(conn)
                raise
            except Exception as exc:
                _quietly_close(conn)
                raise describe(exc, self._target) from exc
            self._pool.release(self._target, conn)
            return SendReceipt(provider_message_id=None, refused=refused)
        raise ProviderError(
            f"{self._target.host}:{self._target.port}: no usable connection", permanent=False
        )

    def _reset_or_drop(self, conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except Exception:
            _quietly_close(conn)
            return
        self._pool.release(self._target, conn)

    @staticmethod
    def _transmit(conn: smtplib.SMTP, message: OutgoingMessage) -> dict[str, str]:
        try:
            code, resp = conn.mail(message.envelope_from)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _Stale() from exc
        if code != 250:
            raise ProviderError(f"{code} {_text(resp)}", permanent=500 <= code < 600)
        refused: dict[str, str] = {}
        codes: list[int] = []
        for rcpt in message.recipients:
            code, resp = conn.rcpt(rcpt)
            if code not in (250, 251):
                refused[rcpt] = f"{code} {_text(resp)}"
                codes.append(code)
        if len(refused) == len(message.recipients):
            detail = "; ".join(f"{a}: {why}" for a, why in refused.items())
            raise ProviderError(detail, permanent=all(500 <= c < 600 for c in codes))
        code, resp = conn.data(message.raw)
        if code != 250:
            # The provider's own words, verbatim: that is what the caller needs to act on.
            raise ProviderError(f"{code} {_text(resp)}", permanent=500 <= code < 600)
        return refused


def probe(
    target: SmtpTarget,
    timeout: float,
    *,
    allow_loopback: bool = False,
    resolve: egress.Resolve = egress.system_resolve,
) -> list[dict[str, Any]]:
    """A connection test: each step of a real session, timed, stopping at the first failure.
    Nothing is sent; the session ends with QUIT. The egress guard runs before the connect step,
    so a refused host is never connected to."""
    steps: list[dict[str, Any]] = []
    conn: smtplib.SMTP | None = None

    def step(name: str, fn: Callable[[], str]) -> bool:
        started = time.perf_counter()
        try:
            detail, ok = fn(), True
        except Exception as exc:  # reported, not raised: the report is the answer
            detail, ok = describe(exc, target).reason, False
        ms = round((time.perf_counter() - started) * 1000, 1)
        steps.append({"step": name, "ok": ok, "detail": detail, "ms": ms})
        return ok

    def connect() -> str:
        nonlocal conn
        conn = open_connection(target, timeout, allow_loopback=allow_loopback, resolve=resolve)
        return f"connected to {target.host}:{target.port}"

    def ehlo() -> str:
        assert conn is not None
        code, resp = conn.ehlo()
        if code != 250:
            raise smtplib.SMTPResponseException(code, resp)
        return "offers: " + ", ".join(sorted(conn.esmtp_features)) or "no extensions"

    def starttls() -> str:
        assert conn is not None
        if not conn.has_extn("starttls"):
            raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
        conn.starttls(context=ssl.create_default_context())
        conn.ehlo()
        return "TLS established"

    def auth() -> str:
        assert conn is not None
        login(conn, target.username or "", target.password or "")
        return f"authenticated as {target.username}"

    try:
        ok = step("connect", connect) and step("ehlo", ehlo)
        if ok and target.security is SmtpSecurity.STARTTLS:
            ok = step("starttls", starttls)
        if ok and target.username and target.password is not None:
            step("auth", auth)
    finally:
        if conn is not None:
            _quietly_close(conn, graceful=True)
    return steps
