"""Providers, the default and fallbacks (ports_account.ProviderStore), and webhooks, in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from mailpass.errors import Conflict, NotFound
from mailpass.models import Provider, Webhook, WebhookAttempt
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

    def _get(self, account_id: str, webhook_id: str) -> Webhook | None:
        return self.memory.webhooks.get(account_id, {}).get(webhook_id)

    def _set(self, hook: Webhook) -> Webhook:
        self.memory.webhooks[hook.account_id][hook.webhook_id] = hook
        return hook

    def update_webhook(
        self,
        account_id: str,
        webhook_id: str,
        *,
        at: datetime,
        url: str | None = None,
        event_types: tuple[str, ...] | None = None,
        enabled: bool | None = None,
    ) -> Webhook:
        hook = self._get(account_id, webhook_id)
        if hook is None:
            raise NotFound("No such webhook for this account")
        hook = replace(
            hook,
            url=hook.url if url is None else url,
            event_types=hook.event_types if event_types is None else event_types,
            updated_at=at,
        )
        if url is not None:
            hook = replace(hook, failures=0, failing_since=None)
        if enabled is True:
            hook = replace(
                hook,
                enabled=True,
                disabled_reason=None,
                disabled_at=None,
                failures=0,
                failing_since=None,
            )
        elif enabled is False:
            hook = replace(
                hook, enabled=False, disabled_reason="disabled by the account", disabled_at=at
            )
        return self._set(hook)

    def rotate_secret(
        self,
        account_id: str,
        webhook_id: str,
        *,
        expected_secret_id: str,
        secret_id: str,
        previous_until: datetime,
        at: datetime,
    ) -> Webhook:
        hook = self._get(account_id, webhook_id)
        if hook is None:
            raise NotFound("No such webhook for this account")
        if hook.secret_id != expected_secret_id:
            raise Conflict("The secret was rotated at the same time")
        return self._set(
            replace(
                hook,
                secret_id=secret_id,
                previous_secret_id=expected_secret_id,
                previous_secret_until=previous_until,
                updated_at=at,
            )
        )

    def record_failure(self, account_id: str, webhook_id: str, at: datetime) -> Webhook | None:
        hook = self._get(account_id, webhook_id)
        if hook is None:
            return None
        since = hook.failing_since or at
        return self._set(replace(hook, failures=hook.failures + 1, failing_since=since))

    def clear_failures(self, account_id: str, webhook_id: str) -> None:
        hook = self._get(account_id, webhook_id)
        if hook is not None and hook.failures > 0:
            self._set(replace(hook, failures=0, failing_since=None))

    def disable_webhook(self, account_id: str, webhook_id: str, reason: str, at: datetime) -> bool:
        hook = self._get(account_id, webhook_id)
        if hook is None or not hook.enabled:
            return False
        self._set(replace(hook, enabled=False, disabled_reason=reason, disabled_at=at))
        return True

    def add_attempt(self, attempt: WebhookAttempt, expires_at: int) -> None:
        log = self.memory.webhook_log.setdefault((attempt.account_id, attempt.webhook_id), {})
        log[attempt.position] = (attempt, expires_at)

    def list_attempts(
        self, account_id: str, webhook_id: str, limit: int, after: str | None
    ) -> tuple[list[WebhookAttempt], str | None]:
        log = self.memory.webhook_log.get((account_id, webhook_id), {})
        positions = sorted((p for p in log if after is None or p < after), reverse=True)
        page = [log[p][0] for p in positions[:limit]]
        return page, (page[-1].position if len(positions) > limit else None)
