"""The SDK's methods for issue 12's endpoints (message log, stats, API keys over HTTP, webhook
operations, POST /suppressions, Standard Webhooks signatures) against the local stack.

Each test names the operations it uses; one missing from openapi.json fails the test."""

from __future__ import annotations

import uuid

import pytest
from mailpass_dev.servers import SmtpSink
from mailpass_dev.stack import LocalStack
from mailpass_sdk import AuthenticationError, ConflictError, MailPass, ValidationError
from mailpass_sdk.webhooks import verify

from tests.integration.conftest import LambdaContext
from tests.integration.test_webhooks import Receiver, receiver  # noqa: F401 (a fixture)
from tests.sdk.python.conftest import has_operation
from tests.waiting import wait_until

MESSAGES = ("GET", "/api/v1/mail/messages")
STATS = ("GET", "/api/v1/stats")
API_KEYS = ("POST", "/api/v1/api-keys")
WEBHOOK = ("PATCH", "/api/v1/webhooks/{webhook_id}")
DELIVERIES = ("GET", "/api/v1/webhooks/{webhook_id}/deliveries")
WEBHOOK_TEST = ("POST", "/api/v1/webhooks/{webhook_id}/test")
ROTATE = ("POST", "/api/v1/webhooks/{webhook_id}/rotate-secret")
SUPPRESS = ("POST", "/api/v1/suppressions")
OPERATIONS = (MESSAGES, STATS, API_KEYS, WEBHOOK, DELIVERIES, WEBHOOK_TEST, ROTATE, SUPPRESS)


def needs(*ops: tuple[str, str]) -> pytest.MarkDecorator:
    """The test's operations, which must be in openapi.json: issue 12 is merged, so one missing
    is a failure, never a skip."""
    absent = [" ".join(op) for op in ops if not has_operation(*op)]
    assert not absent, f"not in openapi.json: {absent}"
    return pytest.mark.integration


pytestmark = pytest.mark.integration


@needs(MESSAGES)
def test_the_message_log_pages_through_cursors_newest_first(client: MailPass) -> None:
    tag = f"log-{uuid.uuid4().hex[:8]}"
    sent = [
        client.mail.send(to=f"r{n}@example.com", subject=f"#{n}", text="t", tags=[tag]).message_id
        for n in range(5)
    ]
    # Pages of two: the iterator follows next_cursor over three pages.
    listed = list(client.mail.list(tag=tag, limit=2))
    assert [m.message_id for m in listed] == sent[::-1]
    assert all(m.status == "sent" for m in listed)
    assert [m.message_id for m in client.mail.list(to="r3@example.com", tag=tag)] == [sent[3]]
    assert list(client.mail.list(tag=tag, status="failed")) == []
    with pytest.raises(ValidationError) as bad:
        list(client.mail.list(status="lost-in-the-mail"))
    assert bad.value.code == "VALIDATION_ERROR"


@needs(STATS)
def test_stats_count_a_send(client: MailPass) -> None:
    client.mail.send(to="stats@example.com", subject="Count me", text="t")
    stats = client.stats.get(granularity="hour")
    assert stats.totals.sent >= 1
    assert sum(b.sent for b in stats.buckets) == stats.totals.sent
    assert {"start", "sent", "delivered", "opened"} <= set(stats.buckets[0])


@needs(API_KEYS)
def test_api_keys_create_use_list_revoke(client: MailPass, base_url: str, sink: SmtpSink) -> None:
    made = client.api_keys.create(name="sdk", permissions=["mail"])
    key = made.key
    assert key.startswith("mp_")
    listed = {k.key_id: k for k in client.api_keys.list()}
    assert made.key_id in listed
    assert "key" not in listed[made.key_id]
    assert all(key not in str(k.to_dict()) for k in listed.values())

    with MailPass(key, base_url=base_url) as other:
        sent = other.mail.send(to="k@example.com", subject="New key", text="t")
    assert len(sink.find(sent.message_id)) == 1

    client.api_keys.delete(made.key_id)
    with MailPass(key, base_url=base_url) as revoked, pytest.raises(AuthenticationError):
        revoked.mail.status(sent.message_id)


@needs(API_KEYS)
def test_the_last_settings_key_cannot_be_revoked(client: MailPass) -> None:
    settings_keys = [k for k in client.api_keys.list() if "settings" in k.permissions]
    assert len(settings_keys) == 1
    with pytest.raises(ConflictError):
        client.api_keys.delete(settings_keys[0].key_id)


@needs(WEBHOOK, DELIVERIES, WEBHOOK_TEST, ROTATE)
def test_webhook_operations_and_a_verified_test_delivery(
    client: MailPass,
    env: LocalStack,
    receiver: Receiver,  # noqa: F811
    lambda_context: LambdaContext,
) -> None:
    from tests.integration.test_webhooks import run_webhook_function

    hook = client.webhooks.create(url=receiver.url, event_types=["delivery"])
    got = client.webhooks.get(hook.webhook_id)
    assert got.url == receiver.url
    changed = client.webhooks.update(hook.webhook_id, event_types=["delivery", "bounce"])
    assert sorted(changed.event_types) == ["bounce", "delivery"]

    client.webhooks.test(hook.webhook_id)

    def delivered() -> bool:
        run_webhook_function(env, lambda_context)
        return bool(receiver.got)

    wait_until(delivered, "the test event to reach the receiver", timeout=60)
    headers, body = receiver.got[0]
    event = verify(body, headers, hook.secret)
    assert event["type"] == "test"

    attempts = list(client.webhooks.deliveries(hook.webhook_id))
    assert attempts
    assert attempts[0].status_code == 200

    rotated = client.webhooks.rotate_secret(hook.webhook_id)
    assert rotated.secret.startswith("whsec_")
    assert rotated.secret != hook.secret


@needs(SUPPRESS)
def test_suppress_an_address_by_hand(client: MailPass) -> None:
    address = f"manual-{uuid.uuid4().hex[:6]}@example.com"
    client.suppressions.add(address, reason="manual")
    assert address in [s.email for s in client.suppressions.list()]
    assert address in [s.email for s in client.suppressions.list(reason="manual")]
    client.suppressions.remove(address)
    assert address not in [s.email for s in client.suppressions.list()]
