"""One suite, two stores: every contract test runs against the in-memory fakes and against the
DynamoDB adapter on DynamoDB Local (the session's local stack), so the fakes the unit tests
rely on cannot drift from what production does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import pytest
from mailpass.ids import new_id
from mailpass.models import Account, MessageRecord, MessageStatus, Provider, ProviderKind
from mailpass.ports import (
    HitLog,
    MessageStore,
    PackStore,
    QuotaStore,
    ScheduledHandOff,
    ScheduleStore,
    StatsStore,
    SuppressionStore,
)
from mailpass.ports_account import (
    AccountStore,
    DomainCounter,
    DomainStore,
    ProviderStore,
    WebhookStore,
)
from mailpass.ports_listing import MessageLog, SuppressionLister

from tests.fakes import (
    InMemoryAccounts,
    InMemoryDomains,
    InMemoryMessageLog,
    InMemoryMessages,
    InMemoryPacks,
    InMemoryProviders,
    InMemoryQuotas,
    InMemorySchedules,
    InMemoryStats,
    InMemorySuppressions,
    InMemoryWebhooks,
    Memory,
)
from tests.fakes.hits import InMemoryHits


class Domains(DomainStore, DomainCounter, Protocol):
    """The sender domain store: its records and their feedback counters."""


class Messages(MessageStore, ScheduledHandOff, Protocol):
    """Messages, and the dispatcher's conditional take of a scheduled one."""


class Suppressions(SuppressionStore, SuppressionLister, Protocol):
    """The suppression list, and its listing a page at a time."""


@dataclass
class Stores:
    """One backend's store classes, sharing one table (or one memory)."""

    accounts: AccountStore
    providers: ProviderStore
    webhooks: WebhookStore
    messages: Messages
    suppressions: Suppressions
    packs: PackStore
    quotas: QuotaStore
    hits: HitLog
    domains: Domains
    schedules: ScheduleStore
    stats: StatsStore
    log: MessageLog


def _fakes() -> Stores:
    m = Memory()
    return Stores(
        InMemoryAccounts(m),
        InMemoryProviders(m),
        InMemoryWebhooks(m),
        InMemoryMessages(m),
        InMemorySuppressions(m),
        InMemoryPacks(m),
        InMemoryQuotas(m),
        InMemoryHits(m),
        InMemoryDomains(m),
        InMemorySchedules(m),
        InMemoryStats(m),
        InMemoryMessageLog(m),
    )


def _dynamodb(request: pytest.FixtureRequest) -> Stores:
    from mailpass.adapters.dynamodb import (
        DynamoAccounts,
        DynamoMessageLog,
        DynamoMessages,
        DynamoPacks,
        DynamoProviders,
        DynamoQuotas,
        DynamoSchedules,
        DynamoStats,
        DynamoSuppressions,
        DynamoWebhooks,
        Table,
    )
    from mailpass.adapters.dynamodb.domains import DynamoDomains
    from mailpass.adapters.dynamodb.hits import DynamoHits

    stack: Any = request.getfixturevalue("stack")
    stack.apply_env()
    table = Table(stack.client("dynamodb"), stack.table_name)
    return Stores(
        DynamoAccounts(table),
        DynamoProviders(table),
        DynamoWebhooks(table),
        DynamoMessages(table),
        DynamoSuppressions(table),
        DynamoPacks(table),
        DynamoQuotas(table),
        DynamoHits(table),
        DynamoDomains(table),
        DynamoSchedules(table),
        DynamoStats(table),
        DynamoMessageLog(table),
    )


@pytest.fixture(params=["fake", pytest.param("dynamodb", marks=pytest.mark.integration)])
def stores(request: pytest.FixtureRequest) -> Stores:
    # Every test works on fresh ids, so the shared table needs no cleaning between tests.
    return _fakes() if request.param == "fake" else _dynamodb(request)


NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def new_account(stores: Stores) -> str:
    account_id = new_id("acct")
    stores.accounts.create_account(Account(account_id, "acme", None, NOW))
    return account_id


def smtp(account_id: str, name: str = "relay", **kw: Any) -> Provider:
    return Provider(
        new_id("prov"),
        account_id,
        ProviderKind.SMTP,
        name,
        host="smtp.example.com",
        port=587,
        **kw,
    )


def message(
    account_id: str, status: MessageStatus = MessageStatus.SENDING, **kw: Any
) -> MessageRecord:
    fields: dict[str, Any] = {
        "from_email": "noreply@acme.example.com",
        "to_email": "user@example.com",
        "subject": "Hi",
        "created_at": NOW,
        # Far past NOW: DynamoDB Local's TTL deletes expired items (NOW is a fixed date, soon
        # in the past), which made a message vanish mid-test.
        "expires_at": int(NOW.timestamp()) + 100 * 365 * 86400,
    }
    return MessageRecord(
        account_id=account_id, message_id=new_id("msg"), status=status, **{**fields, **kw}
    )
