"""The domain use cases on fakes: records, ownership (TXT token AND SES DKIM), one verified
holder per name, re-checks with backoff for 72 hours, DNS outages, feedback counters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mailpass.errors import Conflict, NotFound, ValidationFailed
from mailpass.models import Account, DomainStatus
from mailpass.service.domains import DomainService, normalize_name
from mailpass.service.feedback import FeedbackService, parse
from mailpass.settings import Settings

from tests.fakes import FakeDns, FakeSesIdentities, InMemoryStore

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class World:
    def __init__(self) -> None:
        self.store = InMemoryStore()
        self.dns = FakeDns()
        self.ses = FakeSesIdentities()
        self.clock = Clock()
        self.service = DomainService(
            self.store, self.dns, self.ses, Settings(table_name="unit"), clock=self.clock
        )
        for account in ("acct_a", "acct_b"):
            self.store.create_account(Account(account, account, None, T0))

    def publish(self, created: dict[str, Any], *purposes: str) -> None:
        """Write the domain's records (those with these purposes; all by default) into DNS."""
        for r in created["records"]:
            if not purposes or r["purpose"] in purposes:
                values = self.dns.records.setdefault((r["name"], r["type"]), [])
                values.append(r["value"])


@pytest.fixture
def world() -> World:
    return World()


@pytest.mark.parametrize(
    "raw",
    [
        "10.0.0.1",
        "[::1]",
        "localhost",
        "com",
        "printer.local",
        "db.internal",
        "app.localhost",
        "acme.test",
        "a." * 130 + "com",
        ("x" * 64) + ".com",
        "acme.123",
        "",
        "bad_label!.com",
    ],
)
def test_names_that_cannot_be_a_public_sender_domain_are_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        normalize_name(raw)


def test_names_are_lowercased_and_idna_encoded() -> None:
    assert normalize_name(" Mail.ACME.com. ") == "mail.acme.com"
    assert normalize_name("bücher.example.com") == "xn--bcher-kva.example.com"


def test_create_lists_every_record_to_publish(world: World) -> None:
    created = world.service.create("acct_a", "Mail.Acme.com")
    assert created["name"] == "mail.acme.com"
    assert created["status"] == "pending"
    by_purpose: dict[str, list[dict[str, Any]]] = {}
    for r in created["records"]:
        by_purpose.setdefault(r["purpose"], []).append(r)
        assert r["status"] == "pending"
    assert [r["type"] for r in by_purpose["dkim"]] == ["CNAME"] * 3
    assert all(r["value"].endswith(".dkim.amazonses.com") for r in by_purpose["dkim"])
    (ownership,) = by_purpose["ownership"]
    assert ownership["name"] == "_mailpass.mail.acme.com"
    assert ownership["value"].startswith("mailpass-verification=")
    assert by_purpose["spf"][0]["value"] == "v=spf1 include:amazonses.com ~all"
    assert {r["type"] for r in by_purpose["mail_from"]} == {"MX", "TXT"}
    assert by_purpose["mail_from"][0]["name"] == "send.mail.acme.com"
    assert by_purpose["dmarc"][0]["name"] == "_dmarc.mail.acme.com"
    assert "mail.acme.com" in world.ses.identities
    assert world.service.list_all("acct_a")["domains"] == [created]
    assert world.service.get("acct_a", created["domain_id"]) == created
    with pytest.raises(Conflict):
        world.service.create("acct_a", "mail.acme.com")
    with pytest.raises(NotFound):
        world.service.get("acct_b", created["domain_id"])  # another account's id


def test_each_accounts_token_is_its_own(world: World) -> None:
    a = world.service.create("acct_a", "acme.com")
    b = world.service.create("acct_b", "acme.com")
    token = {r["purpose"]: r["value"] for r in a["records"]}["ownership"]
    assert token != {r["purpose"]: r["value"] for r in b["records"]}["ownership"]


def test_verified_only_with_the_token_and_ses_dkim(world: World) -> None:
    created = world.service.create("acct_a", "acme.com")
    world.publish(created)
    # Every record is in DNS, but SES has not seen DKIM yet: not sufficient.
    out = world.service.verify("acct_a", created["domain_id"])
    assert out["status"] == "pending"
    assert "dkim: SES reports pending" in out["failure_reason"]
    assert {r["status"] for r in out["records"]} == {"verified"}
    world.ses.succeed("acme.com")
    out = world.service.verify("acct_a", created["domain_id"])
    assert out["status"] == "verified"
    assert out["verified_at"] is not None
    config = world.store.get_account_config("acct_a")
    assert config is not None
    assert config.verified_domains == frozenset({"acme.com"})


def test_dkim_alone_is_not_ownership(world: World) -> None:
    created = world.service.create("acct_a", "acme.com")
    world.publish(created, "dkim")
    world.ses.succeed("acme.com")
    out = world.service.verify("acct_a", created["domain_id"])
    assert out["status"] == "pending"
    ownership = next(r for r in out["records"] if r["purpose"] == "ownership")
    assert ownership["status"] == "failed"
    assert ownership["reason"] == "no TXT record at _mailpass.acme.com"


def test_two_accounts_pending_only_the_prover_gets_it(world: World) -> None:
    a = world.service.create("acct_a", "acme.com")
    b = world.service.create("acct_b", "acme.com")
    world.ses.succeed("acme.com")
    world.publish(b)  # only B controls the zone
    assert world.service.verify("acct_a", a["domain_id"])["status"] == "pending"
    assert world.service.verify("acct_b", b["domain_id"])["status"] == "verified"
    # A later publishes its token too (a shared zone): B holds the name, A stays pending.
    world.publish(a, "ownership")
    out = world.service.verify("acct_a", a["domain_id"])
    assert out["status"] == "pending"
    assert out["failure_reason"] == "another account has verified this domain"
    config = world.store.get_account_config("acct_a")
    assert config is not None
    assert config.verified_domains == frozenset()


