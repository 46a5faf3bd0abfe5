"""Sender domains over HTTP against the local stack: moto's SES identities, DynamoDB Local, and
real DNS queries to the stack's own authoritative server (never the internet's DNS)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from mailpass.adapters.dns import DnsResolver
from mailpass.adapters.ses_identities import SesIdentities
from mailpass.container import Container
from mailpass.models import DomainStatus
from mailpass.service.domains import DomainService
from mailpass_admin.cli import main
from mailpass_dev.seed import Seeded
from mailpass_dev.stack import LocalStack

from tests.integration.conftest import EVENTS
from tests.integration.test_batch import Countdown

pytestmark = pytest.mark.integration


def unique_domain() -> str:
    return f"mail-{uuid.uuid4().hex[:10]}.example.com"


def auth(seeded: Seeded) -> dict[str, str]:
    return {"Authorization": f"Bearer {seeded.api_key}"}


def create(api: httpx.Client, seeded: Seeded, name: str) -> dict[str, Any]:
    resp = api.post("/api/v1/domains", json={"name": name}, headers=auth(seeded))
    assert resp.status_code == 201, resp.text
    return resp.json()["data"]  # type: ignore[no-any-return]


def verify(api: httpx.Client, seeded: Seeded, domain_id: str) -> dict[str, Any]:
    resp = api.post(f"/api/v1/domains/{domain_id}/verify", headers=auth(seeded))
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]  # type: ignore[no-any-return]


def test_create_publish_verify_delete(
    env: LocalStack, api: httpx.Client, account: Seeded, services: Container
) -> None:
    assert env.dns is not None
    name = unique_domain()
    domain = create(api, account, name)
    assert domain["status"] == "pending"
    purposes = sorted(r["purpose"] for r in domain["records"])
    assert purposes == ["dkim"] * 3 + ["dmarc", "mail_from", "mail_from", "ownership", "spf"]
    # moto's sesv2 made the identity.
    assert env.client("sesv2").get_email_identity(EmailIdentity=name)["IdentityType"] == "DOMAIN"

    # Nothing published yet: the real DNS query finds nothing, and says so per record.
    before = verify(api, account, domain["domain_id"])
    assert before["status"] == "pending"
    ownership = next(r for r in before["records"] if r["purpose"] == "ownership")
    assert ownership["status"] == "failed"
    assert ownership["reason"] == f"no TXT record at {ownership['name']}"

    env.dns.publish(domain["records"])
    after = verify(api, account, domain["domain_id"])
    assert after["status"] == "verified", after
    assert {r["status"] for r in after["records"]} == {"verified"}
    config = services.accounts.get_account_config(account.account_id)
    assert config is not None
    assert name in config.verified_domains

    listed = api.get("/api/v1/domains", headers=auth(account)).json()["data"]["domains"]
    assert [d["domain_id"] for d in listed] == [domain["domain_id"]]

    deleted = api.delete(f"/api/v1/domains/{domain['domain_id']}", headers=auth(account))
    assert deleted.json()["data"] == {"deleted": domain["domain_id"]}
    gone = api.get(f"/api/v1/domains/{domain['domain_id']}", headers=auth(account))
    assert gone.status_code == 404
    # No account has the name any more: the SES identity went too.
    sesv2 = env.client("sesv2")
    with pytest.raises(sesv2.exceptions.NotFoundException):
        sesv2.get_email_identity(EmailIdentity=name)


def test_two_accounts_pending_only_the_prover_gets_it(
    env: LocalStack, api: httpx.Client, account: Seeded, services: Container
) -> None:
    from mailpass_dev.seed import seed_dev

    assert env.dns is not None
    assert env.smtp is not None
    other = seed_dev(services.admin, "127.0.0.1", env.smtp.port, name="Other")
    name = unique_domain()
    mine, theirs = create(api, account, name), create(api, other, name)
    env.dns.publish([r for r in theirs["records"]])  # only the other account's token
    assert verify(api, account, mine["domain_id"])["status"] == "pending"
    assert verify(api, other, theirs["domain_id"])["status"] == "verified"
    # Our token appears too (a shared zone): the name is held, we stay pending.
    env.dns.publish([r for r in mine["records"] if r["purpose"] == "ownership"])
    held = verify(api, account, mine["domain_id"])
    assert held["status"] == "pending"
    assert held["failure_reason"] == "another account has verified this domain"
    # The holder deletes it: the SES identity stays (we still have the name), and we get it.
    api.delete(f"/api/v1/domains/{theirs['domain_id']}", headers=auth(other))
    assert env.client("sesv2").get_email_identity(EmailIdentity=name)
    assert verify(api, account, mine["domain_id"])["status"] == "verified"


def test_the_recheck_verifies_a_pending_domain_once_its_records_appear(
    env: LocalStack, api: httpx.Client, account: Seeded, services: Container
) -> None:
    assert env.dns is not None
    domain = create(api, account, unique_domain())
    stored = services.domain_store.get_domain(account.account_id, domain["domain_id"])
    assert stored is not None
    due = stored.next_check_at
    assert due is not None
    env.dns.publish(domain["records"])
    # The scheduled path's own code, on the stack, at the moment the domain falls due.
    settings = services.settings
    recheck = DomainService(
        services.domain_store,
        DnsResolver(settings.dns_resolver),
        SesIdentities(lambda: env.client("sesv2"), lambda: env.client("ses")),
        settings,
        clock=lambda: due,
    )
    counts = recheck.recheck_due(limit=1000)
    assert counts["verified"] >= 1
    after = services.domain_store.get_domain(account.account_id, domain["domain_id"])
    assert after is not None
    assert after.status is DomainStatus.VERIFIED
    assert after.next_check_at is None


def test_the_dispatcher_runs_the_rechecks_after_its_drain(env: LocalStack) -> None:
    from mailpass_dispatcher.handler import lambda_handler

    schedule = json.loads((EVENTS / "schedule.json").read_text())
    report = lambda_handler(schedule, Countdown())
    assert set(report["domains"]) == {"checked", "verified", "failed", "skipped"}


def test_the_operator_adds_a_verified_domain(
    env: LocalStack, account: Seeded, services: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    name = unique_domain()
    assert main(["domain", "add", "--account", account.account_id, name, "--verified"]) == 0
    added = json.loads(capsys.readouterr().out)
    assert (added["name"], added["status"]) == (name, "verified")
    assert main(["domain", "list", "--account", account.account_id]) == 0
    listed = json.loads(capsys.readouterr().out)["domains"]
    assert [d["name"] for d in listed] == [name]
    config = services.accounts.get_account_config(account.account_id)
    assert config is not None
    assert config.verified_domains == frozenset({name})
    assert config.domains[0].status is DomainStatus.VERIFIED
