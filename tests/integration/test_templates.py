"""Templates and the generated text part over real HTTP (uvicorn) against the local stack,
read back from the .eml files the SMTP catcher writes."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import httpx
import pytest
from mailpass.container import Container
from mailpass.service.dispatch import DispatchService
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink

pytestmark = pytest.mark.integration

HTML = (
    "<h1>Your order</h1><p>Track it <a href='https://shop.example.com/track?o=7&amp;x=1'>"
    "here</a>.</p>"
)


def eml(sink: SmtpSink, message_id: str) -> EmailMessage:
    (caught,) = sink.find(message_id)
    msg = message_from_bytes(caught.path.read_bytes(), policy=default)
    assert isinstance(msg, EmailMessage)
    return msg


def parts(msg: EmailMessage) -> dict[str, str]:
    return {p.get_content_type(): p.get_content() for p in msg.walk() if not p.is_multipart()}


def keys(services: Container, account: Seeded) -> dict[str, str]:
    key = services.admin.create_api_key(account.account_id, ["mail", "settings"])
    return {"Authorization": f"Bearer {key.api_key}"}


def create(api: httpx.Client, h: dict[str, str], **body: Any) -> str:
    resp = api.post("/api/v1/templates", headers=h, json={"name": "order", **body})
    assert resp.status_code == 201, resp.text
    template_id: str = resp.json()["data"]["template_id"]
    return template_id


def drain(services: Container) -> None:
    s = services.settings.model_copy(update={"drain_margin_ms": 0})
    DispatchService(
        services.store, services.queue, services.senders, s, receive_wait_seconds=0
    ).drain(lambda: 60_000)


def test_an_html_only_send_gets_a_text_part_with_the_link_targets(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    h = {"Authorization": f"Bearer {account.api_key}"}
    body = {"to": "user@example.com", "subject": "Order", "html": HTML}
    resp = api.post("/api/v1/mail/send", headers=h, json=body)
    assert resp.status_code == 200, resp.text
    msg = eml(sink, resp.json()["data"]["message_id"])
    assert msg.get_content_type() == "multipart/alternative"
    text = parts(msg)["text/plain"]
    assert "Your order" in text
    assert "[here](https://shop.example.com/track?o=7&x=1)" in text
    assert "<" not in text


def test_an_empty_text_sends_html_only(api: httpx.Client, account: Seeded, sink: SmtpSink) -> None:
    h = {"Authorization": f"Bearer {account.api_key}"}
    body = {"to": "user@example.com", "subject": "Order", "html": HTML, "text": ""}
    resp = api.post("/api/v1/mail/send", headers=h, json=body)
    assert resp.status_code == 200, resp.text
    msg = eml(sink, resp.json()["data"]["message_id"])
    assert msg.get_content_type() == "text/html"
    assert set(parts(msg)) == {"text/html"}


def test_a_template_send_renders_escapes_and_shows_in_the_status(
    api: httpx.Client, services: Container, account: Seeded, sink: SmtpSink
) -> None:
    h = keys(services, account)
    tid = create(
        api,
        h,
        subject="주문 {{ order }} for {{ name }}",
        html="<p>Hello {{ name }}</p><a href='https://shop.example.com/o/{{ order }}'>order</a>",
    )
    variables = {"name": "<Kim & Lee>", "order": "A-7"}
    body = {"to": "user@example.com", "template_id": tid, "variables": variables}
    resp = api.post("/api/v1/mail/send", headers=h, json=body)
    assert resp.status_code == 200, resp.text
    mid = resp.json()["data"]["message_id"]
    msg = eml(sink, mid)
    assert msg["Subject"] == "주문 A-7 for <Kim & Lee>"
    got = parts(msg)
    assert "Hello &lt;Kim &amp; Lee&gt;" in got["text/html"]
    assert "Hello <Kim & Lee>" in got["text/plain"]
    assert "(https://shop.example.com/o/A-7)" in got["text/plain"]
    status = api.get(f"/api/v1/mail/status/{mid}", headers=h).json()["data"]["message"]
    assert status["template_id"] == tid

    missing = api.post(
        "/api/v1/mail/send",
        headers=h,
        json={"to": "user@example.com", "template_id": tid, "variables": {"name": "x"}},
    )
    assert missing.status_code == 400, missing.text
    assert missing.json()["error"]["details"][0]["field"] == "variables.order"
    both = api.post(
        "/api/v1/mail/send",
        headers=h,
        json={"to": "user@example.com", "template_id": tid, "subject": "S"},
    )
    assert both.status_code == 400
    unknown = api.post(
        "/api/v1/mail/send", headers=h, json={"to": "user@example.com", "template_id": "tpl_no"}
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "NOT_FOUND"


def test_a_batch_renders_at_acceptance_and_an_unknown_template_fails_alone(
    api: httpx.Client, services: Container, account: Seeded, sink: SmtpSink
) -> None:
    h = keys(services, account)
    tid = create(api, h, subject="Hi {{ name }}", html="<p>Dear {{ name }}</p>")
    body = {
        "messages": [
            {"to": "a@example.com", "template_id": tid, "variables": {"name": "Ann"}},
            {"to": "b@example.com", "template_id": "tpl_none", "variables": {}},
            {"to": "c@example.com", "template_id": tid, "variables": {"name": "Cy"}},
        ]
    }
    resp = api.post("/api/v1/mail/send-batch", headers=h, json=body)
    assert resp.status_code == 200, resp.text
    a, bad, c = resp.json()["data"]["messages"]
    assert a["status"] == c["status"] == "queued"
    assert bad["status"] == "failed"
    assert bad["error"]["code"] == "NOT_FOUND"
    # Edited while the messages wait in the queue: they keep what they were rendered with.
    patched = api.patch(f"/api/v1/templates/{tid}", headers=h, json={"subject": "Changed"})
    assert patched.status_code == 200, patched.text
    drain(services)
    for item, name in ((a, "Ann"), (c, "Cy")):
        msg = eml(sink, item["message_id"])
        assert msg["Subject"] == f"Hi {name}"
        got = parts(msg)
        assert f"Dear {name}" in got["text/html"]
        assert f"Dear {name}" in got["text/plain"]
        status = api.get(f"/api/v1/mail/status/{item['message_id']}", headers=h)
        assert status.json()["data"]["message"]["template_id"] == tid
