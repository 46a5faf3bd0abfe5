"""A dev account, an API key with the `mail` permission, a default SMTP provider and its sender
domain, verified (as an operator's `mailpass-admin domain add --verified` would), so the
README's curl works as printed."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mailpass.models import SmtpSecurity
from mailpass.service.admin import AdminService

if TYPE_CHECKING:
    from mailpass.container import Container
    from mailpass.service.domains import DomainService

    from mailpass_dev.dns import LocalDns


@dataclass(frozen=True)
class Seeded:
    account_id: str
    api_key: str
    provider_id: str


def seed_dev(
    admin: AdminService,
    smtp_host: str,
    smtp_port: int,
    *,
    api_key: str | None = None,
    name: str = "Dev account",
    from_email: str = "dev@example.com",
    domains: DomainService | None = None,
    dns: LocalDns | None = None,
) -> Seeded:
    account = admin.create_account(name)
    key = admin.create_api_key(account.account_id, ["mail", "settings"], raw=api_key)
    provider = admin.add_smtp_provider(
        account.account_id,
        name="local SMTP catcher",
        host=smtp_host,
        port=smtp_port,
        security=SmtpSecurity.NONE,
        from_email=from_email,
        from_name="MailPass Dev",
        make_default=True,
    )
    if domains is not None:
        domain = domains.add_verified(account.account_id, from_email.rpartition("@")[2])
        if dns is not None:  # its records answer in the local DNS, as a real zone's would
            dns.publish([r.public() for r in domain.records])
    return Seeded(account.account_id, key.api_key, provider.provider_id)


def resume_or_seed(
    container: Container,
    smtp_host: str,
    smtp_port: int,
    *,
    saved: Path,
    api_key: str | None = None,
    dns: LocalDns | None = None,
) -> tuple[Seeded, bool]:
    """`make dev` keeps its data: the account of the last run (its key in `saved`, or
    `api_key`) when it is still there, else a new one. Whether it was resumed."""
    from mailpass.ids import hash_api_key

    last = json.loads(saved.read_text()) if saved.exists() else {}
    key = api_key or last.get("api_key")
    found = container.accounts.get_api_key(hash_api_key(key)) if key else None
    config = container.accounts.get_account_config(found.account_id) if found else None
    if found is None or found.revoked or config is None:
        seeded = seed_dev(
            container.admin,
            smtp_host,
            smtp_port,
            api_key=api_key,
            domains=container.domains,
            dns=dns,
        )
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.touch(mode=0o600)  # it holds the dev key
        saved.write_text(json.dumps(asdict(seeded)))
        return seeded, False
    assert key is not None
    account_id = config.account.account_id
    provider = config.default_provider
    if provider is not None and provider.host == smtp_host and provider.port != smtp_port:
        # The catcher listens where this run put it.
        from mailpass.provider_schemas import ProviderUpdate

        container.providers.update(account_id, provider.provider_id, ProviderUpdate(port=smtp_port))
    if dns is not None:  # the local DNS starts empty each run: publish the kept domains again
        for domain in container.domain_store.list_domains(account_id):
            dns.publish([r.public() for r in domain.records])
    return Seeded(account_id, key, provider.provider_id if provider else ""), True
