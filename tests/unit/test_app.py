"""The HTTP layer on in-memory fakes, through FastAPI's dependency seam."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from mailpass.service.auth import AuthService
from mailpass.service.limits import Limits
from mailpass.service.send import SendService
from mailpass.service.status import StatusService
from mailpass_api.app import container, create_app

from tests.unit.conftest import World

LIMIT = 64 * 1024


@dataclass
class FakeContainer:
    auth: AuthService
    sending: SendService
    status: StatusService


@pytest.fixture(params=[False, True], ids=["threadpool", "inline"])
def client(world: World, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    app = create_app(max_request_bytes=LIMIT, inline_blocking=request.param)
    fake = FakeContainer(
        AuthService(world.store),
        SendService(world.store, world.senders, world.settings, Limits(world.store)),
        StatusService(world.store),
    )
    app.dependency_overrides[container] = lambda: fake
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_error(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert set(body["error"]) == {"code", "message", "details"}
    return body  # type: ignore[no-any-return]


SEED = {"to": "user@example.com", "subject": "Hello", "html": "<p>Hello World</p>"}


def test_send_and_status_in_the_seed_shapes(client: TestClient, world: World) -> None:
    _, key = world.account_with_key()
    resp = client.post("/api/v1/mail/send", json=SEED, headers=bearer(key))
    assert resp.status_code == 200
    data = resp.json()["data"]
    assert resp.json()["success"] is True
    assert set(data) == {"message_id", "status", "to", "from"}
    assert data["status"] == "sent"
    assert data["to"] == "user@example.com"
    status = client.get(f"/api/v1/mail/status/{data['message_id']}", headers=bearer(key))
    message = status.json()["data"]["message"]
    for field in (
        "message_id",
        "from_email",
        "to_email",
        "subject",
        "status",
        "error_message",
        "sent_at",
        "created_at",
    ):
        assert field in message
    assert status.json()["data"]["events"] == []


def test_no_key_is_401_with_challenge_even_before_body_validation(client: TestClient) -> None:
    resp = client.post("/api/v1/mail/send", content=b"{not json")
    assert_error(resp, 401, "UNAUTHORIZED")
    assert resp.headers["www-authenticate"] == "Bearer"


def test_wrong_permission_is_403(client: TestClient, world: World) -> None:
    _, key = world.account_with_key(permissions=("settings",))
    assert_error(client.post("/api/v1/mail/send", json=SEED, headers=bearer(key)), 403, "FORBIDDEN")


@pytest.mark.parametrize("body", [b"{not json", b"", b"[1,2]", b'"text"', b"null"])
def test_malformed_bodies_are_400(client: TestClient, world: World, body: bytes) -> None:
    _, key = world.account_with_key()
    resp = client.post("/api/v1/mail/send", content=body, headers=bearer(key))
    assert_error(resp, 400, "VALIDATION_ERROR")


def test_validation_details_name_the_fields(client: TestClient, world: World) -> None:
    _, key = world.account_with_key()
    resp = client.post(
        "/api/v1/mail/send",
        json={"to": "nope", "subject": "x\r\nBcc: a@b.com", "html": "h", "unknown": 1},
        headers=bearer(key),
    )
    fields = {d["field"] for d in assert_error(resp, 400, "VALIDATION_ERROR")["error"]["details"]}
    assert fields == {"to", "subject", "unknown"}


def test_fastapi_own_validation_becomes_400(client: TestClient, world: World) -> None:
    # Path/query validation is FastAPI's; its 422 must still come out as our 400.
    from fastapi import FastAPI

    app: FastAPI = client.app  # type: ignore[assignment]

    @app.get("/api/v1/_probe")
    def probe(n: int) -> dict[str, int]:
        return {"n": n}

    assert_error(client.get("/api/v1/_probe?n=abc"), 400, "VALIDATION_ERROR")


def test_no_provider_is_422(client: TestClient, world: World) -> None:
    _, key = world.account_with_key(provider=False)
    resp = client.post("/api/v1/mail/send", json=SEED, headers=bearer(key))
    assert_error(resp, 422, "NO_SMTP_PROVIDER")


def test_provider_failure_is_500_send_failed(client: TestClient, world: World) -> None:
    from mailpass.errors import ProviderError

    _, key = world.account_with_key()
    world.senders.sender.error = ProviderError("421 4.7.0 try later", permanent=False)
    resp = client.post("/api/v1/mail/send", json=SEED, headers=bearer(key))
    assert "421 4.7.0" in assert_error(resp, 500, "SEND_FAILED")["error"]["message"]


def test_oversized_body_is_413_by_header(client: TestClient, world: World) -> None:
    _, key = world.account_with_key()
    big = {**SEED, "html": "x" * (LIMIT + 1)}
    resp = client.post("/api/v1/mail/send", json=big, headers=bearer(key))
    assert_error(resp, 413, "PAYLOAD_TOO_LARGE")
    assert world.store.messages == {}


def test_oversized_body_is_413_when_streamed_without_length(
    client: TestClient, world: World
) -> None:
    _, key = world.account_with_key()

    def chunks() -> Iterator[bytes]:
        for _ in range(4):
            yield b"x" * (LIMIT // 2)

    resp = client.post("/api/v1/mail/send", content=chunks(), headers=bearer(key))
    assert_error(resp, 413, "PAYLOAD_TOO_LARGE")


def test_unknown_route_and_method(client: TestClient) -> None:
    assert_error(client.get("/api/v1/nope"), 404, "NOT_FOUND")
    assert_error(client.get("/api/v1/mail/send"), 405, "METHOD_NOT_ALLOWED")


def test_other_accounts_message_is_404(client: TestClient, world: World) -> None:
    _, key = world.account_with_key()
    _, other = world.account_with_key()
    mid = client.post("/api/v1/mail/send", json=SEED, headers=bearer(key)).json()["data"][
        "message_id"
    ]
    assert_error(client.get(f"/api/v1/mail/status/{mid}", headers=bearer(other)), 404, "NOT_FOUND")


def test_unexpected_errors_are_enveloped(client: TestClient, world: World) -> None:
    _, key = world.account_with_key()

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("disk on fire")

    world.store.put_message = boom  # type: ignore[method-assign]
    resp = client.post("/api/v1/mail/send", json=SEED, headers=bearer(key))
    body = assert_error(resp, 500, "INTERNAL_ERROR")
    assert "disk on fire" not in resp.text
    assert body["error"]["details"] is None


@pytest.mark.parametrize("inline", [False, True])
def test_blocking_calls_run_where_the_host_wants_them(world: World, inline: bool) -> None:
    threads: list[str] = []
    original = world.store.get_api_key

    def spy(key_hash: str) -> Any:
        threads.append(threading.current_thread().name)
        return original(key_hash)

    world.store.get_api_key = spy  # type: ignore[method-assign]
    app = create_app(max_request_bytes=LIMIT, inline_blocking=inline)
    fake = FakeContainer(
        AuthService(world.store),
        SendService(world.store, world.senders, world.settings, Limits(world.store)),
        StatusService(world.store),
    )
    app.dependency_overrides[container] = lambda: fake
    _, key = world.account_with_key()
    with TestClient(app) as c:
        assert c.post("/api/v1/mail/send", json=SEED, headers=bearer(key)).status_code == 200
    (name,) = threads
    assert name.startswith("AnyIO worker thread") is not inline
