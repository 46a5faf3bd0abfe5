"""Sender domains over HTTP against the local stack: account B cannot send as account A.

The attack this stops: any key with `settings` could create an SES provider with
`from_email: ceo@<a domain another account verified>` and send, since SES identities belong to
the operator's AWS account, not to a MailPass account."""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mailpass.container import Container
from mailpass.models import domain_id_for
from mailpass.schemas import BatchRequest
from mailpass_dev.seed import Seeded, seed_dev
from mailpass_dev.servers import SmtpSink
from mailpass_dev.stack import LocalStack

from tests.integration.conftest import verify_domain
from tests.integration.test_batch import Pipeline, pipeline, principal  # noqa: F401
from tests.integration.test_providers import ses_raw_messages

pytestmark = pytest.mark.integration

A_DOMAIN = "a-corp.example.net"
B_DOMAIN = "b-corp.example.net"
SES = {"kind": "ses", "name": "ses", "region": "us-east-1"}


def bearer(account: Seeded) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.api_key}"}


def mail(from_email: str, subject: str) -> dict[str, Any]:
    return {"from_email": from_email, "to": "user@example.com", "subject": subject, "text": "Hi"}


@pytest.fixture
def accounts(services: Container, sink: SmtpSink) -> tuple[Seeded, Seeded]:
    """A, who verified A_DOMAIN, and B, who will try to send as A."""
    a = seed_dev(services.admin, "127.0.0.1", sink.port, name="A")
    verify_domain(services, a.account_id, A_DOMAIN)
    b = seed_dev(services.admin, "127.0.0.1", sink.port, name="B")
    return a, b


def moto_call(env: LocalStack, action: str, method: str = "POST") -> bytes:
    assert env.moto is not None
    url = f"{env.moto.url}/moto-api/recorder/{action}"
    request = urllib.request.Request(url, method=method)  # noqa: S310  # our own moto server
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310
        body: bytes = resp.read()
    return body


@pytest.fixture
def recording(env: LocalStack) -> Iterator[None]:
    """moto's request recorder, on for the test: what the SES calls really carried."""
    moto_call(env, "reset-recording")
    moto_call(env, "start-recording")
    yield
    moto_call(env, "stop-recording")
    moto_call(env, "reset-recording")


def recorded_ses_sends(env: LocalStack) -> list[dict[str, Any]]:
    sends = []
    for line in moto_call(env, "download-recording", "GET").decode().splitlines():
        entry = json.loads(line)
        if "/v2/email/outbound-emails" not in entry["url"]:
            continue
        body = entry["body"]
        raw = base64.b64decode(body) if entry.get("body_encoded") else body.encode()
        sends.append(json.loads(raw))
    return sends


def test_account_b_cannot_send_from_account_as_verified_domain(
    api: httpx.Client, env: LocalStack, accounts: tuple[Seeded, Seeded]
) -> None:
    _, b = accounts
    ceo = f"ceo@{A_DOMAIN}"
    # 1. An SES provider whose default sender is A's domain: refused on create.
    resp = api.post("/api/v1/smtp-providers", json={**SES, "from_email": ceo}, headers=bearer(b))
    assert resp.status_code == 403, resp.text
    error = resp.json()["error"]
    assert error["code"] == "SENDER_NOT_VERIFIED"
    assert A_DOMAIN in error["message"]
    # 2. Without a default sender it may exist; a send from A's domain is refused all the same.
    resp = api.post("/api/v1/smtp-providers", json={**SES, "make_default": True}, headers=bearer(b))
    assert resp.status_code == 201, resp.text
    before = len(ses_raw_messages(env.moto.url))  # type: ignore[union-attr]
    resp = api.post("/api/v1/mail/send", json=mail(ceo, "wire the money"), headers=bearer(b))
    assert resp.status_code == 403, resp.text
    assert resp.json()["error"]["code"] == "SENDER_NOT_VERIFIED"
    # 3. A batch message from A's domain ends failed with that error, never queued.
    resp = api.post(
        "/api/v1/mail/send-batch",
        json={"messages": [mail(ceo, "wire the money, again")]},
        headers=bearer(b),
    )
    assert resp.status_code == 200, resp.text
    (item,) = resp.json()["data"]["messages"]
    assert item["status"] == "failed"
    assert item["error"]["code"] == "SENDER_NOT_VERIFIED"
    assert "message_id" not in item
    assert len(ses_raw_messages(env.moto.url)) == before  # type: ignore[union-attr]  # SES got none


@pytest.mark.usefixtures("recording")
def test_a_verified_sender_goes_out_naming_its_identity(
    api: httpx.Client, env: LocalStack, services: Container, accounts: tuple[Seeded, Seeded]
) -> None:
    _, b = accounts
    verify_domain(services, b.account_id, B_DOMAIN)
    # Real SES lets a verified domain's subdomains send; moto wants the exact domain verified.
    env.client("ses").verify_domain_identity(Domain=f"eu.{B_DOMAIN}")
    resp = api.post(
        "/api/v1/smtp-providers",
        json={**SES, "from_email": f"news@eu.{B_DOMAIN}", "make_default": True},
        headers=bearer(b),
    )
    assert resp.status_code == 201, resp.text
    resp = api.post("/api/v1/mail/send", json=mail(f"hi@eu.{B_DOMAIN}", "ok"), headers=bearer(b))
    assert resp.status_code == 200, resp.text
    (sent,) = [s for s in recorded_ses_sends(env) if s["FromEmailAddress"] == f"hi@eu.{B_DOMAIN}"]
    assert sent["FromEmailAddressIdentityArn"] == (
        f"arn:aws:ses:us-east-1:123456789012:identity/{B_DOMAIN}"
    )


def test_the_dispatcher_fails_a_message_whose_domain_went_after_enqueue(
    pipeline: Pipeline,  # noqa: F811
    services: Container,
    accounts: tuple[Seeded, Seeded],
) -> None:
    _, b = accounts
    verify_domain(services, b.account_id, B_DOMAIN)
    services.providers.add(b.account_id, _ses_default())
    out = pipeline.batch.enqueue(
        principal(b), BatchRequest(messages=[mail(f"x@{B_DOMAIN}", "later")])
    )
    (item,) = out["messages"]
    assert item["status"] == "queued"
    services.table.client.delete_item(  # the domain is gone before the dispatcher runs
        TableName=services.table.name,
        Key={
            "pk": {"S": f"ACCOUNT#{b.account_id}"},
            "sk": {"S": f"CFG#DOMAIN#{domain_id_for(b.account_id, B_DOMAIN)}"},
        },
    )
    assert pipeline.drain().failed == 1
    found = services.messages.get_message(b.account_id, item["message_id"])
    assert found is not None
    assert found[0].status.value == "failed"
    assert f"{B_DOMAIN} is not one of this account's verified domains" in (
        found[0].error_message or ""
    )


def _ses_default() -> Any:
    from mailpass.provider_schemas import ProviderCreate

    return ProviderCreate.model_validate({**SES, "make_default": True})
