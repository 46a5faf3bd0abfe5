from __future__ import annotations

import socket
from dataclasses import dataclass

import pytest
from mailpass.models import SmtpSecurity
from mailpass.service.admin import AdminService
from mailpass.service.providers import ProviderService
from mailpass.settings import Settings

from tests.fakes import FakeSenders, InMemorySecrets, InMemoryStore, NoProbe


@dataclass
class World:
    store: InMemoryStore
    secrets: InMemorySecrets
    senders: FakeSenders
    admin: AdminService
    settings: Settings

    def account_with_key(
        self,
        *,
        permissions: tuple[str, ...] = ("mail",),
        test: bool = False,
        provider: bool = True,
    ) -> tuple[str, str]:
        account = self.admin.create_account("acme")
        key = self.admin.create_api_key(account.account_id, list(permissions), test=test)
        if provider:
            self.admin.add_smtp_provider(
                account.account_id,
                name="smtp",
                host="smtp.example.com",
                port=587,
                security=SmtpSecurity.STARTTLS,
                from_email="noreply@acme.example.com",
                from_name="Acme",
                make_default=True,
            )
        return account.account_id, key.api_key


def public_dns(host: str, port: int) -> list[tuple[socket.AddressFamily, str]]:
    """Unit tests resolve no names: every host is one public address (TEST-NET is not)."""
    return [(socket.AF_INET, "93.184.216.34")]


@pytest.fixture
def settings() -> Settings:
    return Settings(table_name="unit-table", message_id_domain="test.mailpass.im")


@pytest.fixture
def world(settings: Settings) -> World:
    store = InMemoryStore()
    secrets = InMemorySecrets()
    providers = ProviderService(store, secrets, NoProbe(), settings, public_dns)
    return World(store, secrets, FakeSenders(), AdminService(store, providers), settings)
