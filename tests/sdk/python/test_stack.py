"""The Python SDK against the local stack (uvicorn serving the app, DynamoDB Local, moto, aiosmtpd):
every resource the contract has today, sync and async, and the API's errors as exceptions."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from mailpass.container import Container
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink
from mailpass_sdk import (
    AsyncMailPass,
    AuthenticationError,
    ConflictError,
    MailPass,
    MailPassError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ValidationError,
)
from mailpass_sdk.models import MessageStatusResult, SendResult

pytestmark = pytest.mark.integration


def test_the_product_page_send_in_python(client: MailPass, sink: SmtpSink) -> None:
    result = client.mail.send(to="user@example.com", subject="Hello", html="<p>Hello World</p>")
    assert isinstance(result, SendResult)
    assert (result.status, result.to, result.from_) == (
        "sent",
        "user@example.com",
        "dev@example.com",
    )
    assert result.raw["from"] == "dev@example.com"
    (caught,) = sink.find(result.message_id)
    assert caught.recipients == ["user@example.com"]

    status = client.mail.status(result.message_id)
    assert isinstance(status, MessageStatusResult)
    assert status.message.message_id == result.message_id
    assert status.message.status == "sent"
    assert status.message.subject == "Hello"
    assert isinstance(status.events, list)


def test_send_with_every_common_field(client: MailPass, sink: SmtpSink) -> None:
    result = client.mail.send(
        to="user@example.com",
        subject="Ünïcode subject",
        html="<p>Hi {{ name }}</p>",
        text="Hi",
        from_name="Shop",
        reply_to="help@example.com",
        cc=["cc@example.com"],
        bcc=("bcc@example.com",),
        tags=["welcome"],
        metadata={"order": 42},
    )
    (caught,) = sink.find(result.message_id)
    assert sorted(caught.recipients) == ["bcc@example.com", "cc@example.com", "user@example.com"]
    view = client.mail.status(result.message_id).message
    assert (view.tags, view.metadata, view.cc) == (["welcome"], {"order": 42}, ["cc@example.com"])


def test_environment_variables_configure_the_client(sdk_env: Seeded, sink: SmtpSink) -> None:
    with MailPass() as client:
        result = client.mail.send(to="env@example.com", subject="From env", text="hi")
    assert len(sink.find(result.message_id)) == 1


def test_send_batch_queues_and_status_reads_each(client: MailPass) -> None:
    batch = client.mail.send_batch(
        [
            {"to": "a@example.com", "subject": "A", "text": "a"},
            {"to": "not an address", "subject": "B", "text": "b"},
        ],
        from_name="Batch",
    )
    assert (batch.total, batch.queued, batch.failed) == (2, 1, 1)
    ok, bad = batch.messages
    assert (ok.status, bad.status) == ("queued", "failed")
    assert ok.message_id is not None
    assert ok.queue_id is not None
    assert bad.error is not None
    assert bad.error.code == "VALIDATION_ERROR"
    assert client.mail.status(ok.message_id).message.status == "queued"


def test_cancel_a_scheduled_message(client: MailPass, sink: SmtpSink) -> None:
    at = datetime.now(UTC) + timedelta(hours=2)
    scheduled = client.mail.send(to="later@example.com", subject="Later", text="t", scheduled_at=at)
    assert scheduled.status == "scheduled"
    canceled = client.mail.cancel(scheduled.message_id)
    assert (canceled.message_id, canceled.status) == (scheduled.message_id, "canceled")
    assert client.mail.status(scheduled.message_id).message.status == "canceled"
    with pytest.raises(ConflictError) as info:
        client.mail.cancel(scheduled.message_id)
    assert (info.value.code, info.value.status_code) == ("NOT_CANCELABLE", 409)
    assert sink.find(scheduled.message_id) == []


def test_providers(client: MailPass, account: Seeded, sink: SmtpSink) -> None:
    listing = client.providers.list()
    assert listing.default_provider_id == account.provider_id
    assert [p.provider_id for p in listing.providers] == [account.provider_id]

    spare = client.providers.create(
        name="spare", kind="smtp", host="127.0.0.1", port=sink.port, security="none"
    )
    assert (spare.kind, spare.port, spare.is_default) == ("smtp", sink.port, False)
    assert client.providers.get(spare.provider_id).name == "spare"
    assert client.providers.update(spare.provider_id, hourly_limit=100).hourly_limit == 100
    probe = client.providers.test(spare.provider_id)
    assert probe.ok, probe.steps
    fallbacks = client.providers.set_fallbacks([spare.provider_id])
    assert fallbacks.fallback_provider_ids == [spare.provider_id]
    assert client.providers.make_default(spare.provider_id).default_provider_id == spare.provider_id
    client.providers.make_default(account.provider_id)
    client.providers.set_fallbacks([])
    assert client.providers.delete(spare.provider_id).deleted == spare.provider_id
    with pytest.raises(NotFoundError):
        client.providers.get(spare.provider_id)


def test_domains(client: MailPass) -> None:
    name = f"sdk-{uuid.uuid4().hex[:10]}.example.com"
    domain = client.domains.create(name)
    assert (domain.name, domain.status) == (name, "pending")
    assert {r.purpose for r in domain.records} >= {"dkim", "spf", "ownership"}
    assert domain.domain_id in [d.domain_id for d in client.domains.list()]
    assert client.domains.get(domain.domain_id).name == name
    # Nothing is published in the stack's DNS: still pending, each record saying why.
    checked = client.domains.verify(domain.domain_id)
    assert checked.status == "pending"
    assert client.domains.delete(domain.domain_id).deleted == domain.domain_id


def test_templates_and_a_send_from_one(client: MailPass, sink: SmtpSink) -> None:
    made = client.templates.create(
        name="welcome", subject="Hi {{ name }}", html="<p>Hello {{ name }}</p>"
    )
    assert made.variables == ["name"]
    assert made.template_id in [t.template_id for t in client.templates.list()]
    assert client.templates.update(made.template_id, text="Hello {{ name }}").text is not None
    assert client.templates.get(made.template_id).subject == "Hi {{ name }}"
    sent = client.mail.send(
        to="t@example.com", template_id=made.template_id, variables={"name": "Ada"}
    )
    (caught,) = sink.find(sent.message_id)
    assert caught.headers()["Subject"] == "Hi Ada"
    assert client.templates.delete(made.template_id).deleted == made.template_id


def test_suppressions(client: MailPass, services: Container, account: Seeded) -> None:
    address = f"gone-{uuid.uuid4().hex[:6]}@example.com"
    # Until POST /suppressions (issue 12) lands, an address gets on the list as a bounce puts it.
    services.suppressions.add_suppression(
        account.account_id, address, reason="bounce", at=datetime.now(UTC), message_id=None
    )
    assert address in [s.email for s in client.suppressions.list()]
    removed = client.suppressions.remove(address)
    assert removed.email == address
    assert address not in [s.email for s in client.suppressions.list()]


def test_account_and_webhooks(client: MailPass) -> None:
    settings = client.account.get()
    assert settings.restrict_senders_to_verified_domains is False
    assert client.account.update(
        restrict_senders_to_verified_domains=True
    ).restrict_senders_to_verified_domains
    client.account.update(restrict_senders_to_verified_domains=False)

    hook = client.webhooks.create(
        url="http://127.0.0.1:9/hooks/mailpass", event_types=["delivery", "bounce"]
    )
    assert hook.secret.startswith("whsec_")
    assert hook.webhook_id in [w.webhook_id for w in client.webhooks.list()]
    assert client.webhooks.delete(hook.webhook_id).deleted == hook.webhook_id


def test_errors_raise_with_the_api_codes(
    client: MailPass, base_url: str, services: Container, account: Seeded
) -> None:
    with (
        MailPass("mp_live_nope", base_url=base_url) as stranger,
        pytest.raises(AuthenticationError) as auth,
    ):
        stranger.mail.send(to="user@example.com", subject="s", text="t")
    assert (auth.value.code, auth.value.status_code) == ("UNAUTHORIZED", 401)

    with pytest.raises(ValidationError) as invalid:
        client.mail.send(to="not an address", subject="s", text="t")
    assert (invalid.value.code, invalid.value.status_code) == ("VALIDATION_ERROR", 400)
    assert any(d["field"] == "to" for d in invalid.value.details)

    with pytest.raises(NotFoundError) as missing:
        client.mail.status("<nope@mailpass.test>")
    assert (missing.value.code, missing.value.status_code) == ("NOT_FOUND", 404)

    mail_only = services.admin.create_api_key(account.account_id, ["mail"]).api_key
    with (
        MailPass(mail_only, base_url=base_url) as limited,
        pytest.raises(PermissionDeniedError) as forbidden,
    ):
        limited.providers.list()
    assert (forbidden.value.code, forbidden.value.status_code) == ("FORBIDDEN", 403)
    assert isinstance(forbidden.value, AuthenticationError)


def test_a_used_up_limit_is_a_rate_limit_error_with_retry_after(
    client: MailPass, base_url: str, account: Seeded
) -> None:
    client.providers.update(account.provider_id, hourly_limit=1)
    client.mail.send(to="one@example.com", subject="1", text="t")
    # No retries here: a Retry-After under a minute (near the hour's end) would be waited out.
    with (
        MailPass(account.api_key, base_url=base_url, max_retries=0) as once,
        pytest.raises(RateLimitError) as limited,
    ):
        once.mail.send(to="two@example.com", subject="2", text="t")
    err = limited.value
    assert (err.code, err.status_code) == ("SEND_LIMIT_EXCEEDED", 429)
    assert err.retry_after is not None
    assert 0 < err.retry_after <= 3600
    assert isinstance(err, MailPassError)


def test_the_async_client_has_the_same_surface(
    base_url: str, account: Seeded, sink: SmtpSink
) -> None:
    async def main() -> tuple[str, str, list[str]]:
        async with AsyncMailPass(account.api_key, base_url=base_url) as client:
            sent = await client.mail.send(to="async@example.com", subject="Async", text="hi")
            status = await client.mail.status(sent.message_id)
            templates = [t.name for t in await client.templates.list()]
            suppressed = [s.email async for s in client.suppressions.list()]
            assert suppressed == []
            with pytest.raises(NotFoundError) as missing:
                await client.mail.status("<missing@mailpass.test>")
            assert missing.value.code == "NOT_FOUND"
            return sent.message_id, status.message.status, templates

    message_id, status, templates = asyncio.run(main())
    assert status == "sent"
    assert templates == []
    assert len(sink.find(message_id)) == 1
