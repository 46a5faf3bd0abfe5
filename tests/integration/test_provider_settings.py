"""/api/v1/smtp-providers, send limits and failover, over real HTTP against DynamoDB Local, moto
(Secrets Manager) and aiosmtpd servers."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from mailpass.container import Container
from mailpass.models import utcnow
from mailpass.service.limits import windows_for
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink, free_port
from mailpass_dev.stack import LocalStack

pytestmark = pytest.mark.integration

BASE = "/api/v1/smtp-providers"
MAIL = {"to": "user@example.com", "subject": "Hi", "text": "Hello"}


def auth(account: Seeded) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.api_key}"}


def create(api: httpx.Client, account: Seeded, **body: Any) -> dict[str, Any]:
    resp = api.post(BASE, headers=auth(account), json=body)
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()["data"]
    return data


def relay(sink: SmtpSink, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "smtp",
        "name": f"relay {sink.port}",
        "host": "127.0.0.1",
        "port": sink.port,
        "security": "none",
        "from_email": "dev@example.com",
        **extra,
    }


@pytest.fixture
def second_sink(env: LocalStack) -> Iterator[SmtpSink]:
    assert env.smtp is not None
    sink = SmtpSink(env.smtp.outbox).start()
    yield sink
    sink.stop()


def secret_names(env: LocalStack) -> set[str]:
    sm = env.client("secretsmanager")
    return {s["Name"] for s in sm.list_secrets(MaxResults=100).get("SecretList", [])}


def test_crud_masks_secrets_and_applies_changes_whole(
    api: httpx.Client, env: LocalStack, services: Container, account: Seeded, sink: SmtpSink
) -> None:
    made = create(api, account, **relay(sink, username="mailer", password="pw-1", name="Relay"))
    pid = made["provider_id"]
    assert made["password"] == "********"
    assert made["is_default"] is False  # the seeded provider is the default already
    assert made["host"] == "127.0.0.1"
    first_secret = next(
        p
        for p in services.store.get_account_config(account.account_id).providers  # type: ignore[union-attr]
        if p.provider_id == pid
    ).secret_id
    assert first_secret in secret_names(env)

    listed = api.get(BASE, headers=auth(account)).json()["data"]
    assert {p["provider_id"] for p in listed["providers"]} == {account.provider_id, pid}
    assert listed["default_provider_id"] == account.provider_id
    assert "pw-1" not in str(listed)

    # A new password goes to a new secret; the old one is deleted once the switch is stored.
    resp = api.patch(
        f"{BASE}/{pid}", headers=auth(account), json={"password": "pw-2", "hourly_limit": 5}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"]["hourly_limit"] == 5
    config = services.store.get_account_config(account.account_id)
    assert config is not None
    second_secret = config.provider(pid).secret_id  # type: ignore[union-attr]
    assert second_secret != first_secret
    names = secret_names(env)
    assert second_secret in names
    assert first_secret not in names
    assert services.secrets.get(second_secret or "") == "pw-2"

    # Invalid changes are refused and change nothing.
    for bad in ({"port": 0}, {"kind": "ses"}, {"host": "bad host\r\n"}, {"nope": 1}, {}):
        resp = api.patch(f"{BASE}/{pid}", headers=auth(account), json=bad)
        assert resp.status_code == 400, (bad, resp.text)
    assert api.get(f"{BASE}/{pid}", headers=auth(account)).json()["data"]["hourly_limit"] == 5
    assert api.get(f"{BASE}/prov_missing", headers=auth(account)).status_code == 404

    # Make it the default, then delete it: the account has no provider to send with.
    resp = api.post(f"{BASE}/{pid}/default", headers=auth(account))
    assert resp.json()["data"]["default_provider_id"] == pid
    resp = api.delete(f"{BASE}/{pid}", headers=auth(account))
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"] == {"deleted": pid, "default_provider_id": None}
    assert second_secret not in secret_names(env)
    resp = api.post("/api/v1/mail/send", headers=auth(account), json=MAIL)
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "NO_SMTP_PROVIDER"


def test_presets_fill_in_the_relay_and_reject_what_they_set(
    api: httpx.Client, account: Seeded
) -> None:
    grid = create(api, account, kind="sendgrid", name="SG", password="SG.key", from_email="a@b.co")
    assert (grid["host"], grid["port"], grid["username"], grid["security"]) == (
        "smtp.sendgrid.net",
        587,
        "apikey",
        "starttls",
    )
    gun = create(api, account, kind="mailgun", name="MG", password="k", from_email="x@mg.acme.io")
    assert gun["host"] == "smtp.mailgun.org"
    assert gun["username"] == "postmaster@mg.acme.io"
    eu = create(
        api, account, kind="mailgun", name="MG EU", password="k", region="eu", username="u@d.io"
    )
    assert (eu["host"], eu["username"]) == ("smtp.eu.mailgun.org", "u@d.io")
    own = create(api, account, kind="mailpass", name="MP", password="relay-key")
    assert own["host"] == "smtp.mailpass.im"
    assert own["username"] == account.account_id
    for bad in (
        {"kind": "sendgrid", "name": "x", "password": "k", "host": "evil.example.com"},
        {"kind": "sendgrid", "name": "x"},  # no API key
        {"kind": "mailgun", "name": "x", "password": "k"},  # no login to derive
        {"kind": "ses", "name": "x", "region": "us-east-1", "password": "k"},
        {"kind": "smtp", "name": "x", "host": "h.example.com", "port": 25, "username": "u"},
        {"kind": "carrier-pigeon", "name": "x"},
    ):
        resp = api.post(BASE, headers=auth(account), json=bad)
        assert resp.status_code == 400, (bad, resp.text)


def test_settings_need_the_settings_permission(
    api: httpx.Client, services: Container, account: Seeded
) -> None:
    mail_only = services.admin.create_api_key(account.account_id, ["mail"]).api_key
    resp = api.get(BASE, headers={"Authorization": f"Bearer {mail_only}"})
    assert resp.status_code == 403
    assert api.get(BASE).status_code == 401


def test_connection_test_reports_each_step_and_where_it_failed(
    api: httpx.Client, account: Seeded, sink: SmtpSink
) -> None:
    resp = api.post(f"{BASE}/{account.provider_id}/test", headers=auth(account))
    report = resp.json()["data"]
    assert report["ok"] is True, report
    assert [s["step"] for s in report["steps"]] == ["connect", "ehlo"]

    down = create(api, account, **relay(sink, port=free_port(), name="down"))
    report = api.post(f"{BASE}/{down['provider_id']}/test", headers=auth(account)).json()["data"]
    assert (report["ok"], report["failed_step"]) == (False, "connect")
    assert "connection refused" in report["steps"][0]["detail"]

    # STARTTLS asked of a server that does not offer it.
    tls = create(api, account, **relay(sink, security="starttls", name="tls"))
    report = api.post(f"{BASE}/{tls['provider_id']}/test", headers=auth(account)).json()["data"]
    assert report["failed_step"] == "starttls"


def test_hourly_limit_gives_429_with_rate_headers_and_stores_nothing(
    api: httpx.Client, services: Container, account: Seeded, sink: SmtpSink
) -> None:
    api.patch(f"{BASE}/{account.provider_id}", headers=auth(account), json={"hourly_limit": 2})
    remaining = []
    for _ in range(2):
        resp = api.post("/api/v1/mail/send", headers=auth(account), json=MAIL)
        assert resp.status_code == 200, resp.text
        assert resp.headers["RateLimit-Limit"] == "2"
        remaining.append(resp.headers["RateLimit-Remaining"])
    assert remaining == ["1", "0"]
    resp = api.post("/api/v1/mail/send", headers=auth(account), json=MAIL)
    assert resp.status_code == 429, resp.text
    assert resp.json()["error"]["code"] == "SEND_LIMIT_EXCEEDED"
    retry = int(resp.headers["Retry-After"])
    assert 0 < retry <= 3600
    assert resp.headers["RateLimit-Remaining"] == "0"
    assert resp.headers["RateLimit-Reset"] == str(retry)

    # A send the provider refuses for good gives its place back.
    api.patch(f"{BASE}/{account.provider_id}", headers=auth(account), json={"hourly_limit": 3})
    sink.script("550 5.1.1 no such user")
    resp = api.post("/api/v1/mail/send", headers=auth(account), json=MAIL)
    assert resp.status_code == 500
    config = services.store.get_account_config(account.account_id)
    provider = config.provider(account.provider_id)  # type: ignore[union-attr]
    assert provider is not None
    (window,) = windows_for(provider, utcnow())
    assert services.store.peek(provider.provider_id, [window]).granted == 1
    assert api.post("/api/v1/mail/send", headers=auth(account), json=MAIL).status_code == 200
    assert api.post("/api/v1/mail/send", headers=auth(account), json=MAIL).status_code == 429


def test_100_parallel_sends_against_an_hourly_limit_of_30_deliver_exactly_30(
    api: httpx.Client, services: Container, account: Seeded, sink: SmtpSink
) -> None:
    api.patch(f"{BASE}/{account.provider_id}", headers=auth(account), json={"hourly_limit": 30})
    before = len(sink.caught)
    headers = auth(account)

    def one(i: int) -> int:
        body = {**MAIL, "to": f"parallel{i}@example.com"}
        with httpx.Client(base_url=str(api.base_url), timeout=60) as client:
            return client.post("/api/v1/mail/send", headers=headers, json=body).status_code

    with ThreadPoolExecutor(max_workers=100) as pool:
        codes = list(pool.map(one, range(100)))
    assert sorted(set(codes)) == [200, 429]
    assert codes.count(200) == 30
    assert codes.count(429) == 70
    assert len(sink.caught) - before == 30
    config = services.store.get_account_config(account.account_id)
    provider = config.provider(account.provider_id)  # type: ignore[union-attr]
    assert provider is not None
    (window,) = windows_for(provider, utcnow())
    got = services.store.reserve(provider.provider_id, [window], 1)
    assert (got.granted, got.used) == (0, 30)  # the counter reads 30


def test_failover_to_the_next_provider_when_the_default_is_down_or_full(
    api: httpx.Client, account: Seeded, sink: SmtpSink, second_sink: SmtpSink
) -> None:
    down = create(api, account, **relay(sink, port=free_port(), name="down", make_default=True))
    backup = create(api, account, **relay(second_sink, name="backup"))
    resp = api.put(
        f"{BASE}/fallbacks",
        headers=auth(account),
        json={"provider_ids": [account.provider_id, backup["provider_id"]]},
    )
    assert resp.json()["data"]["fallback_provider_ids"] == [
        account.provider_id,
        backup["provider_id"],
    ]
    # The default refuses connections: the first fallback (the usual catcher) takes it.
    resp = api.post("/api/v1/mail/send", headers=auth(account), json=MAIL)
    assert resp.status_code == 200, resp.text
    mid = resp.json()["data"]["message_id"]
    assert len(sink.find(mid)) == 1
    status = api.get(f"/api/v1/mail/status/{mid}", headers=auth(account)).json()["data"]
    assert status["message"]["provider_id"] == account.provider_id
    assert "connection refused" in status["message"]["note"]

    # Over its limit, the first fallback is skipped too.
    api.patch(f"{BASE}/{account.provider_id}", headers=auth(account), json={"hourly_limit": 0})
    resp = api.post("/api/v1/mail/send", headers=auth(account), json=MAIL)
    assert resp.status_code == 200, resp.text
    mid = resp.json()["data"]["message_id"]
    assert len(second_sink.find(mid)) == 1
    status = api.get(f"/api/v1/mail/status/{mid}", headers=auth(account)).json()["data"]
    assert status["message"]["provider_id"] == backup["provider_id"]

    # A permanent refusal of the address is not tried elsewhere.
    api.post(f"{BASE}/{backup['provider_id']}/default", headers=auth(account))
    second_sink.script("550 5.1.1 no such user")
    caught = len(sink.caught)
    resp = api.post("/api/v1/mail/send", headers=auth(account), json=MAIL)
    assert resp.status_code == 500
    assert "550 5.1.1" in resp.json()["error"]["message"]
    assert len(sink.caught) == caught
    assert down["provider_id"]  # still configured, never used
