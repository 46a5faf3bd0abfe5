"""Providers, the default and fallbacks (ports.ProviderStore), and webhooks, in memory."""

from __future__ import annotations

from dataclasses import replace

from mailpass.errors import Conflict, NotFound
from mailpass.models import Provider, Webhook
from mailpass.ports import AccountConfig

from tests.fakes.memory import ConfigReading


class InMemoryProviders(ConfigReading):
    def put_provider(self, provider: Provider, *, create: bool = True) -> None:
        if provider.account_id not in self.memory.accounts:
            raise NotFound(f"No account {provider.account_id}")
        mine = self.memory.providers.setdefault(provider.account_id, {})
        if create and provider.provider_id in mine:
            raise Conflict(f"Provider {provider.provider_id} already exists")
        if not create and provider.provider_id not in mine:
            raise NotFound(f"No provider {provider.provider_id}")
        mine[provider.provider_id] = provider

    def update_account_providers(
        self,
        config: AccountConfig,
        *,
        default_provider_id: str | None,
        fallback_provider_ids: list[str],
        delete_provider_id: str | None = None,
        put: Provider | None = None,
    ) -> None:
        account_id = config.account.account_id
        now = self.memory.accounts.get(account_id)
        # The same guard as DynamoDB's: the default and fallbacks are what `config` read.
        if now is None or (now.default_provider_id, now.fallback_provider_ids) != (
            config.account.default_provider_id,
            config.account.fallback_provider_ids,
        ):
            raise Conflict("The account's providers changed meanwhile; try again")
        mine = dict(self.memory.providers.get(account_id, {}))
        if put is not None:
            if put.provider_id in mine:
                raise Conflict(f"Provider {put.provider_id} already exists")
            mine[put.provider_id] = put
        for pid in [default_provider_id, *fallback_provider_ids, delete_provider_id]:
            if pid is not None and pid not in mine:
                raise NotFound("A provider named here does not exist (any more)")
        if delete_provider_id is not None:
            del mine[delete_provider_id]
        self.memory.providers[account_id] = mine  # all checks passed: applied whole
        self.memory.accounts[account_id] = replace(
            now,
            default_provider_id=default_provider_id,
            fallback_provider_ids=tuple(fallback_provider_ids),
        )


class InMemoryWebhooks(ConfigReading):
    def put_webhook(self, webhook: Webhook) -> None:
        if webhook.account_id not in self.memory.accounts:
            raise NotFound(f"No account {webhook.account_id}")
        self.memory.webhooks.setdefault(webhook.account_id, {})[webhook.webhook_id] = webhook

    def delete_webhook(self, account_id: str, webhook_id: str) -> None:
        if self.memory.webhooks.get(account_id, {}).pop(webhook_id, None) is None:
            raise NotFound("No such webhook for this account")
