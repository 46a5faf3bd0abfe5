"""In-memory stand-ins for the ports, for unit tests. They keep state; they do not mock calls."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import datetime

from mailpass.errors import Conflict, NotFound, ProviderError
from mailpass.mime import OutgoingMessage
from mailpass.models import (
    Account,
    ApiKey,
    MessageEvent,
    MessageRecord,
    MessageStatus,
    Provider,
)
from mailpass.ports import AccountConfig, Reservation, Sender, SendReceipt, Window


@dataclass
class InMemoryStore:
    keys: dict[str, ApiKey] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    providers: dict[str, dict[str, Provider]] = field(default_factory=dict)
    messages: dict[tuple[str, str], MessageRecord] = field(default_factory=dict)
    events: dict[tuple[str, str], list[MessageEvent]] = field(default_factory=dict)

    def get_api_key(self, key_hash: str) -> ApiKey | None:
        return self.keys.get(key_hash)

    def get_account_config(self, account_id: str) -> AccountConfig | None:
        account = self.accounts.get(account_id)
        if account is None:
            return None
        return AccountConfig(account, list(self.providers.get(account_id, {}).values()))

    def create_account(self, account: Account) -> None:
        if account.account_id in self.accounts:
            raise Conflict()
        self.accounts[account.account_id] = account

    def create_api_key(self, key: ApiKey) -> None:
        if key.account_id not in self.accounts:
            raise NotFound()
        self.keys[key.key_hash] = key

    def list_api_keys(self, account_id: str) -> list[ApiKey]:
        return [k for k in self.keys.values() if k.account_id == account_id]

    def revoke_api_key(self, account_id: str, key_id: str) -> None:
        for h, k in self.keys.items():
            if k.account_id == account_id and k.key_id == key_id:
                self.keys[h] = replace(k, revoked=True)
                return
        raise NotFound()

    quota: dict[tuple[str, str], int] = field(default_factory=dict)

    def put_provider(self, provider: Provider, *, create: bool = True) -> None:
        if provider.account_id not in self.accounts:
            raise NotFound()
        mine = self.providers.setdefault(provider.account_id, {})
        if create == (provider.provider_id in mine):
            raise Conflict() if create else NotFound()
        mine[provider.provider_id] = provider

    def update_account_providers(
        self,
        config: AccountConfig,
        *,
        default_provider_id: str | None,
        fallback_provider_ids: list[str],
        delete_provider_id: str | None = None,
        put: Provider | None = None,
    ) -> None:
        account_id = config.account.account_id
        if self.accounts[account_id] != config.account:
            raise Conflict()
        mine = self.providers.setdefault(account_id, {})
        if put is not None:
            if put.provider_id in mine:
                raise Conflict()
            mine = {**mine, put.provider_id: put}
        for pid in [default_provider_id, *fallback_provider_ids, delete_provider_id]:
            if pid is not None and pid not in mine:
                raise NotFound()
        if delete_provider_id is not None:
            del mine[delete_provider_id]
        self.providers[account_id] = mine  # all checks passed: applied whole
        self.accounts[account_id] = replace(
            config.account,
            default_provider_id=default_provider_id,
            fallback_provider_ids=tuple(fallback_provider_ids),
        )

    # send limits, with the same rules as the DynamoDB counters
    def reserve(self, provider_id: str, windows: list[Window], count: int) -> Reservation:
        for w in windows:
            used = self.quota.get((provider_id, w.key), 0)
            if used + count > w.limit:
                return Reservation(0, tuple(windows), w, used)
        for w in windows:
            self.quota[(provider_id, w.key)] = self.quota.get((provider_id, w.key), 0) + count
        remaining = windows[0].limit - self.quota[(provider_id, windows[0].key)]
        return Reservation(
            count, tuple(windows), remaining=remaining if len(windows) == 1 else None
        )

    def peek(self, provider_id: str, windows: list[Window]) -> Reservation:
        for w in windows:
            used = self.quota.get((provider_id, w.key), 0)
            if used + 1 > w.limit:
                return Reservation(0, tuple(windows), w, used)
        return Reservation(1, tuple(windows))

    def refund(self, provider_id: str, windows: list[Window], count: int) -> None:
        for w in windows:
            self.quota[(provider_id, w.key)] -= count

    def put_message(self, record: MessageRecord) -> None:
        key = (record.account_id, record.message_id)
        if key in self.messages:
            raise Conflict()
        self.messages[key] = copy.deepcopy(record)

    def mark_sent(
        self,
        account_id: str,
        message_id: str,
        *,
        sent_at: datetime,
        provider_message_id: str | None,
        note: str | None,
        provider: Provider | None = None,
    ) -> None:
        m = self.messages[(account_id, message_id)]
        if m.status is MessageStatus.SENDING:
            m.status = MessageStatus.SENT
            m.sent_at = m.updated_at = sent_at
            m.provider_message_id = provider_message_id
            m.note = note
            if provider is not None:
                m.provider_id, m.provider_kind = provider.provider_id, provider.kind.value

    def mark_failed(self, account_id: str, message_id: str, *, reason: str, at: datetime) -> None:
        m = self.messages[(account_id, message_id)]
        if m.status in (MessageStatus.SENDING, MessageStatus.QUEUED):
            m.status = MessageStatus.FAILED
            m.error_message = reason
            m.updated_at = at

    def add_event(self, account_id: str, message_id: str, event: MessageEvent) -> None:
        self.events.setdefault((account_id, message_id), []).append(event)

    suppressions: dict[tuple[str, str], str] = field(default_factory=dict)

    def suppressed(self, account_id: str, emails: list[str]) -> dict[str, str]:
        return {
            e.lower(): self.suppressions[(account_id, e.lower())]
            for e in emails
            if (account_id, e.lower()) in self.suppressions
        }

    def get_message(
        self, account_id: str, message_id: str
    ) -> tuple[MessageRecord, list[MessageEvent]] | None:
        m = self.messages.get((account_id, message_id))
        if m is None:
            return None
        return copy.deepcopy(m), list(self.events.get((account_id, message_id), []))


@dataclass
class RecordingSender:
    """A provider that takes every message (or refuses with a scripted error)."""

    delivered: list[OutgoingMessage] = field(default_factory=list)
    error: ProviderError | None = None
    refused: dict[str, str] = field(default_factory=dict)
    provider_message_id: str | None = None

    def send(self, message: OutgoingMessage) -> SendReceipt:
        if self.error is not None:
            raise self.error
        self.delivered.append(message)
        return SendReceipt(self.provider_message_id, dict(self.refused))


@dataclass
class FakeSenders:
    sender: RecordingSender = field(default_factory=RecordingSender)
    asked_for: list[Provider] = field(default_factory=list)
    # Per provider id, when a test needs providers that behave differently.
    by_provider: dict[str, RecordingSender] = field(default_factory=dict)

    def for_provider(self, provider: Provider) -> Sender:
        self.asked_for.append(provider)
        return self.by_provider.get(provider.provider_id, self.sender)


@dataclass
class InMemorySecrets:
    values: dict[str, str] = field(default_factory=dict)

    def get(self, secret_id: str) -> str:
        return self.values[secret_id]

    def put(self, name: str, value: str) -> str:
        self.values[name] = value
        return name

    def delete(self, secret_id: str) -> None:
        self.values.pop(secret_id, None)


class NoProbe:
    """Providers are never connected to in unit tests."""

    def probe(self, provider: Provider) -> list[dict[str, object]]:
        return [{"step": "connect", "ok": True, "detail": "not attempted", "ms": 0.0}]
