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
from mailpass.ports import AccountConfig, Sender, SendReceipt


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

    def put_provider(self, provider: Provider) -> None:
        self.providers.setdefault(provider.account_id, {})[provider.provider_id] = provider

    def set_default_provider(self, account_id: str, provider_id: str) -> None:
        if provider_id not in self.providers.get(account_id, {}):
            raise NotFound()
        self.accounts[account_id] = replace(
            self.accounts[account_id], default_provider_id=provider_id
        )

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
    ) -> None:
        m = self.messages[(account_id, message_id)]
        if m.status is MessageStatus.SENDING:
            m.status = MessageStatus.SENT
            m.sent_at = m.updated_at = sent_at
            m.provider_message_id = provider_message_id
            m.note = note

    def mark_failed(self, account_id: str, message_id: str, *, reason: str, at: datetime) -> None:
        m = self.messages[(account_id, message_id)]
        if m.status in (MessageStatus.SENDING, MessageStatus.QUEUED):
            m.status = MessageStatus.FAILED
            m.error_message = reason
            m.updated_at = at

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

    def for_provider(self, provider: Provider) -> Sender:
        self.asked_for.append(provider)
        return self.sender


@dataclass
class InMemorySecrets:
    values: dict[str, str] = field(default_factory=dict)

    def get(self, secret_id: str) -> str:
        return self.values[secret_id]

    def put(self, name: str, value: str) -> str:
        self.values[name] = value
        return name
