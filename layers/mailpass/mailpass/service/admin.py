"""Operator use cases: accounts, API keys and providers. Used by mailpass-admin and `make dev`."""

from __future__ import annotations

from dataclasses import dataclass

from mailpass.errors import NotFound, ValidationFailed
from mailpass.ids import hash_api_key, key_display_prefix, new_api_key, new_id
from mailpass.models import (
    Account,
    ApiKey,
    Permission,
    Provider,
    ProviderKind,
    SmtpSecurity,
    iso,
    utcnow,
)
from mailpass.ports import SecretStore, Store
from mailpass.schemas import clean_address, clean_header_text


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    api_key: str  # shown once, never stored
    prefix: str
    permissions: frozenset[str]


def _checked_permissions(permissions: list[str]) -> frozenset[str]:
    known = {p.value for p in Permission}
    unknown = sorted(set(permissions) - known)
    if unknown or not permissions:
        raise ValidationFailed(f"permissions must be a non-empty subset of {sorted(known)}")
    return frozenset(permissions)


def _checked_sender(from_email: str | None, from_name: str | None) -> tuple[str | None, str | None]:
    try:
        email = clean_address(from_email) if from_email else None
        name = clean_header_text(from_name) if from_name else None
    except ValueError as exc:
        raise ValidationFailed(f"sender: {exc}") from None
    return email, name


class AdminService:
    def __init__(self, store: Store, secrets: SecretStore, secrets_prefix: str) -> None:
        self._store = store
        self._secrets = secrets
        self._secrets_prefix = secrets_prefix

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
        self, account_id: str, permissions: list[str], *, test: bool = False, raw: str | None = None
    ) -> IssuedKey:
        """`raw` lets `make dev` keep a stable key across restarts (MAILPASS_DEV_KEY)."""
        self._require_account(account_id)
        perms = _checked_permissions(permissions)
        api_key = raw or new_api_key(test=test)
        key = ApiKey(
            key_id=new_id("key"),
            account_id=account_id,
            key_hash=hash_api_key(api_key),
            prefix=key_display_prefix(api_key),
            permissions=perms,
            revoked=False,
            test=api_key.startswith("mp_test_"),
            created_at=utcnow(),
        )
        self._store.create_api_key(key)
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
        self._require_account(account_id)
        if not host or not 0 < port < 65536:
            raise ValidationFailed("host is required and port must be 1..65535")
        if bool(username) != bool(password):
            raise ValidationFailed("username and password go together")
        email, display = _checked_sender(from_email, from_name)
        provider_id = new_id("prov")
        secret_id = None
        if password:
            # The password goes to Secrets Manager first; the record only names the secret.
            secret_id = self._secrets.put(
                f"{self._secrets_prefix}providers/{account_id}/{provider_id}", password
            )
        provider = Provider(
            provider_id=provider_id,
            account_id=account_id,
            kind=ProviderKind.SMTP,
            name=name,
            host=host,
            port=port,
            security=security,
            username=username,
            secret_id=secret_id,
            from_email=email,
            from_name=display,
        )
        return self._save(provider, make_default)

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
        self._require_account(account_id)
        if not region:
            raise ValidationFailed("region is required")
        email, display = _checked_sender(from_email, from_name)
        provider = Provider(
            provider_id=new_id("prov"),
            account_id=account_id,
            kind=ProviderKind.SES,
            name=name,
            region=region,
            configuration_set=configuration_set,
            from_email=email,
            from_name=display,
        )
        return self._save(provider, make_default)

    def _save(self, provider: Provider, make_default: bool) -> Provider:
        self._store.put_provider(provider)
        if make_default:
            self._store.set_default_provider(provider.account_id, provider.provider_id)
        return provider

    def set_default_provider(self, account_id: str, provider_id: str) -> None:
        config = self._store.get_account_config(account_id)
        if config is None or all(p.provider_id != provider_id for p in config.providers):
            raise NotFound(f"No provider {provider_id} on account {account_id}")
        self._store.set_default_provider(account_id, provider_id)

    def list_providers(self, account_id: str) -> tuple[str | None, list[Provider]]:
        config = self._store.get_account_config(account_id)
        if config is None:
            raise NotFound(f"No account {account_id}")
        return config.account.default_provider_id, config.providers
