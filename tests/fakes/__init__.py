"""In-memory stand-ins for the ports, for unit tests. They keep state; they do not mock calls.

The store fakes are split as the DynamoDB adapter is (one class per aggregate, sharing one
`Memory` as the adapter's classes share one table), and tests/contract runs the same suite
against both, so a fake cannot drift from the adapter."""

from __future__ import annotations

from mailpass.models import Account, ApiKey, MessageEvent, MessageRecord, Provider

from tests.fakes.accounts import InMemoryAccounts
from tests.fakes.domains import FakeDns, FakeSesIdentities, InMemoryDomains
from tests.fakes.memory import Memory
from tests.fakes.message_log import InMemoryMessageLog
from tests.fakes.messages import InMemoryMessages
from tests.fakes.packs import InMemoryPacks
from tests.fakes.providers import InMemoryProviders, InMemoryWebhooks
from tests.fakes.quotas import InMemoryQuotas
from tests.fakes.schedules import InMemorySchedules
from tests.fakes.senders import FakeSenders, InMemorySecrets, NoProbe, RecordingSender
from tests.fakes.stats import InMemoryStats
from tests.fakes.suppressions import InMemorySuppressions

__all__ = [
    "FakeDns",
    "FakeSenders",
    "FakeSesIdentities",
    "InMemoryAccounts",
    "InMemoryDomains",
    "InMemoryMessageLog",
    "InMemoryMessages",
    "InMemoryPacks",
    "InMemoryProviders",
    "InMemoryQuotas",
    "InMemorySchedules",
    "InMemorySecrets",
    "InMemoryStats",
    "InMemoryStore",
    "InMemorySuppressions",
    "InMemoryWebhooks",
    "Memory",
    "NoProbe",
    "RecordingSender",
]


class InMemoryStore(
    InMemoryAccounts,
    InMemoryDomains,
    InMemoryProviders,
    InMemoryWebhooks,
    InMemoryMessages,
    InMemorySuppressions,
    InMemoryPacks,
    InMemoryQuotas,
    InMemorySchedules,
    InMemoryStats,
):
    """Every store fake on one memory, for unit tests that wire several services to one
    object; the records are reachable by name for the tests' assertions."""

    @property
    def keys(self) -> dict[str, ApiKey]:
        return self.memory.keys

    @property
    def accounts(self) -> dict[str, Account]:
        return self.memory.accounts

    @property
    def providers(self) -> dict[str, dict[str, Provider]]:
        return self.memory.providers

    @property
    def messages(self) -> dict[tuple[str, str], MessageRecord]:
        return self.memory.messages

    @property
    def events(self) -> dict[tuple[str, str], list[MessageEvent]]:
        return self.memory.events

    @property
    def quota(self) -> dict[tuple[str, str], int]:
        return self.memory.quota
