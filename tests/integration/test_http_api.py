"""The same app over real HTTP (uvicorn), as `make dev` serves it."""

from __future__ import annotations

import urllib.parse

import httpx
import pytest
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink

pytestmark = pytest.mark.integration


def test_the_readme_curl_flow(api: httpx.Client, account: Seeded, sink: SmtpSink) -> None:
    headers = {"Authorization": f"Bearer {account.api_key}"}
    resp = api.post(
        "/api/v1/mail/send",
        headers=headers,
        json={"to": "user@example.com", "subject": "Hello", "html": "<p>Hello World</p>"},
    )
    assert resp.status_code == 200, resp.text
    mid = resp.json()["data"]["message_id"]
    assert len(sink.find(mid)) == 1
    for form in (mid, mid.strip("<>"), urllib.parse.quote(mid, safe="")):
        status = api.get(f"/api/v1/mail/status/{form}", headers=headers)
        assert status.status_code == 200, status.text
        assert status.json()["data"]["message"]["status"] == "sent"


def test_over_5mb_is_413_in_our_envelope(api: httpx.Client, account: Seeded) -> None:
    body = b'{"to": "user@example.com", "subject": "big", "text": "' + b"x" * (5 * 1024 * 1024)
    body += b'"}'
    resp = api.post(
        "/api/v1/mail/send",
        content=body,
        headers={"Authorization": f"Bearer {account.api_key}", "Content-Type": "application/json"},
    )
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_just_under_the_limit_is_accepted(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    text = "y" * (4 * 1024 * 1024)
    resp = api.post(
        "/api/v1/mail/send",
        headers={"Authorization": f"Bearer {account.api_key}"},
        json={"to": "user@example.com", "subject": "big but fine", "text": text},
    )
    assert resp.status_code == 200, resp.text[:300]
    (caught,) = sink.find(resp.json()["data"]["message_id"])
    assert len(caught.data) > 4 * 1024 * 1024
