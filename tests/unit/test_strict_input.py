"""What the API refuses (400 VALIDATION_ERROR) and what it encodes safely, over HTTP on fakes:
non-finite numbers, over-long local parts, line breaks in headers, controls in bodies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default
from typing import Any

import pytest
from fastapi.testclient import TestClient
from mailpass.schemas import BatchRequest, SendRequest, WebhookCreate
from mailpass.service.auth import AuthService
from mailpass.service.limits import Limits
from mailpass.service.send import SendService
from mailpass_api.app import container, create_app
from pydantic import ValidationError

from tests.unit.conftest import World


@dataclass
class FakeContainer:
    auth: AuthService
    sending: SendService


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app(max_request_bytes=64 * 1024, inline_blocking=True)
    fake = FakeContainer(
        AuthService(world.store),
        SendService(world.store, world.senders, world.settings, Limits(world.store)),
    )
    app.dependency_overrides[container] = lambda: fake
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def post(client: TestClient, world: World, body: bytes | dict[str, Any]) -> Any:
    _, key = world.account_with_key()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    if isinstance(body, dict):
        return client.post("/api/v1/mail/send", json=body, headers=headers)
    return client.post("/api/v1/mail/send", content=body, headers=headers)


def refused(resp: Any) -> list[dict[str, str]]:
    assert resp.status_code == 400, resp.text
    error = resp.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    details: list[dict[str, str]] = error["details"]
    return details


HEAD = b'{"to": "user@example.com", "subject": "Hi", "text": "t", '


@pytest.mark.parametrize(
    "tail",
    [
        b'"metadata": {"score": NaN}}',
        b'"metadata": {"score": Infinity}}',
        b'"metadata": {"score": -Infinity}}',
        b'"metadata": {"score": 1e400}}',
        b'"metadata": {"score": -1e400}}',
        b'"metadata": {"score": 1' + b"0" * 400 + b"}}",
        b'"track_opens": NaN}',
    ],
)
def test_non_finite_numbers_are_400_not_a_stored_null(
    client: TestClient, world: World, tail: bytes
) -> None:
    refused(post(client, world, HEAD + tail))
    assert world.senders.sender.delivered == []
    assert world.store.messages == {}


def test_non_finite_numbers_are_refused_anywhere_in_any_request() -> None:
    with pytest.raises(ValidationError, match=r"messages\.0\.metadata\.x: numbers must be finite"):
        BatchRequest.model_validate_json(b'{"messages": [{"metadata": {"x": NaN}}]}')
    with pytest.raises(ValidationError, match="finite"):
        WebhookCreate.model_validate_json(
            b'{"url": "https://h.example.com/", "event_types": ["open"], "x": Infinity}'
        )
    # Large but finite numbers are fine.
    ok = SendRequest.model_validate_json(HEAD + b'"metadata": {"a": 1e300, "b": -12345678901}}')
    assert ok.metadata == {"a": 1e300, "b": -12345678901}


def test_a_local_part_over_64_octets_is_400(client: TestClient, world: World) -> None:
    body: dict[str, Any] = {"to": "a" * 65 + "@example.com", "subject": "Hi", "text": "t"}
    assert [d["field"] for d in refused(post(client, world, body))] == ["to"]
    for field in ("from_email", "reply_to"):
        body = {"to": "u@example.com", "subject": "Hi", "text": "t", field: "b" * 65 + "@x.com"}
        assert [d["field"] for d in refused(post(client, world, body))] == [field]
    body = {"to": "u@example.com", "subject": "Hi", "text": "t", "cc": ["c" * 65 + "@x.com"]}
    assert [d["field"] for d in refused(post(client, world, body))] == ["cc.0"]
    resp = post(client, world, {"to": "a" * 64 + "@example.com", "subject": "Hi", "text": "t"})
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\x85"])
@pytest.mark.parametrize("field", ["subject", "from_name"])
def test_unicode_line_breaks_in_headers_are_400(
    client: TestClient, world: World, brk: str, field: str
) -> None:
    body = {"to": "u@example.com", "subject": "Hi", "text": "t", field: f"Hi{brk}Bcc: v@x.com"}
    assert [d["field"] for d in refused(post(client, world, body))] == [field]
    assert world.senders.sender.delivered == []


def test_unicode_line_breaks_in_tags_and_batch_defaults_are_refused() -> None:
    with pytest.raises(ValidationError):
        SendRequest.model_validate(
            {"to": "u@example.com", "subject": "s", "text": "t", "tags": ["a\u2028b"]}
        )
    with pytest.raises(ValidationError):
        BatchRequest.model_validate({"messages": [{}], "from_name": "A\u2029B"})


@pytest.mark.parametrize("field", ["html", "text"])
def test_nul_in_a_body_is_sent_quoted_printable_never_raw_7bit(
    client: TestClient, world: World, field: str
) -> None:
    body = {"to": "u@example.com", "subject": "Hi", field: "<p>a\x00b\x1bc</p>"}
    if field == "html":
        body["text"] = ""  # HTML only, no generated text part: the one part is the HTML
    resp = post(client, world, body)
    assert resp.status_code == 200, resp.text
    (sent,) = world.senders.sender.delivered
    msg = message_from_bytes(sent.raw, policy=default)
    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
    assert b"=00" in sent.raw
    assert b"\x00" not in sent.raw
    assert b"\x1b" not in sent.raw
    assert msg.get_content() == "<p>a\x00b\x1bc</p>"
