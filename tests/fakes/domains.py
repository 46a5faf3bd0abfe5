"""Sender domains (ports_account.DomainStore, ports_account.DomainCounter) in memory, and
fakes for the DNS and SES identity adapters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from mailpass.errors import Conflict, DnsUnavailable, NotFound
from mailpass.models import DOMAIN_COUNTERS, Domain, DomainStatus, domain_id_for
from mailpass.ports_account import DkimState, DueCheck

from tests.fakes.memory import ConfigReading, Memory


class InMemoryDomains(ConfigReading):
    def create_domain(self, domain: Domain) -> None:
        m = self.memory
        if domain.account_id not in m.accounts:
            raise NotFound(f"No account {domain.account_id}")
        mine = m.domains.setdefault(domain.account_id, {})
        if domain.domain_id in mine:
            raise Conflict(f"The account has the domain {domain.name} already")
        mine[domain.domain_id] = domain
        m.domain_holders.setdefault(domain.name, set()).add(domain.account_id)

    def get_domain(self, account_id: str, domain_id: str) -> Domain | None:
        return self.memory.domains.get(account_id, {}).get(domain_id)

    def list_domains(self, account_id: str) -> list[Domain]:
        return sorted(self.memory.domains.get(account_id, {}).values(), key=lambda d: d.created_at)

    def _guard(self, domain: Domain, was_due: datetime | None) -> Domain:
        now = self.memory.domains.get(domain.account_id, {}).get(domain.domain_id)
        if now is None or now.next_check_at != was_due:
            raise Conflict("The domain was checked or removed meanwhile")
        return now

    def _replace(self, domain: Domain, now: Domain) -> None:
        mine = self.memory.domains[domain.account_id]
        mine[domain.domain_id] = replace(domain, counters=now.counters)  # counters: their ADDs

    def save_check(self, domain: Domain, *, was_due: datetime | None) -> None:
        self._replace(domain, self._guard(domain, was_due))

    def claim_verified(self, domain: Domain, *, was_due: datetime | None) -> bool:
        holder = self.memory.domain_owners.get(domain.name)
        if holder is not None and holder != domain.account_id:
            return False
        self._replace(domain, self._guard(domain, was_due))
        self.memory.domain_owners[domain.name] = domain.account_id
        return True

    def delete_domain(self, domain: Domain) -> int:
        m = self.memory
        now = m.domains.get(domain.account_id, {}).get(domain.domain_id)
        if now is None:
            raise NotFound("No such domain for this account")
        if (now.status, now.next_check_at) != (domain.status, domain.next_check_at):
            raise Conflict("The domain changed meanwhile; read it again")
        del m.domains[domain.account_id][domain.domain_id]
        holders = m.domain_holders.get(domain.name, set())
        holders.discard(domain.account_id)
        if m.domain_owners.get(domain.name) == domain.account_id:
            del m.domain_owners[domain.name]
        return len(holders)

    def due_domains(self, now: datetime, limit: int) -> list[DueCheck]:
        due = [
            DueCheck(d.account_id, d.domain_id, d.next_check_at)
            for mine in self.memory.domains.values()
            for d in mine.values()
            if d.next_check_at is not None and d.next_check_at <= now
        ]
        return sorted(due, key=lambda x: x.at)[:limit]

    def drop_due(self, due: DueCheck) -> None:
        """The fake's due list is the domains themselves: nothing goes stale."""

    def count_domain_feedback(self, account_id: str, name: str, counter: str) -> bool:
        if counter not in DOMAIN_COUNTERS:
            raise ValueError(f"unknown domain counter {counter}")
        domain = self.memory.domains.get(account_id, {}).get(domain_id_for(account_id, name))
        if domain is None:
            return False
        domain.counters[counter] = domain.counters.get(counter, 0) + 1
        return True


@dataclass
class FakeDns:
    """A zone in a dict: (name, type) -> values. `down` makes every lookup time out."""

    records: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    down: bool = False
    asked: list[tuple[str, str]] = field(default_factory=list)

    def set(self, name: str, rdtype: str, *values: str) -> None:
        self.records[(name.lower(), rdtype)] = list(values)

    def lookup(self, name: str, rdtype: str) -> list[str]:
        self.asked.append((name, rdtype))
        if self.down:
            raise DnsUnavailable(f"{name} {rdtype}: timed out")
        return list(self.records.get((name.lower(), rdtype), []))


@dataclass
class FakeSesIdentities:
    """SES's identities: created with three tokens, DKIM PENDING until a test says SUCCESS."""

    identities: dict[str, DkimState] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)

    def create(self, name: str) -> DkimState:
        if name not in self.identities:
            tokens = tuple(f"{name.replace('.', '')[:12]}tok{i}" for i in range(3))
            self.identities[name] = DkimState("PENDING", tokens)
        return self.identities[name]

    def dkim(self, names: list[str]) -> dict[str, DkimState]:
        return {n: self.identities[n] for n in names if n in self.identities}

    def delete(self, name: str) -> None:
        self.identities.pop(name, None)
        self.deleted.append(name)

    def succeed(self, name: str) -> None:
        self.identities[name] = replace(self.identities[name], status="SUCCESS")


def set_verified(memory: Memory, account_id: str, names: Iterable[str]) -> None:
    """Test setup: the account's sender domains become exactly `names`, all verified (as if each
    had been proven), so sending rules can be tested without the verification path."""
    memory.domains[account_id] = {
        domain_id_for(account_id, name): Domain(
            domain_id=domain_id_for(account_id, name),
            account_id=account_id,
            name=name.lower(),
            token="test",
            status=DomainStatus.VERIFIED,
        )
        for name in names
    }
