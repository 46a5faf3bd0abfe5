"""API keys over HTTP (permission `settings`): create, list, revoke.

A key cannot grant what its creator lacks: every permission asked for must be one the calling
key has, and a test key makes test keys only (a live key could hand a message to a real
provider, which the test key cannot). Both are 403 FORBIDDEN, the spec's code for a key that
lacks a permission. The last unrevoked key with `settings` cannot be revoked (409
LAST_SETTINGS_KEY; the store decides it atomically)."""

from __future__ import annotations

from typing import Any

from mailpass.errors import Forbidden, ValidationFailed
from mailpass.ids import hash_api_key, key_display_prefix, key_last4, new_api_key, new_id
from mailpass.models import ApiKey, Permission, Principal, iso, utcnow
from mailpass.ports_account import AccountStore


def checked_permissions(permissions: list[str]) -> frozenset[str]:
    known = {p.value for p in Permission}
    unknown = sorted(set(permissions) - known)
    if unknown or not permissions:
        raise ValidationFailed(f"permissions must be a non-empty subset of {sorted(known)}")
    return frozenset(permissions)


def issue_key(
    store: AccountStore,
    account_id: str,
    permissions: frozenset[str],
    *,
    name: str = "",
    test: bool = False,
    raw: str | None = None,
) -> tuple[ApiKey, str]:
    """Make and store a key; returns it with the key itself (shown once, never stored)."""
    api_key = raw or new_api_key(test=test)
    key = ApiKey(
        key_id=new_id("key"),
        account_id=account_id,
        key_hash=hash_api_key(api_key),
        prefix=key_display_prefix(api_key),
        permissions=permissions,
        revoked=False,
        test=api_key.startswith("mp_test_"),
        created_at=utcnow(),
        name=name,
        last4=key_last4(api_key),
    )
    store.create_api_key(key)
    return key, api_key


def key_view(key: ApiKey) -> dict[str, Any]:
    """A key as lists show it: never the key, its prefix and last four characters only."""
    return {
        "key_id": key.key_id,
        "name": key.name,
        "prefix": key.prefix,
        "last4": key.last4,
        "permissions": sorted(key.permissions),
        "test": key.test,
        "created_at": iso(key.created_at),
        "last_used_at": iso(key.last_used_at) if key.last_used_at else None,
    }


class KeyService:
    def __init__(self, store: AccountStore) -> None:
        self._store = store

    def create(
        self, principal: Principal, *, name: str, permissions: list[str], test: bool
    ) -> dict[str, Any]:
        wanted = checked_permissions(permissions)
        beyond = sorted(wanted - principal.permissions)
        if beyond:
            raise Forbidden(
                f"A key cannot grant permissions its creator lacks: {', '.join(beyond)}"
            )
        if principal.test and not test:
            raise Forbidden("A test key can create test keys only")
        key, api_key = issue_key(self._store, principal.account_id, wanted, name=name, test=test)
        return {**key_view(key), "key": api_key}

    def list(self, account_id: str) -> list[dict[str, Any]]:
        """The keys that work, oldest first."""
        return [key_view(k) for k in self._store.list_api_keys(account_id) if not k.revoked]

    def revoke(self, account_id: str, key_id: str) -> dict[str, Any]:
        self._store.revoke_api_key(account_id, key_id)
        return {"key_id": key_id, "revoked": True}
