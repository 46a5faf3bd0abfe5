"""Retries: a send that meets a 503 is retried under one Idempotency-Key and delivered once,
proved against the local stack behind a gateway that fails once; the rules themselves (what is
retried, how long to wait, which error class) on httpx's MockTransport."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import httpx
import pytest
import uvicorn
from mailpass_api.app import create_app
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink, free_port
from mailpass_dev.stack import LocalStack
from mailpass_sdk import (
    APIConnectionError,
    APITimeoutError,
    AsyncMailPass,
    ConflictError,
    MailPass,
    MailPassError,
    ProviderError,
    RateLimitError,
    ServerError,
    ValidationError,
)

from tests.waiting import wait_until

SEND = "/api/v1/mail/send"


class FlakyGateway:
    """An ASGI wrapper in front of the app that answers the first /send with a 503: either
    before the app sees it (a lost request) or after the app has sent the mail (a lost answer,
    the case where a retry without an idempotency key would send twice)."""

    def __init__(self, app: Any, *, app_sees_the_first: bool) -> None:
        self.app = app
        self.app_sees_the_first = app_sees_the_first
        self.keys: list[str | None] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != SEND:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key = headers.get(b"idempotency-key")
        self.keys.append(key.decode() if key else None)
        if len(self.keys) > 1:
            await self.app(scope, receive, send)
            return
        if self.app_sees_the_first:

            async def lost(message: Any) -> None:
                return None

            await self.app(scope, receive, lost)
        await send({"type": "http.response.start", "status": 503, "headers": []})
        await send({"type": "http.response.body", "body": b"Service Unavailable"})


def serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, "uvicorn to start serving", interval=0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the clients asked for, recorded instead of slept."""
    waits: list[float] = []

    async def asleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr("mailpass_sdk._sync.client.sleep", waits.append)
    monkeypatch.setattr("mailpass_sdk._async.client.asleep", asleep)
    return waits


@pytest.mark.integration
@pytest.mark.parametrize("app_sees_the_first", [False, True], ids=["lost-request", "lost-answer"])
def test_a_send_retried_after_a_503_is_delivered_once(
    env: LocalStack,
    account: Seeded,
    sink: SmtpSink,
    no_backoff: list[float],
    app_sees_the_first: bool,
) -> None:
    gateway = FlakyGateway(create_app(), app_sees_the_first=app_sees_the_first)
    server, thread, url = serve(gateway)
    try:
        with MailPass(account.api_key, base_url=url) as client:
            result = client.mail.send(to="once@example.com", subject="Once", text="only once")
            assert client.mail.status(result.message_id).message.status == "sent"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert len(sink.find(result.message_id)) == 1
    assert len(sink.caught) == len({c.headers()["Message-ID"] for c in sink.caught})
    # Both attempts carried the same generated key; one backoff wait between them.
    first, second = gateway.keys
    assert first is not None
    assert first == second
    assert len(no_backoff) == 1
    assert 0.25 <= no_backoff[0] <= 0.5


# --- the rules, on a scripted transport -----------------------------------------------------


def envelope(status: int, code: str, **headers: str) -> httpx.Response:
    body = {"success": False, "error": {"code": code, "message": code.lower(), "details": None}}
    return httpx.Response(status, json=body, headers=headers)


def sent() -> httpx.Response:
    data = {"message_id": "<m@x>", "status": "sent", "to": "u@example.com", "from": "f@x"}
    return httpx.Response(200, json={"success": True, "data": data})


