"""A dev account, an API key with the `mail` permission and a default SMTP provider."""

from __future__ import annotations

from dataclasses import dataclass

from mailpass.models import SmtpSecurity
from mailpass.service.admin import AdminService


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
    return Seeded(account.account_id, key.api_key, provider.provider_id)
