"""Operator use cases: accounts, API keys and providers. Used by mailpass-admin and `make dev`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mailpass.errors import NotFound, ValidationFailed
from mailpass.ids import new_id
from mailpass.models import Account, Provider, SmtpSecurity, iso, utcnow
from mailpass.ports_account import AccountStore
from mailpass.service.keys import checked_permissions, issue_key
from mailpass.service.providers import ProviderService


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    api_key: str  # shown once, never stored
    prefix: str
    permissions: frozenset[str]


class AdminService:
    def __init__(self, store: AccountStore, providers: ProviderService) -> None:
        self._store = store
        self._providers = providers

    def create_account(self, name: str) -> Account:
        account = Account(
            account_id=new_id("acct"), name=name, default_provider_id=None, created_at=utcnow()
        )
        self._store.create_account(account)
        return account

    def _require_account(self, account_id: str) -> None:
        if self._store.get_account_config(account_id) is None:
            raise NotFound(f"No account {account_id}")

    def create_api_key(
        self,
        account_id: str,
        permissions: list[str],
        *,
        test: bool = False,
        raw: str | None = None,
        name: str = "",
    ) -> IssuedKey:
        """`raw` lets `make dev` keep a stable key across restarts (MAILPASS_DEV_KEY)."""
        self._require_account(account_id)
        perms = checked_permissions(permissions)
        key, api_key = issue_key(self._store, account_id, perms, name=name, test=test, raw=raw)
        return IssuedKey(key.key_id, api_key, key.prefix, perms)

    def list_api_keys(self, account_id: str) -> list[dict[str, object]]:
        """Prefixes only: the keys themselves were shown once, when they were made."""
        self._require_account(account_id)
        return [
            {
                "key_id": k.key_id,
                "prefix": k.prefix,
                "permissions": sorted(k.permissions),
                "test": k.test,
                "revoked": k.revoked,
                "created_at": iso(k.created_at),
            }
            for k in self._store.list_api_keys(account_id)
        ]

    def revoke_api_key(self, account_id: str, key_id: str) -> None:
        self._store.revoke_api_key(account_id, key_id)

    def add_smtp_provider(
        self,
        account_id: str,
        *,
        name: str,
        host: str,
        port: int,
        security: SmtpSecurity,
        username: str | None = None,
        password: str | None = None,
        from_email: str | None = None,
        from_name: str | None = None,
        make_default: bool = False,
    ) -> Provider:
        fields = {
            "kind": "smtp",
            "name": name,
            "host": host,
            "port": port,
            "security": security.value,
            "username": username,
            "password": password,
            "from_email": from_email,
            "from_name": from_name,
            "make_default": make_default,
        }
        return self._add(account_id, fields)

    def add_ses_provider(
        self,
        account_id: str,
        *,
        name: str,
        region: str,
        configuration_set: str | None = None,
        from_email: str | None = None,
        from_name: str | None = None,
        make_default: bool = False,
    ) -> Provider:
        fields = {
            "kind": "ses",
            "name": name,
            "region": region,
            "configuration_set": configuration_set,
            "from_email": from_email,
            "from_name": from_name,
            "make_default": make_default,
        }
        return self._add(account_id, fields)

    def _add(self, account_id: str, fields: Mapping[str, object]) -> Provider:
        # Same validation, secret handling and single-step write as the settings API.
        from pydantic import ValidationError

        from mailpass.provider_schemas import ProviderCreate

        try:
            request = ProviderCreate.model_validate(
                {k: v for k, v in fields.items() if v is not None}
            )
        except ValidationError as exc:
            details = [
                {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                for e in exc.errors(include_url=False)
            ]
            raise ValidationFailed("The provider is not valid", details) from None
        return self._providers.add(account_id, request)