class Script:
    """Answers requests in order from a list (a response, or an exception to raise)."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def client(self, **options: Any) -> MailPass:
        http = httpx.Client(transport=httpx.MockTransport(self))
        return MailPass("mp_test_k", base_url="http://api.test", http_client=http, **options)

    @property
    def keys(self) -> list[str | None]:
        return [r.headers.get("idempotency-key") for r in self.requests]


def send(client: MailPass, **extra: Any) -> Any:
    return client.mail.send(to="u@example.com", subject="s", text="t", **extra)


def test_a_503_is_retried_under_one_generated_key(no_backoff: list[float]) -> None:
    script = Script(httpx.Response(503, text="busy"), sent())
    assert send(script.client()).message_id == "<m@x>"
    assert len(script.requests) == 2
    assert script.keys[0] is not None
    assert script.keys[0] == script.keys[1]
    assert json.loads(script.requests[0].content) == json.loads(script.requests[1].content)


def test_the_callers_key_is_used(no_backoff: list[float]) -> None:
    script = Script(envelope(502, "INTERNAL_ERROR"), sent())
    send(script.client(), idempotency_key="order-42")
    assert script.keys == ["order-42", "order-42"]


def test_send_failed_is_never_retried(no_backoff: list[float]) -> None:
    script = Script(envelope(500, "SEND_FAILED"))
    with pytest.raises(ProviderError) as failed:
        send(script.client())
    assert (failed.value.code, failed.value.status_code) == ("SEND_FAILED", 500)
    assert len(script.requests) == 1
    assert no_backoff == []


def test_retry_after_is_honoured(no_backoff: list[float]) -> None:
    script = Script(envelope(429, "SEND_LIMIT_EXCEEDED", **{"Retry-After": "2"}), sent())
    send(script.client())
    assert no_backoff == [2.0]


def test_a_long_retry_after_is_raised_to_the_caller(no_backoff: list[float]) -> None:
    script = Script(envelope(429, "SEND_LIMIT_EXCEEDED", **{"Retry-After": "1800"}))
    with pytest.raises(RateLimitError) as limited:
        send(script.client())
    assert limited.value.retry_after == 1800
    assert len(script.requests) == 1


def test_without_retries_no_key_is_sent_and_nothing_is_retried(no_backoff: list[float]) -> None:
    script = Script(httpx.Response(503, text="busy"))
    with pytest.raises(ServerError) as down:
        send(script.client(max_retries=0))
    assert (down.value.code, down.value.status_code) == ("HTTP_503", 503)
    assert down.value.message == "busy"
    assert script.keys == [None]


def test_a_post_without_a_key_is_not_retried(no_backoff: list[float]) -> None:
    script = Script(envelope(503, "INTERNAL_ERROR"))
    with pytest.raises(ServerError):
        script.client().mail.cancel("<m@x>")
    assert len(script.requests) == 1


def test_a_get_gives_up_after_max_retries_with_growing_waits(no_backoff: list[float]) -> None:
    script = Script(*(envelope(502, "INTERNAL_ERROR") for _ in range(4)))
    with pytest.raises(ServerError):
        script.client(max_retries=3).mail.status("<m@x>")
    assert len(script.requests) == 4
    # Jittered exponential backoff: each wait is within [base/2, base] of 0.5, 1, 2.
    for wait, base in zip(no_backoff, (0.5, 1.0, 2.0), strict=True):
        assert base / 2 <= wait <= base


def test_an_in_progress_idempotency_key_is_waited_for(no_backoff: list[float]) -> None:
    script = Script(envelope(409, "IDEMPOTENCY_IN_PROGRESS"), sent())
    send(script.client())
    assert len(script.requests) == 2


def test_transport_failures_raise_their_own_classes(no_backoff: list[float]) -> None:
    refused = httpx.ConnectError("refused")
    script = Script(refused, refused, refused)
    with pytest.raises(APIConnectionError) as down:
        script.client().mail.status("<m@x>")
    assert (down.value.code, down.value.status_code) == ("CONNECTION_ERROR", None)
    assert len(script.requests) == 3

    slow = Script(httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError) as timeout:
        slow.client(max_retries=0).mail.status("<m@x>")
    assert timeout.value.code == "TIMEOUT"


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "VALIDATION_ERROR", ValidationError),
        (413, "PAYLOAD_TOO_LARGE", ValidationError),
        (422, "NO_SMTP_PROVIDER", ProviderError),
        (409, "IDEMPOTENCY_CONFLICT", ConflictError),
        (418, "TEAPOT", MailPassError),
        (422, "SOMETHING_NEW", ValidationError),
    ],
)
def test_codes_map_to_their_family(
    status: int, code: str, cls: type[MailPassError], no_backoff: list[float]
) -> None:
    script = Script(envelope(status, code, **{"x-request-id": "req-1"}))
    with pytest.raises(MailPassError) as info:
        script.client().mail.status("<m@x>")
    assert type(info.value) is cls
    assert (info.value.code, info.value.status_code, info.value.request_id) == (
        code,
        status,
        "req-1",
    )


def test_the_async_client_retries_the_same_way(no_backoff: list[float]) -> None:
    script = Script(httpx.Response(503, text="busy"), sent())

    async def main() -> str:
        http = httpx.AsyncClient(transport=httpx.MockTransport(script))
        async with AsyncMailPass("k", base_url="http://api.test", http_client=http) as client:
            result = await client.mail.send(to="u@example.com", subject="s", text="t")
        await http.aclose()
        return result.message_id

    assert asyncio.run(main()) == "<m@x>"
    assert script.keys[0] == script.keys[1]
    assert len(no_backoff) == 1


def test_no_key_anywhere_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILPASS_API_KEY", raising=False)
    with pytest.raises(MailPassError) as info:
        MailPass()
    assert info.value.code == "NO_API_KEY"
