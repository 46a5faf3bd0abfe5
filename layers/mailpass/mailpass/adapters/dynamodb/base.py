"""What the per-aggregate stores share: the one table and client, the key layout, and the
account configuration read (account, providers and webhooks live in one partition)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mailpass.adapters.dynamodb.marshal import dt, from_item, s
from mailpass.models import (
    DOMAIN_COUNTERS,
    Account,
    DnsRecord,
    Domain,
    DomainStatus,
    KeyGrant,
    Provider,
    ProviderKind,
    SmtpSecurity,
    Webhook,
    utcnow,
)
from mailpass.ports import AccountConfig, Outcome

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class Table:
    """One DynamoDB table and the client that reaches it, shared by every store class."""

    client: DynamoDBClient
    name: str
    # Between retries (retry.py); a test passes one that records instead of sleeping.
    sleep: Callable[[float], None] = field(default=time.sleep)

    @property
    def raw(self) -> Any:
        """The client for requests built as plain dicts (batch and transaction shapes)."""
        return self.client


class TableStore:
    """Base of the store classes: each owns some record types of the shared table."""

    def __init__(self, table: Table) -> None:
        self._t = table
        self._db = table.client
        self._table = table.name


def account_pk(account_id: str) -> str:
    return f"ACCOUNT#{account_id}"


def message_pk(account_id: str, message_id: str) -> str:
    return f"MSG#{account_id}#{message_id}"


def account_key(account_id: str) -> dict[str, Any]:
    return {"pk": s(account_pk(account_id)), "sk": s("CFG#ACCOUNT")}


def cancellation_codes(exc: Any) -> list[str | None]:
    """The per-item reasons of a cancelled transaction, in TransactItems order."""
    return [r.get("Code") for r in exc.response.get("CancellationReasons", [])]


def provider_from(d: dict[str, Any]) -> Provider:
    return Provider(
        provider_id=d["provider_id"],
        account_id=d["account_id"],
        kind=ProviderKind(d["kind"]),
        name=d.get("name", ""),
        from_email=d.get("from_email"),
        from_name=d.get("from_name"),
        host=d.get("host"),
        port=d.get("port"),
        security=SmtpSecurity(d.get("security", SmtpSecurity.STARTTLS.value)),
        username=d.get("username"),
        secret_id=d.get("secret_id"),
        region=d.get("region"),
        configuration_set=d.get("configuration_set"),
        hourly_limit=d.get("hourly_limit"),
        daily_limit=d.get("daily_limit"),
        track_opens=bool(d.get("track_opens", True)),
        track_clicks=bool(d.get("track_clicks", True)),
        max_message_bytes=d.get("max_message_bytes"),
        created_at=dt(d.get("created_at")) or utcnow(),
        updated_at=dt(d.get("updated_at")),
    )


def domain_from(d: dict[str, Any]) -> Domain:
    """A CFG#DOMAIN# item (adapters/dynamodb/domains.py writes it)."""
    return Domain(
        domain_id=d["domain_id"],
        account_id=d["account_id"],
        name=d["name"],
        token=d["token"],
        status=DomainStatus(d.get("status", DomainStatus.PENDING.value)),
        records=tuple(DnsRecord(**r) for r in d.get("records") or ()),
        dkim_tokens=tuple(d.get("dkim_tokens") or ()),
        created_at=dt(d.get("created_at")) or utcnow(),
        verified_at=dt(d.get("verified_at")),
        last_checked_at=dt(d.get("last_checked_at")),
        next_check_at=dt(d.get("next_check_at")),
        attempts=int(d.get("attempts") or 0),
        failure_reason=d.get("failure_reason"),
        counters={k: int(d[f"fb_{k}"]) for k in DOMAIN_COUNTERS if d.get(f"fb_{k}")},
    )


def webhook_from(d: dict[str, Any], account_id: str) -> Webhook:
    """A CFG#WEBHOOK# item (adapters/dynamodb/webhooks.py writes it)."""
    return Webhook(
        webhook_id=d["webhook_id"],
        account_id=account_id,
        url=d["url"],
        event_types=tuple(d.get("event_types") or ()),
        secret_id=d["secret_id"],
        created_at=dt(d.get("created_at")) or utcnow(),
        enabled=d.get("enabled", True) is not False,
        disabled_reason=d.get("disabled_reason"),
        disabled_at=dt(d.get("disabled_at")),
        failures=int(d.get("failures") or 0),
        failing_since=dt(d.get("failing_since")),
        previous_secret_id=d.get("previous_secret_id"),
        previous_secret_until=dt(d.get("previous_secret_until")),
        updated_at=dt(d.get("updated_at")),
    )


def grants_from(live_keys: dict[str, Any] | None) -> dict[str, KeyGrant]:
    """The account item's `live_keys` (accounts.py writes it), read."""
    return {
        key_hash: KeyGrant(
            key_id=g["key_id"],
            permissions=frozenset(g.get("permissions") or ()),
            test=bool(g.get("test", False)),
        )
        for key_hash, g in (live_keys or {}).items()
    }


def read_account_config(table: Table, account_id: str) -> AccountConfig | None:
    """One consistent Query reads the account (with its live API keys), its providers, webhooks
    and sender domains."""
    out = table.client.query(
        TableName=table.name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :cfg)",
        ExpressionAttributeValues={":pk": s(account_pk(account_id)), ":cfg": s("CFG#")},
        ConsistentRead=True,
    )
    account: Account | None = None
    keys: dict[str, KeyGrant] = {}
    providers: list[Provider] = []
    webhooks: list[Webhook] = []
    domains: list[Domain] = []
    for raw in out.get("Items", []):
        d = from_item(raw)
        if d["sk"].startswith("CFG#DOMAIN#"):
            domains.append(domain_from(d))
        elif d["sk"].startswith("CFG#WEBHOOK#"):
            webhooks.append(webhook_from(d, account_id))
        elif d["sk"] == "CFG#ACCOUNT":
            account = Account(
                account_id=account_id,
                name=d.get("name", ""),
                default_provider_id=d.get("default_provider_id"),
                created_at=dt(d.get("created_at")) or utcnow(),
                fallback_provider_ids=tuple(d.get("fallback_provider_ids") or ()),
                suppressions=int(d.get("suppressed_count") or 0),
                restrict_senders_to_verified_domains=bool(
                    d.get("restrict_senders_to_verified_domains", False)
                ),
            )
            keys = grants_from(d.get("live_keys"))
        else:
            providers.append(provider_from(d))
    if account is None:
        return None
    return AccountConfig(
        account,
        sorted(providers, key=lambda p: p.created_at),
        tuple(sorted(webhooks, key=lambda w: w.created_at)),
        tuple(sorted(domains, key=lambda x: x.created_at)),
        keys,
    )


class ConfigReading(TableStore):
    """get_account_config, for the stores whose port includes the read."""

    def get_account_config(self, account_id: str) -> AccountConfig | None:
        return read_account_config(self._t, account_id)


def result_outcome(account_id: str, message_id: str, d: dict[str, Any]) -> Outcome | None:
    """A RESULT item (a queued message's final state), read; None while it is the `queued` one
    written with the message (log_keys.queued_result): no final state yet."""
    if d["status"] == "queued":
        return None
    return Outcome(
        account_id,
        message_id,
        d["status"],
        dt(d.get("at")) or utcnow(),
        error_message=d.get("error_message"),
        note=d.get("note"),
        provider_message_id=d.get("provider_message_id"),
        provider_id=d.get("provider_id"),
        provider_kind=d.get("provider_kind"),
    )
