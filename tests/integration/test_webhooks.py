"""Webhooks end to end: registration, an event queued for the account's endpoint, the webhook
function posting it signed to a real local HTTP receiver, retries on the schedule, and the
legacy signature checked the way the README tells receivers to (the Standard Webhooks one, the
delivery log, rotation and auto-disable: test_webhook_operations.py)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from mailpass.container import Container
from mailpass.service.webhooks import SIGNATURE_HEADER, WebhookService, verify
from mailpass_dev.run import sqs_event
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink
from mailpass_dev.stack import LocalStack

from tests.integration.conftest import LambdaContext
from tests.waiting import wait_until

pytestmark = pytest.mark.integration

HTML = '<html><body><a href="https://shop.example.com/x">x</a></body></html>'


@dataclass
class Receiver:
    url: str
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # next statuses; 200 when empty


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            box.got.append(({k.lower(): v for k, v in self.headers.items()}, body))  # case-blind
            self.send_response(box.answers.pop(0) if box.answers else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/mailpass"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()


def auth(account: Seeded) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.api_key}"}


def run_webhook_function(env: LocalStack, ctx: LambdaContext) -> dict[str, Any]:
    """One invocation, as the SQS event source would make it, deleting what succeeded."""
    from mailpass_webhooks.handler import lambda_handler

    sqs = env.client("sqs")
    url = env.env["MAILPASS_WEBHOOK_QUEUE_URL"]
    got = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    ).get("Messages", [])
    if not got:
        return {"received": 0, "batchItemFailures": []}
    out: dict[str, Any] = lambda_handler(sqs_event(got, url), ctx)
    failed = {f["itemIdentifier"] for f in out["batchItemFailures"]}
    for m in got:
        if m["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return {"received": len(got), **out}


def open_pixel(api: httpx.Client, account: Seeded, sink: SmtpSink) -> str:
    resp = api.post(
        "/api/v1/mail/send",
        headers=auth(account),
        json={"to": "u@example.com", "subject": "Hook", "html": HTML},
    )
    mid: str = resp.json()["data"]["message_id"]
    (caught,) = sink.find(mid)
    raw = caught.data.decode()
    pixel = re.search(r'src=3D"([^"]+)"|src="([^"]+/track/open/[^"]+)"', raw)
    assert pixel is not None
    return mid


def pixel_url(sink: SmtpSink, mid: str) -> str:
    from email import message_from_bytes
    from email.policy import default

    (caught,) = sink.find(mid)
    part = message_from_bytes(caught.data, policy=default).get_body(("html",))
    assert part is not None
    (url,) = re.findall(r'<img src="([^"]+)"', part.get_content())
    return str(url)


def test_a_signed_delivery_reaches_the_receiver_and_verifies(
    api: httpx.Client,
    env: LocalStack,
    account: Seeded,
    sink: SmtpSink,
    receiver: Receiver,
    lambda_context: LambdaContext,
) -> None:
    made = api.post(
        "/api/v1/webhooks",
        headers=auth(account),
        json={"url": receiver.url, "event_types": ["open", "bounce"]},
    )
    assert made.status_code == 201, made.text
    hook = made.json()["data"]
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    listed = api.get("/api/v1/webhooks", headers=auth(account)).json()["data"]["webhooks"]
    assert [w["webhook_id"] for w in listed] == [hook["webhook_id"]]
    assert "secret" not in listed[0]

    mid = open_pixel(api, account, sink)
    api.get(pixel_url(sink, mid), headers={"User-Agent": "Mozilla/5.0 (X11; Linux) Firefox/120"})
    out = run_webhook_function(env, lambda_context)
    assert (out["received"], out["batchItemFailures"]) == (1, [])
    ((headers, body),) = receiver.got
    signed = headers[SIGNATURE_HEADER.lower()]
    assert verify(secret, signed, body)
    assert not verify("whsec_wrong", signed, body)
    assert not verify(secret, signed, body + b" ")
    event = json.loads(body)
    assert event["type"] == "open"
    assert event["data"]["message_id"] == mid
    assert event["data"]["ip_address"] == "127.0.0.1"
    assert headers["mailpass-event-id"] == event["id"]


def test_failures_retry_with_backoff_and_unsubscribed_events_are_not_sent(
    api: httpx.Client,
    env: LocalStack,
    services: Container,
    account: Seeded,
    sink: SmtpSink,
    receiver: Receiver,
    lambda_context: LambdaContext,
) -> None:
    api.post(
        "/api/v1/webhooks",
        headers=auth(account),
        json={"url": receiver.url, "event_types": ["open"]},
    )
    mid = open_pixel(api, account, sink)
    receiver.answers = [503]
    url = pixel_url(sink, mid)
    assert api.get(url).status_code == 200
    failed = run_webhook_function(env, lambda_context)
    assert len(failed["batchItemFailures"]) == 1  # only this one goes back
    assert run_webhook_function(env, lambda_context)["received"] == 0  # backing off (5 s)
    sqs = env.client("sqs")
    queue = env.env["MAILPASS_WEBHOOK_QUEUE_URL"]
    attrs = sqs.get_queue_attributes(
        QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"

    # A click is not subscribed: nothing is queued for it.
    click = pixel_url(sink, mid).replace("/open/", "/click/")  # (a broken token: no event)
    api.get(click)
    # Deleting the webhook drops what is still waiting for it.
    (hook,) = api.get("/api/v1/webhooks", headers=auth(account)).json()["data"]["webhooks"]
    assert (
        api.delete(f"/api/v1/webhooks/{hook['webhook_id']}", headers=auth(account)).status_code
        == 200
    )
    services.webhooks._cache.clear()  # the function's own 60 s cache
    for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        sqs.change_message_visibility(
            QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
        )
    out = run_webhook_function(env, lambda_context)
    assert out["batchItemFailures"] == []
    # The retry that was waiting comes round after its 5 s and is dropped, not posted.
    again = wait_until(
        lambda: run_webhook_function(env, lambda_context)["received"], "the waiting retry"
    )
    assert again == 1
    assert len(receiver.got) == 1  # only the first (refused) attempt ever reached it


def test_registration_is_validated(api: httpx.Client, services: Container, account: Seeded) -> None:
    for bad in (
        {"url": "https://hooks.example.com/x", "event_types": ["sent"]},
        {"url": "https://hooks.example.com/x", "event_types": []},
        {"url": "ftp://hooks.example.com/x", "event_types": ["open"]},
        {"url": "https://hooks.example.com/x", "event_types": ["open"], "extra": 1},
    ):
        resp = api.post("/api/v1/webhooks", headers=auth(account), json=bad)
        assert resp.status_code == 400, (bad, resp.text)
    strict = WebhookService(
        services.webhook_store,
        services.secrets,
        services.settings.model_copy(update={"allow_local_egress": False}),
        lambda: None,
    )
    from mailpass.errors import ValidationFailed

    for url in ("http://hooks.example.com/x", "https://127.0.0.1/x", "https://169.254.169.254/x"):
        with pytest.raises(ValidationFailed):
            strict.create(account.account_id, url, ["open"])


def test_a_broken_webhook_queue_never_blocks_tracking(
    api: httpx.Client, services: Container, account: Seeded, sink: SmtpSink, receiver: Receiver
) -> None:
    api.post(
        "/api/v1/webhooks",
        headers=auth(account),
        json={"url": receiver.url, "event_types": ["open"]},
    )
    mid = open_pixel(api, account, sink)

    class Down:
        def send_batch(self, bodies: dict[str, str]) -> dict[str, str]:
            raise ConnectionError("SQS is down")

    services.webhooks._queue = Down  # type: ignore[assignment]
    assert api.get(pixel_url(sink, mid)).status_code == 200
    events = api.get(f"/api/v1/mail/status/{mid}", headers=auth(account)).json()["data"]["events"]
    assert [e["event_type"] for e in events] == ["open"]
