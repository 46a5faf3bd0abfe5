"""A dev account, an API key with the `mail` permission, a default SMTP provider and its sender
domain, verified (as an operator's `mailpass-admin domain add --verified` would), so the
README's curl works as printed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailpass.models import SmtpSecurity
from mailpass.service.admin import AdminService

if TYPE_CHECKING:
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
