"""The in-memory "table" the store fakes share, as the DynamoDB classes share one table: each
fake owns some of these records and may read others (the account config read sees the
providers, webhooks and suppression count, as DynamoDB's one Query does)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mailpass.models import (
    Account,
    ApiKey,
    Domain,
    KeyGrant,
    MessageEvent,
    MessageRecord,
    Provider,
    Template,
    Webhook,
    WebhookAttempt,
)
from mailpass.ports import AccountConfig, Outcome, ScheduledEntry
from mailpass.usage import Tally


@dataclass
class Pack:
    state: str
    token: str | None
    lease_until: float
    attempts: int


@dataclass
class Memory:
    keys: dict[str, ApiKey] = field(default_factory=dict)  # by key hash
    accounts: dict[str, Account] = field(default_factory=dict)
    providers: dict[str, dict[str, Provider]] = field(default_factory=dict)
    webhooks: dict[str, dict[str, Webhook]] = field(default_factory=dict)
    messages: dict[tuple[str, str], MessageRecord] = field(default_factory=dict)
    events: dict[tuple[str, str], list[MessageEvent]] = field(default_factory=dict)
    results: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    # (account, lowercased email) -> the list entry as DynamoDB returns it
    suppressions: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    packs: dict[str, Pack] = field(default_factory=dict)
    quota: dict[tuple[str, str], int] = field(default_factory=dict)
    queue_id: int = 0
    # bucket (yyyymmddHHMM) -> "<account>#<message id>" -> entry; and the tick's cursor
    schedules: dict[str, dict[str, ScheduledEntry]] = field(default_factory=dict)
    schedule_cursor: str | None = None
    domains: dict[str, dict[str, Domain]] = field(default_factory=dict)  # account -> id -> domain
    domain_holders: dict[str, set[str]] = field(default_factory=dict)  # name -> accounts
    domain_owners: dict[str, str] = field(default_factory=dict)  # name -> verified account
    templates: dict[str, dict[str, Template]] = field(default_factory=dict)  # account -> id
    # (account, webhook) -> position -> attempt, with its expiry (unix seconds)
    webhook_log: dict[tuple[str, str], dict[str, tuple[WebhookAttempt, int]]] = field(
        default_factory=dict
    )
    # usage buckets: (account, UTC hour) -> attribute -> n (the adapter's shards, folded)
    stats: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    # the usage counts already added per message: (account, message id) -> counts
    counted: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def add_tally(self, tally: Tally | None) -> None:
        if tally is None:
            return
        for hour, adds in tally.adds.items():
            bucket = self.stats.setdefault((tally.account_id, hour), {})
            for name, n in adds.items():
                bucket[name] = bucket.get(name, 0) + n


class Shared:
    """Base of the store fakes: each takes the memory it shares with the others."""

    def __init__(self, memory: Memory | None = None) -> None:
        self.memory = memory if memory is not None else Memory()


class ConfigReading(Shared):
    def get_account_config(self, account_id: str) -> AccountConfig | None:
        m = self.memory
        account = m.accounts.get(account_id)
        if account is None:
            return None
        count = sum(1 for a, _ in m.suppressions if a == account_id)
        return AccountConfig(
            _with_count(account, count),
            sorted(m.providers.get(account_id, {}).values(), key=lambda p: p.created_at),
            tuple(sorted(m.webhooks.get(account_id, {}).values(), key=lambda w: w.created_at)),
            tuple(sorted(m.domains.get(account_id, {}).values(), key=lambda d: d.created_at)),
            {
                h: KeyGrant(k.key_id, k.permissions, k.test)
                for h, k in m.keys.items()
                if k.account_id == account_id and not k.revoked
            },
        )


def _with_count(account: Account, count: int) -> Account:
    from dataclasses import replace

    return account if account.suppressions == count else replace(account, suppressions=count)
