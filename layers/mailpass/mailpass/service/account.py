"""GET/PATCH /account: the account's own settings (permission `settings`)."""

from __future__ import annotations

from typing import Any

from mailpass.errors import NotFound
from mailpass.ports_account import AccountStore


class AccountService:
    def __init__(self, store: AccountStore) -> None:
        self._store = store

    def get(self, account_id: str) -> dict[str, Any]:
        config = self._store.get_account_config(account_id)
        if config is None:
            raise NotFound(f"No account {account_id}")
        a = config.account
        return {
            "account_id": a.account_id,
            "default_provider_id": a.default_provider_id,
            "fallback_provider_ids": list(a.fallback_provider_ids),
            "restrict_senders_to_verified_domains": a.restrict_senders_to_verified_domains,
        }

    def update(
        self, account_id: str, *, restrict_senders_to_verified_domains: bool
    ) -> dict[str, Any]:
        self._store.update_account_settings(
            account_id, restrict_senders_to_verified_domains=restrict_senders_to_verified_domains
        )
        return self.get(account_id)
