"""Attachments end to end: over HTTP into the SMTP catcher, read back from the delivered .eml
with the stdlib parser (policy=default), as a mail client would."""

from __future__ import annotations

import base64
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import httpx
import pytest
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 64
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)


def auth(account: Seeded) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.api_key}"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def delivered(sink: SmtpSink, message_id: str) -> EmailMessage:
    (caught,) = sink.find(message_id)
    return message_from_bytes(caught.data, policy=default)


def send(api: httpx.Client, account: Seeded, **fields: Any) -> httpx.Response:
    body = {"to": "user@example.com", "subject": "보고서", **fields}
    return api.post("/api/v1/mail/send", headers=auth(account), json=body)


def test_a_korean_file_name_arrives_intact(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    resp = send(
        api,
        account,
        text="첨부 파일을 확인하세요",
        attachments=[{"filename": "보고서.pdf", "content": b64(PDF)}],
    )
    assert resp.status_code == 200, resp.text
    msg = delivered(sink, resp.json()["data"]["message_id"])
    assert msg.get_content_type() == "multipart/mixed"
    (part,) = list(msg.iter_attachments())
    assert part.get_filename() == "보고서.pdf"
    assert part.get_content_type() == "application/pdf"  # guessed from the name
    assert part.get_payload(decode=True) == PDF
    assert msg.get_body(("plain",)).get_content().strip() == "첨부 파일을 확인하세요"  # type: ignore[union-attr]


def test_an_inline_image_is_referenced_by_cid(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    resp = send(
        api,
        account,
        html='<p>Hi</p><img src="cid:logo">',
        attachments=[
            {"filename": "logo.png", "content": b64(PNG), "content_id": "logo"},
            {"filename": "terms.txt", "content": b64(b"terms"), "content_type": "text/plain"},
        ],
    )
    assert resp.status_code == 200, resp.text
    msg = delivered(sink, resp.json()["data"]["message_id"])
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    html, image = related.iter_parts()
    assert 'src="cid:logo"' in html.get_content()
    assert image["Content-ID"] == "<logo>"
    assert image.get_payload(decode=True) == PNG
    assert [p.get_filename() for p in msg.iter_attachments()] == ["terms.txt"]


def test_blocked_types_and_bad_base64_are_400s_naming_the_file(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    before = len(sink.caught)
    resp = send(api, account, text="x", attachments=[{"filename": "run.exe", "content": "eA=="}])
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "run.exe" in resp.text
    resp = send(api, account, text="x", attachments=[{"filename": "a.pdf", "content": "@@"}])
    assert resp.status_code == 400
    assert "'a.pdf': content is not valid base64" in resp.text
    assert len(sink.caught) == before


def test_a_message_over_the_providers_size_is_413_and_not_sent(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    patched = api.patch(
        f"/api/v1/smtp-providers/{account.provider_id}",
        headers=auth(account),
        json={"max_message_bytes": 100 * 1024},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["max_message_bytes"] == 100 * 1024
    before = len(sink.caught)
    big = [{"filename": "big.bin", "content": b64(bytes(90 * 1024))}]
    resp = send(api, account, text="x", attachments=big)
    assert resp.status_code == 413, resp.text
    assert resp.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert "takes at most 102400" in resp.json()["error"]["message"]
    assert len(sink.caught) == before
    small = [{"filename": "small.bin", "content": b64(bytes(60 * 1024))}]
    assert send(api, account, text="x", attachments=small).status_code == 200
