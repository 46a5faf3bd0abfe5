"""Accounts and API keys (ports_account.AccountStore), in memory."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from mailpass.errors import Conflict, LastSettingsKey, NotFound, TooManyKeys
from mailpass.models import MAX_LIVE_KEYS, Account, ApiKey, Permission

from tests.fakes.memory import ConfigReading


class InMemoryAccounts(ConfigReading):
    # The check and the write of a revoke are one step, as DynamoDB's transaction makes them.
    _lock = threading.Lock()

    def create_account(self, account: Account) -> None:
        if account.account_id in self.memory.accounts:
            raise Conflict(f"Account {account.account_id} already exists")
        self.memory.accounts[account.account_id] = account

    def update_account_settings(
        self, account_id: str, *, restrict_senders_to_verified_domains: bool
    ) -> None:
        account = self.memory.accounts.get(account_id)
        if account is None:
            raise NotFound(f"No account {account_id}")
        self.memory.accounts[account_id] = replace(
            account, restrict_senders_to_verified_domains=restrict_senders_to_verified_domains
        )

    def get_api_key(self, key_hash: str) -> ApiKey | None:
        return self.memory.keys.get(key_hash)

    def create_api_key(self, key: ApiKey) -> None:
        if key.account_id not in self.memory.accounts:
            raise NotFound(f"No account {key.account_id}")
        if key.key_hash in self.memory.keys:
            raise Conflict("That API key already exists")
        live = [k for k in self.memory.keys.values() if k.account_id == key.account_id]
        if sum(not k.revoked for k in live) >= MAX_LIVE_KEYS:
            raise TooManyKeys()
        self.memory.keys[key.key_hash] = key

    def list_api_keys(self, account_id: str) -> list[ApiKey]:
        mine = [k for k in self.memory.keys.values() if k.account_id == account_id]
        return sorted(mine, key=lambda k: k.created_at)

    def revoke_api_key(self, account_id: str, key_id: str) -> None:
        with self._lock:
            found = [
                (h, k)
                for h, k in self.memory.keys.items()
                if k.account_id == account_id and k.key_id == key_id and not k.revoked
            ]
            if not found:
                raise NotFound(f"No key {key_id} on account {account_id}")
            ((h, k),) = found
            settings = Permission.SETTINGS.value
            if settings in k.permissions:
                left = [
                    o
                    for o in self.memory.keys.values()
                    if o.account_id == account_id and not o.revoked and settings in o.permissions
                ]
                if len(left) <= 1:
                    raise LastSettingsKey()
            self.memory.keys[h] = replace(k, revoked=True)

    def touch_api_key(self, key_hash: str, at: datetime, *, unless_since: datetime) -> bool:
        with self._lock:
            k = self.memory.keys.get(key_hash)
            if k is None or (k.last_used_at is not None and k.last_used_at >= unless_since):
                return False
            self.memory.keys[key_hash] = replace(k, last_used_at=at)
            return True
