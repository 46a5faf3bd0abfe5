"""Accounts and API keys (ports.AccountStore), in memory."""

from __future__ import annotations

from dataclasses import replace

from mailpass.errors import Conflict, NotFound
from mailpass.models import Account, ApiKey

from tests.fakes.memory import ConfigReading


class InMemoryAccounts(ConfigReading):
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
        self.memory.keys[key.key_hash] = key

    def list_api_keys(self, account_id: str) -> list[ApiKey]:
        mine = [k for k in self.memory.keys.values() if k.account_id == account_id]
        return sorted(mine, key=lambda k: k.created_at)

    def revoke_api_key(self, account_id: str, key_id: str) -> None:
        for h, k in self.memory.keys.items():
            if k.account_id == account_id and k.key_id == key_id:
                self.memory.keys[h] = replace(k, revoked=True)
                return
        raise NotFound(f"No key {key_id} on account {account_id}")
