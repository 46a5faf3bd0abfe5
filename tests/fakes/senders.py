"""Stand-ins for providers and secrets."""

from __future__ import annotations

from dataclasses import dataclass, field

from mailpass.errors import ProviderError
from mailpass.mime import OutgoingMessage
from mailpass.models import Provider
from mailpass.ports import Sender, SendReceipt


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
