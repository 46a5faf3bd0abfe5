"""The two provider kinds against real peers: SES through moto's server, SMTP with AUTH whose
password comes from (moto's) Secrets Manager."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from email import message_from_string
from email.policy import default
from typing import Any

import pytest
from mailpass.container import Container
from mailpass.models import Provider, SmtpSecurity
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink
from mailpass_dev.stack import LocalStack

from tests.integration.conftest import LambdaContext, load_event, verify_domain
from tests.integration.test_send_lambda import invoke

pytestmark = pytest.mark.integration


def ses_raw_messages(moto_url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{moto_url}/moto-api/data.json", timeout=10) as resp:  # noqa: S310
        data = json.load(resp)
    return list(data.get("ses", {}).get("RawMessage", []))


def test_ses_provider_sends_raw_mime_with_bcc_only_in_the_envelope(
    env: LocalStack, services: Container, account: Seeded, lambda_context: LambdaContext
) -> None:
    env.client("ses").verify_email_identity(EmailAddress="sender@example.com")
    verify_domain(services, account.account_id, "example.com")  # the account's, in MailPass
    services.admin.add_ses_provider(
        account.account_id,
        name="ses",
        region="us-east-1",
        from_email="sender@example.com",
        from_name="Sender",
        make_default=True,
    )
    code, body = invoke(load_event("send.json", key=account.api_key), lambda_context)
    assert code == 200, body
    mid = body["data"]["message_id"]

    (sent,) = [m for m in ses_raw_messages(env.moto.url) if mid in m["raw_data"]]  # type: ignore[union-attr]
    assert sent["source"] == "sender@example.com"
    assert "bcc@example.com" in sent["destinations"]
    msg = message_from_string(sent["raw_data"], policy=default)
    assert msg["Message-ID"] == mid
    assert str(msg["Subject"]) == "주문이 확인되었습니다 (Order Confirmation)"
    assert "Bcc" not in msg

    _, status = invoke(
        load_event("status.json", key=account.api_key, path=f"/api/v1/mail/status/{mid}"),
        lambda_context,
    )
    message = status["data"]["message"]
    assert message["status"] == "sent"
    assert message["provider_message_id"] == sent["id"]  # kept to match SES feedback later


def test_ses_rejection_is_send_failed_with_ses_reason(
    services: Container, account: Seeded, lambda_context: LambdaContext
) -> None:
    # MailPass lets the account send from example.org; SES (moto) has no such identity.
    verify_domain(services, account.account_id, "example.org")
    services.admin.add_ses_provider(
        account.account_id,
        name="ses",
        region="us-east-1",
        from_email="unverified@example.org",
        make_default=True,
    )
    code, err = invoke(load_event("send.json", key=account.api_key), lambda_context)
    assert code == 500
    assert err["error"]["code"] == "SEND_FAILED"
    assert "MessageRejected" in err["error"]["message"]


@pytest.fixture
def auth_sink(env: LocalStack) -> Iterator[SmtpSink]:
    assert env.smtp is not None
    sink = SmtpSink(env.smtp.outbox, credentials={"mailer": "s3cret-Pässword"}).start()
    yield sink
    sink.stop()


def relay_with_password(
    services: Container, account: Seeded, sink: SmtpSink, password: str
) -> Provider:
    return services.admin.add_smtp_provider(
        account.account_id,
        name="relay",
        host="127.0.0.1",
        port=sink.port,
        security=SmtpSecurity.NONE,
        username="mailer",
        password=password,
        from_email="relay@example.com",
        make_default=True,
    )


def test_smtp_auth_password_comes_from_secrets_manager_and_nowhere_else(
    env: LocalStack,
    services: Container,
    account: Seeded,
    auth_sink: SmtpSink,
    lambda_context: LambdaContext,
) -> None:
    provider = relay_with_password(services, account, auth_sink, "s3cret-Pässword")
    # Under the stage's prefix and the provider's own name (one version per password set).
    assert provider.secret_id is not None
    assert provider.secret_id.startswith(
        f"mailpass/dev/providers/{account.account_id}/{provider.provider_id}/"
    )
    stored = env.client("secretsmanager").get_secret_value(SecretId=provider.secret_id)
    assert stored["SecretString"] == "s3cret-Pässword"

    code, body = invoke(load_event("send.json", key=account.api_key), lambda_context)
    assert code == 200, body
    assert len(auth_sink.find(body["data"]["message_id"])) == 1

    table = env.client("dynamodb").scan(TableName=env.env["MAILPASS_TABLE_NAME"])
    assert "s3cret-Pässword" not in json.dumps(table, ensure_ascii=False)


def test_wrong_smtp_password_is_send_failed_535(
    env: LocalStack,
    services: Container,
    account: Seeded,
    auth_sink: SmtpSink,
    lambda_context: LambdaContext,
) -> None:
    relay_with_password(services, account, auth_sink, "wrong")
    code, err = invoke(load_event("send.json", key=account.api_key), lambda_context)
    assert code == 500
    assert err["error"]["message"].startswith("The provider did not take the message: 535")
    assert "wrong" not in err["error"]["message"]