def test_the_ses_identity_goes_with_the_last_account_that_has_the_name(world: World) -> None:
    a = world.service.create("acct_a", "acme.com")
    b = world.service.create("acct_b", "acme.com")
    world.ses.succeed("acme.com")
    world.publish(a)
    assert world.service.verify("acct_a", a["domain_id"])["status"] == "verified"
    assert world.service.delete("acct_a", a["domain_id"]) == {"deleted": a["domain_id"]}
    assert world.ses.deleted == []  # B still has it pending and needs its DKIM
    world.publish(b, "ownership")
    assert world.service.verify("acct_b", b["domain_id"])["status"] == "verified"
    world.service.delete("acct_b", b["domain_id"])
    assert world.ses.deleted == ["acme.com"]
    with pytest.raises(NotFound):
        world.service.delete("acct_b", b["domain_id"])


def test_due_domains_are_rechecked_with_backoff_then_failed_after_72_hours(
    world: World,
) -> None:
    created = world.service.create("acct_a", "acme.com")
    assert world.service.recheck_due()["checked"] == 0  # not due yet
    delays = []
    for _ in range(40):
        domain = world.store.get_domain("acct_a", created["domain_id"])
        assert domain is not None
        if domain.next_check_at is None:
            break
        world.clock.now = domain.next_check_at
        assert world.service.recheck_due()["checked"] == 1
        after = world.store.get_domain("acct_a", created["domain_id"])
        assert after is not None
        if after.next_check_at is not None:
            delays.append(after.next_check_at - world.clock.now)
    assert delays[:3] == [timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=40)]
    assert max(delays) == timedelta(hours=6)
    final = world.service.get("acct_a", created["domain_id"])
    assert final["status"] == "failed"
    assert world.clock.now == T0 + timedelta(hours=72)
    assert "ownership: no TXT record" in final["failure_reason"]
    assert world.store.due_domains(T0 + timedelta(days=30), 10) == []


def test_a_due_domain_whose_records_appear_is_verified_by_the_recheck(world: World) -> None:
    created = world.service.create("acct_a", "acme.com")
    world.publish(created)
    world.ses.succeed("acme.com")
    world.clock.now = T0 + timedelta(minutes=5)
    assert world.service.recheck_due() == {
        "checked": 1,
        "verified": 1,
        "failed": 0,
        "skipped": 0,
    }
    assert world.service.get("acct_a", created["domain_id"])["status"] == "verified"


def test_recheck_stops_when_time_runs_short(world: World) -> None:
    world.service.create("acct_a", "acme.com")
    world.clock.now = T0 + timedelta(hours=1)
    assert world.service.recheck_due(time_left_ms=lambda: 1_000)["checked"] == 0


def test_dns_timeouts_are_a_temporary_failure_that_keeps_being_checked(world: World) -> None:
    created = world.service.create("acct_a", "acme.com")
    world.dns.down = True
    world.clock.now = T0 + timedelta(hours=80)  # past the 72 hours: still not failed for it
    out = world.service.verify("acct_a", created["domain_id"])
    assert out["status"] == "temporary_failure"
    assert out["next_check_at"] is not None
    ownership = next(r for r in out["records"] if r["purpose"] == "ownership")
    assert ownership["status"] == "temporary_failure"
    world.dns.down = False
    world.publish(created)
    world.ses.succeed("acme.com")
    assert world.service.verify("acct_a", created["domain_id"])["status"] == "verified"


def test_the_operator_marks_a_domain_verified_for_a_single_tenant_install(world: World) -> None:
    domain = world.service.add_verified("acct_a", "Acme.com")
    assert domain.status is DomainStatus.VERIFIED
    assert world.service.add_verified("acct_a", "acme.com") == domain  # idempotent
    with pytest.raises(Conflict):
        world.service.add_verified("acct_b", "acme.com")
    config = world.store.get_account_config("acct_a")
    assert config is not None
    assert config.verified_domains == frozenset({"acme.com"})


def _ses_event(kind: str, source: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "eventType": kind,
        "mail": {
            "source": source,
            "tags": {"mailpass_account": ["acct_a"], "mailpass_message": ["m1@x"]},
        },
        **extra,
    }


def test_feedback_is_counted_per_sender_domain(world: World) -> None:
    created = world.service.create("acct_a", "acme.com")
    feedback = FeedbackService(world.store, domains=world.store)
    bounce = {"bounce": {"bounceType": "Permanent", "bouncedRecipients": []}}
    for event in (
        _ses_event("Delivery", "a@acme.com", {"delivery": {}}),
        _ses_event("Delivery", "a@news.acme.com", {"delivery": {}}),  # the parent counts
        _ses_event("Bounce", "a@acme.com", bounce),
        _ses_event("Bounce", "a@acme.com", {"bounce": {"bounceType": "Transient"}}),
        _ses_event("Complaint", "a@acme.com", {"complaint": {}}),
        _ses_event("Delivery", "a@other.com", {"delivery": {}}),  # not the account's
    ):
        parsed = parse(event)
        assert parsed is not None
        feedback.record(parsed)
    out = world.service.get("acct_a", created["domain_id"])
    assert out["feedback"] == {
        "delivered": 2,
        "bounced": 1,
        "complained": 1,
        "bounce_rate": round(1 / 3, 4),
    }
