"""Providers, and the account's default and fallback order.

pk                  sk                  what
ACCOUNT#<account>   CFG#PROVIDER#<id>   provider (one Query reads account + providers)
ACCOUNT#<account>   CFG#ACCOUNT         default_provider_id, fallback_provider_ids
"""

from __future__ import annotations

from typing import Any

from mailpass.adapters.dynamodb.base import ConfigReading, account_pk, cancellation_codes
from mailpass.adapters.dynamodb.marshal import s, to_attr, to_item
from mailpass.errors import Conflict, NotFound
from mailpass.models import Provider
from mailpass.ports import AccountConfig


def _provider_values(provider: Provider) -> dict[str, Any]:
    return {
        "pk": account_pk(provider.account_id),
        "sk": f"CFG#PROVIDER#{provider.provider_id}",
        "type": "provider",
        "provider_id": provider.provider_id,
        "account_id": provider.account_id,
        "kind": provider.kind.value,
        "name": provider.name,
        "from_email": provider.from_email,
        "from_name": provider.from_name,
        "host": provider.host,
        "port": provider.port,
        "security": provider.security.value,
        "username": provider.username,
        "secret_id": provider.secret_id,
        "region": provider.region,
        "configuration_set": provider.configuration_set,
        "hourly_limit": provider.hourly_limit,
        "daily_limit": provider.daily_limit,
        "track_opens": provider.track_opens,
        "track_clicks": provider.track_clicks,
        "max_message_bytes": provider.max_message_bytes,
        "created_at": provider.created_at,
        "updated_at": provider.updated_at,
    }


class DynamoProviders(ConfigReading):
    """Implements ports_account.ProviderStore."""

    def put_provider(self, provider: Provider, *, create: bool = True) -> None:
        values = _provider_values(provider)
        pk = s(account_pk(provider.account_id))
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self._table,
                            "Key": {"pk": pk, "sk": s("CFG#ACCOUNT")},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(values),
                            "ConditionExpression": "attribute_not_exists(pk)"
                            if create
                            else "attribute_exists(pk)",
                        }
                    },
                ]
            )
        except self._db.exceptions.TransactionCanceledException as exc:
            codes = cancellation_codes(exc)
            if codes and codes[0] == "ConditionalCheckFailed":
                raise NotFound(f"No account {provider.account_id}") from None
            if create:
                raise Conflict(f"Provider {provider.provider_id} already exists") from None
            raise NotFound(f"No provider {provider.provider_id}") from None

    def _account_guard(self, config: AccountConfig) -> tuple[str, dict[str, Any]]:
        """A condition that the account's default and fallbacks are what `config` read, so a
        change computed from it is never applied over someone else's."""
        a = config.account
        values: dict[str, Any] = {}
        parts = ["attribute_exists(pk)"]  # an update must not create a half account
        if a.default_provider_id is None:
            parts.append("attribute_not_exists(default_provider_id)")
        else:
            parts.append("default_provider_id = :was_default")
            values[":was_default"] = s(a.default_provider_id)
        if a.fallback_provider_ids:
            parts.append("fallback_provider_ids = :was_fallbacks")
            values[":was_fallbacks"] = to_attr(list(a.fallback_provider_ids))
        else:
            parts.append(
                "(attribute_not_exists(fallback_provider_ids)"
                " OR size(fallback_provider_ids) = :zero)"
            )
            values[":zero"] = {"N": "0"}
        return " AND ".join(parts), values

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
        one step; refused (Conflict) when the account changed since `config` was read."""
        account_id = config.account.account_id
        pk = s(account_pk(account_id))
        guard, values = self._account_guard(config)
        sets = ["fallback_provider_ids = :fallbacks"]
        values[":fallbacks"] = to_attr(fallback_provider_ids)
        removes = []
        if default_provider_id is None:
            removes.append("default_provider_id")
        else:
            sets.append("default_provider_id = :default")
            values[":default"] = s(default_provider_id)
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        items: list[Any] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"pk": pk, "sk": s("CFG#ACCOUNT")},
                    "UpdateExpression": update,
                    "ConditionExpression": guard,
                    "ExpressionAttributeValues": values,
                }
            }
        ]
        if put is not None:
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(_provider_values(put)),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        named = [p for p in [default_provider_id, *fallback_provider_ids] if p is not None]
        for pid in dict.fromkeys(p for p in named if put is None or p != put.provider_id):
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": {"pk": pk, "sk": s(f"CFG#PROVIDER#{pid}")},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            )
        if delete_provider_id is not None:
            items.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": {"pk": pk, "sk": s(f"CFG#PROVIDER#{delete_provider_id}")},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            )
        try:
            self._db.transact_write_items(TransactItems=items)
        except self._db.exceptions.TransactionCanceledException as exc:
            codes = cancellation_codes(exc)
            if codes and codes[0] == "ConditionalCheckFailed":
                raise Conflict("The account's providers changed meanwhile; try again") from None
            if put is not None and len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise Conflict(f"Provider {put.provider_id} already exists") from None
            raise NotFound("A provider named here does not exist (any more)") from None
