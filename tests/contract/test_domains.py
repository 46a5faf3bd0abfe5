"""Sender domains: the account's records, the one verified holder of a name, the due list and
the per-domain feedback counters."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from mailpass.errors import Conflict, NotFound
from mailpass.ids import new_id
from mailpass.models import DnsRecord, Domain, DomainStatus, domain_id_for

from tests.contract.conftest import NOW, Stores, new_account


def domain(account_id: str, name: str, **kw: object) -> Domain:
    values: dict[str, object] = {
        "records": (
            DnsRecord("TXT", f"_mailpass.{name}", "mailpass-verification=t", "ownership"),
            DnsRecord("TXT", f"_dmarc.{name}", "v=DMARC1; p=none", "dmarc", required=False),
        ),
        "dkim_tokens": ("a", "b", "c"),
        "created_at": NOW,
        "next_check_at": NOW + timedelta(minutes=5),
        **kw,
    }
    return Domain(
        domain_id_for(account_id, name),
        account_id,
        name,
        new_id("tok"),
        **values,  # type: ignore[arg-type]
    )


def unique_name() -> str:
    return f"{new_id('d').lower().replace('_', '-')}.example.com"


def test_a_domain_is_created_once_and_read_with_the_account(stores: Stores) -> None:
    account_id = new_account(stores)
    name = unique_name()
    d = domain(account_id, name)
    stores.domains.create_domain(d)
    assert stores.domains.get_domain(account_id, d.domain_id) == d
    assert stores.domains.list_domains(account_id) == [d]
    config = stores.domains.get_account_config(account_id)
    assert config is not None
    assert config.domains == (d,)
    assert config.verified_domains == frozenset()
    with pytest.raises(Conflict):
        stores.domains.create_domain(d)
    with pytest.raises(NotFound):
        stores.domains.create_domain(domain(new_id("acct"), name))
    assert stores.domains.get_domain(account_id, new_id("dom")) is None


def test_a_check_moves_the_due_entry_and_is_guarded(stores: Stores) -> None:
    account_id = new_account(stores)
    d = domain(account_id, unique_name())
    stores.domains.create_domain(d)
    at = d.next_check_at
    assert at is not None
    due = [e for e in stores.domains.due_domains(at, 1000) if e.domain_id == d.domain_id]
    assert [(e.account_id, e.at) for e in due] == [(account_id, at)]
    later = replace(d, attempts=1, last_checked_at=at, next_check_at=at + timedelta(hours=1))
    stores.domains.save_check(later, was_due=at)
    assert stores.domains.get_domain(account_id, d.domain_id) == later
    assert not [e for e in stores.domains.due_domains(at, 1000) if e.domain_id == d.domain_id]
    due = stores.domains.due_domains(at + timedelta(hours=1), 1000)
    assert [e.at for e in due if e.domain_id == d.domain_id] == [at + timedelta(hours=1)]
    # A second check that read the old state is refused, not applied over the first.
    with pytest.raises(Conflict):
        stores.domains.save_check(replace(d, attempts=9), was_due=at)
    assert stores.domains.get_domain(account_id, d.domain_id) == later


def test_only_one_account_holds_a_name_verified(stores: Stores) -> None:
    first, second = new_account(stores), new_account(stores)
    name = unique_name()
    a, b = domain(first, name), domain(second, name)
    stores.domains.create_domain(a)
    stores.domains.create_domain(b)  # both may have it pending
    verified_a = replace(a, status=DomainStatus.VERIFIED, verified_at=NOW, next_check_at=None)
    assert stores.domains.claim_verified(verified_a, was_due=a.next_check_at)
    verified_b = replace(b, status=DomainStatus.VERIFIED, verified_at=NOW, next_check_at=None)
    assert not stores.domains.claim_verified(verified_b, was_due=b.next_check_at)
    assert stores.domains.get_domain(second, b.domain_id) == b  # nothing written
    config = stores.domains.get_account_config(first)
    assert config is not None
    assert config.verified_domains == frozenset({name})
    due = stores.domains.due_domains(NOW + timedelta(days=1), 1000)
    assert a.domain_id not in {e.domain_id for e in due}
    # The holder lets go: the name is free for the other account, which still has it.
    assert stores.domains.delete_domain(verified_a) == 1
    assert stores.domains.get_domain(first, a.domain_id) is None
    assert stores.domains.claim_verified(verified_b, was_due=b.next_check_at)
    assert stores.domains.delete_domain(verified_b) == 0
    with pytest.raises(NotFound):
        stores.domains.delete_domain(verified_b)


def test_feedback_counters_add_up_and_survive_checks(stores: Stores) -> None:
    account_id = new_account(stores)
    name = unique_name()
    d = domain(account_id, name)
    stores.domains.create_domain(d)
    assert stores.domains.count_domain_feedback(account_id, name, "delivered")
    assert stores.domains.count_domain_feedback(account_id, name, "delivered")
    assert stores.domains.count_domain_feedback(account_id, name, "bounced")
    assert not stores.domains.count_domain_feedback(account_id, "other." + name, "bounced")
    stores.domains.save_check(replace(d, attempts=1), was_due=d.next_check_at)
    found = stores.domains.get_domain(account_id, d.domain_id)
    assert found is not None
    assert found.counters == {"delivered": 2, "bounced": 1}
    assert found.attempts == 1
    assert found.public()["feedback"]["bounce_rate"] == round(1 / 3, 4)


def test_a_delete_that_read_an_older_state_is_refused(stores: Stores) -> None:
    account_id = new_account(stores)
    d = domain(account_id, unique_name())
    stores.domains.create_domain(d)
    verified = replace(d, status=DomainStatus.VERIFIED, verified_at=NOW, next_check_at=None)
    assert stores.domains.claim_verified(verified, was_due=d.next_check_at)
    # Deleting the pending domain it was would leave the name's OWNER claim behind.
    with pytest.raises(Conflict):
        stores.domains.delete_domain(d)
    assert stores.domains.delete_domain(verified) == 0
    other = new_account(stores)
    theirs = domain(other, d.name)
    stores.domains.create_domain(theirs)
    mine = replace(theirs, status=DomainStatus.VERIFIED, next_check_at=None)
    assert stores.domains.claim_verified(mine, was_due=theirs.next_check_at)  # the name is free
