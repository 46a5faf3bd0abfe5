"""Operating webhooks against the local stack and a real local HTTP receiver: deliveries verified
with the `standardwebhooks` package, test events through the real webhook queue and function,
the delivery log after a success, a 500 and a refused connection, secret rotation (both secrets
verify), 410 Gone and 50 failures in a row disabling, and PATCH turning it back on."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from mailpass.container import Container
from mailpass.service.webhooks import DISABLE_AFTER_FAILURES, DeliveryFailed, verify
from mailpass_dev.run import sqs_event
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import free_port
from mailpass_dev.stack import LocalStack
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from tests.integration.conftest import LambdaContext

pytestmark = pytest.mark.integration


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
            box.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(box.answers.pop(0) if box.answers else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/mailpass"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield box
    server.shutdown()
    server.server_close()


@pytest.fixture
def queue(env: LocalStack) -> str:
    return env.env["MAILPASS_WEBHOOK_QUEUE_URL"]


def auth(account: Seeded) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.api_key}"}


def run_webhook_function(
    env: LocalStack, queue: str, ctx: LambdaContext, account: Seeded
) -> dict[str, Any]:
    """One invocation, as the SQS event source would make it, on this account's deliveries
    (anything else is put back at once). What failed is deleted too (the retry waits are
    tests/integration/test_webhooks.py's): the queue is the session's, and a delivery left
    waiting would reach the next test that reads it."""
    from mailpass_webhooks.handler import lambda_handler

    sqs = env.client("sqs")
    got = []
    for m in sqs.receive_message(
        QueueUrl=queue, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    ).get("Messages", []):
        if json.loads(m["Body"])["account_id"] == account.account_id:
            got.append(m)
        else:
            sqs.change_message_visibility(
                QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
            )
    if not got:
        return {"received": 0, "batchItemFailures": []}
    out: dict[str, Any] = lambda_handler(sqs_event(got, queue), ctx)
    for m in got:
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    return {"received": len(got), **out}


def make_webhook(api: httpx.Client, account: Seeded, url: str) -> dict[str, Any]:
    made = api.post(
        "/api/v1/webhooks", headers=auth(account), json={"url": url, "event_types": ["bounce"]}
    )
    assert made.status_code == 201, made.text
    data: dict[str, Any] = made.json()["data"]
    return data


def send_test(api: httpx.Client, account: Seeded, webhook_id: str) -> str:
    resp = api.post(f"/api/v1/webhooks/{webhook_id}/test", headers=auth(account))
    assert resp.status_code == 202, resp.text
    event_id: str = resp.json()["data"]["event_id"]
    return event_id


def test_a_test_event_arrives_verified_and_the_log_shows_success_500_and_refused(
    api: httpx.Client,
    env: LocalStack,
    queue: str,
    account: Seeded,
    receiver: Receiver,
    lambda_context: LambdaContext,
) -> None:
    hook = make_webhook(api, account, receiver.url)
    hook_id = hook["webhook_id"]
    ok_id = send_test(api, account, hook_id)
    out = run_webhook_function(env, queue, lambda_context, account)
    assert (out["received"], out["batchItemFailures"]) == (1, [])
    ((headers, body),) = receiver.got
    event = Verifier(hook["secret"]).verify(body, headers)
    assert (event["id"], event["type"], event["data"]["webhook_id"]) == (ok_id, "test", hook_id)
    assert headers["webhook-id"] == ok_id == headers["mailpass-event-id"]
    assert verify(hook["secret"], headers["mailpass-signature"], body)  # today's header too
    with pytest.raises(WebhookVerificationError):
        Verifier(hook["secret"]).verify(body.replace(b"test", b"tesT"), headers)

    receiver.answers = [500]
    failed_id = send_test(api, account, hook_id)
    assert len(run_webhook_function(env, queue, lambda_context, account)["batchItemFailures"]) == 1

    # Nothing listens on this port: the connection is refused.
    closed = f"http://127.0.0.1:{free_port()}/hooks"
    moved = api.patch(f"/api/v1/webhooks/{hook_id}", headers=auth(account), json={"url": closed})
    assert moved.status_code == 200, moved.text
    refused_id = send_test(api, account, hook_id)
    assert len(run_webhook_function(env, queue, lambda_context, account)["batchItemFailures"]) == 1

    log = api.get(f"/api/v1/webhooks/{hook_id}/deliveries", headers=auth(account))
    assert log.status_code == 200, log.text
    refused, server_error, delivered = log.json()["data"]["deliveries"]
    assert [e["event_id"] for e in (refused, server_error, delivered)] == [
        refused_id,
        failed_id,
        ok_id,
    ]
    assert (delivered["status_code"], delivered["delivered"], delivered["error"]) == (
        200,
        True,
        None,
    )
    assert delivered["next_retry_at"] is None
    assert (server_error["status_code"], server_error["error"]) == (500, None)
    assert (refused["status_code"], refused["error"]) == (None, "refused")
    for failure in (server_error, refused):
        assert failure["attempt"] == 1
        assert failure["event_type"] == "test"
        assert failure["next_retry_at"] > failure["created_at"]
    page = api.get(
        f"/api/v1/webhooks/{hook_id}/deliveries", headers=auth(account), params={"limit": 2}
    ).json()["data"]
    assert [e["event_id"] for e in page["deliveries"]] == [refused_id, failed_id]
    rest = api.get(
        f"/api/v1/webhooks/{hook_id}/deliveries",
        headers=auth(account),
        params={"limit": 2, "cursor": page["next_cursor"]},
    ).json()["data"]
    assert ([e["event_id"] for e in rest["deliveries"]], rest["next_cursor"]) == ([ok_id], None)
    bad = api.get(
        f"/api/v1/webhooks/{hook_id}/deliveries",
        headers=auth(account),
        params={"cursor": "V0hMT0cjYWNjdF94I3doX3k"},
    )
    assert bad.status_code == 400


def test_after_a_rotation_both_secrets_verify(
    api: httpx.Client,
    env: LocalStack,
    queue: str,
    account: Seeded,
    receiver: Receiver,
    lambda_context: LambdaContext,
) -> None:
    hook = make_webhook(api, account, receiver.url)
    hook_id = hook["webhook_id"]
    rotated = api.post(f"/api/v1/webhooks/{hook_id}/rotate-secret", headers=auth(account))
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["data"]["secret"]
    assert new.startswith("whsec_")
    assert new != hook["secret"]
    send_test(api, account, hook_id)
    assert run_webhook_function(env, queue, lambda_context, account)["batchItemFailures"] == []
    ((headers, body),) = receiver.got
    assert len(headers["webhook-signature"].split(" ")) == 2
    Verifier(new).verify(body, headers)
    Verifier(hook["secret"]).verify(body, headers)
    got = api.get(f"/api/v1/webhooks/{hook_id}", headers=auth(account)).json()["data"]
    assert got["previous_secret_expires_at"] == rotated.json()["data"]["previous_secret_expires_at"]


def test_410_disables_at_once_and_patch_turns_it_back_on(
    api: httpx.Client,
    env: LocalStack,
    queue: str,
    account: Seeded,
    receiver: Receiver,
    lambda_context: LambdaContext,
) -> None:
    hook_id = make_webhook(api, account, receiver.url)["webhook_id"]
    receiver.answers = [410]
    send_test(api, account, hook_id)
    out = run_webhook_function(env, queue, lambda_context, account)
    assert out["batchItemFailures"] == []  # not retried: taken off the queue
    got = api.get(f"/api/v1/webhooks/{hook_id}", headers=auth(account)).json()["data"]
    assert (got["enabled"], got["disabled_reason"]) == (False, "the endpoint answered 410 Gone")
    assert got["disabled_at"] is not None
    listed = api.get("/api/v1/webhooks", headers=auth(account)).json()["data"]["webhooks"]
    assert [w["enabled"] for w in listed] == [False]
    refused = api.post(f"/api/v1/webhooks/{hook_id}/test", headers=auth(account))
    assert refused.status_code == 409

    again = api.patch(f"/api/v1/webhooks/{hook_id}", headers=auth(account), json={"enabled": True})
    assert again.status_code == 200, again.text
    assert (again.json()["data"]["enabled"], again.json()["data"]["disabled_reason"]) == (
        True,
        None,
    )
    event_id = send_test(api, account, hook_id)
    assert run_webhook_function(env, queue, lambda_context, account)["batchItemFailures"] == []
    assert json.loads(receiver.got[-1][1])["id"] == event_id


def test_fifty_failures_in_a_row_disable_the_webhook(
    api: httpx.Client,
    services: Container,
    queue: str,
    account: Seeded,
    receiver: Receiver,
) -> None:
    """Through the webhook function's own service and poster (DynamoDB Local, real posts), not
    the queue: fifty receives would take the retry schedule's waits."""
    hook_id = make_webhook(api, account, receiver.url)["webhook_id"]
    receiver.answers = [500] * DISABLE_AFTER_FAILURES

    def job(n: int) -> str:
        event = {"id": f"evt_streak{n}", "type": "test", "created_at": "2026-11-27T00:00:00"}
        return json.dumps({"webhook_id": hook_id, "account_id": account.account_id, "event": event})

    outcomes: list[str] = []
    for n in range(DISABLE_AFTER_FAILURES - 1):  # first attempts of as many events
        with pytest.raises(DeliveryFailed):
            services.webhooks.deliver(job(n), services.webhook_post, 1)
    got = api.get(f"/api/v1/webhooks/{hook_id}", headers=auth(account)).json()["data"]
    assert (got["enabled"], got["consecutive_failures"]) == (True, DISABLE_AFTER_FAILURES - 1)
    outcomes.append(services.webhooks.deliver(job(50), services.webhook_post, 1))
    assert outcomes == [
        "dropped: 50 failed attempts in a row (the last: 500 Internal Server Error)"
    ]
    got = api.get(f"/api/v1/webhooks/{hook_id}", headers=auth(account)).json()["data"]
    assert got["enabled"] is False
    assert got["disabled_reason"] == outcomes[0].removeprefix("dropped: ")
    # Disabled: the next delivery is dropped without a post.
    assert services.webhooks.deliver(job(51), services.webhook_post, 1).startswith("dropped:")
    assert len(receiver.got) == DISABLE_AFTER_FAILURES
    log = api.get(
        f"/api/v1/webhooks/{hook_id}/deliveries", headers=auth(account), params={"limit": 100}
    ).json()["data"]["deliveries"]
    assert len(log) == DISABLE_AFTER_FAILURES
    assert log[0]["next_retry_at"] is None  # the one that disabled it
    assert all(e["next_retry_at"] for e in log[1:])
