"""The ports of what an account configures: its API keys, providers, webhooks, templates and
sender domains (with the DNS and SES they are checked against). The delivery path's ports are in
ports.py; the paged lists' in ports_listing.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from mailpass.models import (
    Account,
    ApiKey,
    Domain,
    Provider,
    Template,
    Webhook,
    WebhookAttempt,
)
from mailpass.ports import AccountConfig, AccountConfigReader


class AccountStore(AccountConfigReader, Protocol):
    """Accounts and their API keys."""

    def create_account(self, account: Account) -> None: ...
    def update_account_settings(
        self, account_id: str, *, restrict_senders_to_verified_domains: bool
    ) -> None:
        """NotFound when there is no such account."""
        ...

    def get_api_key(self, key_hash: str) -> ApiKey | None: ...
    def create_api_key(self, key: ApiKey) -> None:
        """NotFound when there is no such account. A key with `settings` adds one to the
        account's count of them, in the same write."""
        ...

    def list_api_keys(self, account_id: str) -> list[ApiKey]:
        """Every key, revoked ones too, oldest first, with `last_used_at`."""
        ...

    def revoke_api_key(self, account_id: str, key_id: str) -> None:
        """NotFound when the account has no such key, or it is revoked already;
        LastSettingsKey when it is the account's last unrevoked key with `settings` (decided
        atomically: two concurrent revokes of the last two cannot both succeed)."""
        ...

    def touch_api_key(self, key_hash: str, at: datetime, *, unless_since: datetime) -> bool:
        """Set the key's `last_used_at` to `at` unless it is already `unless_since` or later
        (a conditional write); whether it was written."""
        ...


class ProviderStore(AccountConfigReader, Protocol):
    """An account's providers, its default and its fallback order."""

    def put_provider(self, provider: Provider, *, create: bool = True) -> None: ...
    def update_account_providers(
        self,
        config: AccountConfig,
        *,
        default_provider_id: str | None,
        fallback_provider_ids: list[str],
        delete_provider_id: str | None = None,
        put: Provider | None = None,
    ) -> None:
        """Set the default and the fallback order, optionally adding or deleting a provider, in
        one step; refused (Conflict) when the account changed since `config` was read, NotFound
        when a provider named does not exist."""
        ...


class WebhookStore(AccountConfigReader, Protocol):
    """Webhooks (read with the account) and their delivery log. Updates raise NotFound for a
    webhook that does not exist, unless they say otherwise."""

    def put_webhook(self, webhook: Webhook) -> None: ...
    def delete_webhook(self, account_id: str, webhook_id: str) -> None: ...
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
        """The fields given; a new url or enabled=True also ends the failure streak."""
        ...

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
        """`secret_id` current, the current one previous; Conflict if it is not `expected`."""
        ...

    def record_failure(self, account_id: str, webhook_id: str, at: datetime) -> Webhook | None:
        """One more failure in the streak; the webhook after it (None: no such webhook)."""
        ...

    def clear_failures(self, account_id: str, webhook_id: str) -> None: ...
    def disable_webhook(self, account_id: str, webhook_id: str, reason: str, at: datetime) -> bool:
        """False when it was not enabled (or does not exist)."""
        ...

    def add_attempt(self, attempt: WebhookAttempt, expires_at: int) -> None: ...
    def list_attempts(
        self, account_id: str, webhook_id: str, limit: int, after: str | None
    ) -> tuple[list[WebhookAttempt], str | None]:
        """Newest first, at most `limit` after the position `after`; the next position."""
        ...


class TemplateStore(Protocol):
    """Message templates, in the account's partition (outside the CFG# range the send path
    reads with the account)."""

    def create_template(self, template: Template) -> None:
        """Conflict when the id is taken."""
        ...

    def get_template(self, account_id: str, template_id: str) -> Template | None: ...
    def list_templates(self, account_id: str) -> list[Template]:
        """Oldest first."""
        ...

    def replace_template(self, template: Template) -> None:
        """NotFound when it is gone."""
        ...

    def delete_template(self, account_id: str, template_id: str) -> None:
        """NotFound when it is not there."""
        ...


@dataclass(frozen=True, slots=True)
class DueCheck:
    """An entry of the re-check list: this domain's check is due at `at`."""

    account_id: str
    domain_id: str
    at: datetime


class DomainStore(AccountConfigReader, Protocol):
    """Sender domains (in the account's partition), who holds each name verified, and the
    list of domains due for a DNS re-check. A check's write is guarded by the next_check_at it
    read, so two checks of one domain at once (the schedule, a user's verify) cannot both apply:
    the later is refused (Conflict) and the due list stays one entry per pending domain."""

    def create_domain(self, domain: Domain) -> None:
        """NotFound without the account; Conflict when the account has this name already."""
        ...

    def get_domain(self, account_id: str, domain_id: str) -> Domain | None: ...
    def list_domains(self, account_id: str) -> list[Domain]: ...
    def save_check(self, domain: Domain, *, was_due: datetime | None) -> None:
        """Store a check's outcome (status, records, attempts), if the stored next_check_at is
        still `was_due` (else Conflict), and move the due entry to domain.next_check_at."""
        ...

    def claim_verified(self, domain: Domain, *, was_due: datetime | None) -> bool:
        """As save_check, for a domain now verified, also recording this account as the name's
        one verified holder, in one step; False (nothing written) when another account holds
        it."""
        ...

    def delete_domain(self, domain: Domain) -> int:
        """Remove the domain (and its hold on the name), if its status and next check are
        still as read (else Conflict; NotFound when gone); returns how many accounts still
        have the name (pending or verified)."""
        ...

    def due_domains(self, now: datetime, limit: int) -> list[DueCheck]:
        """The entries due at or before `now`, oldest first."""
        ...

    def drop_due(self, due: DueCheck) -> None:
        """Remove an entry that no longer matches its domain (deleted, or moved meanwhile)."""
        ...


class DomainCounter(Protocol):
    def count_domain_feedback(self, account_id: str, name: str, counter: str) -> bool:
        """Add one to a sender domain's feedback counter; False when the account has no
        such domain (nothing written)."""
        ...


class DnsLookup(Protocol):
    def lookup(self, name: str, rdtype: str) -> list[str]:
        """The record values (TXT strings joined, CNAME/MX targets without the final dot,
        MX as "<preference> <host>"); [] when the name or type does not exist. Raises
        DnsUnavailable when DNS did not answer."""
        ...


@dataclass(frozen=True, slots=True)
class DkimState:
    status: str  # SES's: PENDING | SUCCESS | FAILED | TEMPORARY_FAILURE | NOT_STARTED
    tokens: tuple[str, ...] = ()


class SesIdentities(Protocol):
    """SES domain identities (Easy DKIM), shared by all accounts of the operator's AWS account."""

    def create(self, name: str) -> DkimState:
        """Create the identity (or find it, if it exists) and return its DKIM tokens."""
        ...

    def dkim(self, names: list[str]) -> dict[str, DkimState]: ...
    def delete(self, name: str) -> None: ...
