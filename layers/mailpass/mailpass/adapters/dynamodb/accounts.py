"""Accounts and their API keys.

pk                  sk            what
APIKEY#<sha256>     APIKEY        API key, looked up by hash on every request
ACCOUNT#<account>   CFG#ACCOUNT   account, with its default provider id, fallbacks and settings
ACCOUNT#<account>   KEY#<key id>  key listing entry (prefix only, no hash use)
"""

from __future__ import annotations

from typing import Any

from mailpass.adapters.dynamodb.base import (
    ConfigReading,
    account_key,
    account_pk,
    cancellation_codes,
)
from mailpass.adapters.dynamodb.marshal import dt, from_item, s, to_item
from mailpass.errors import Conflict, NotFound
from mailpass.models import Account, ApiKey, utcnow


class DynamoAccounts(ConfigReading):
    """Implements ports.AccountStore."""

    def get_api_key(self, key_hash: str) -> ApiKey | None:
        # Strongly consistent, so a revocation takes effect on the very next request.
        out = self._db.get_item(
            TableName=self._table,
            Key={"pk": s(f"APIKEY#{key_hash}"), "sk": s("APIKEY")},
            ConsistentRead=True,
        )
        if "Item" not in out:
            return None
        d = from_item(out["Item"])
        return ApiKey(
            key_id=d["key_id"],
            account_id=d["account_id"],
            key_hash=key_hash,
            prefix=d["prefix"],
            permissions=frozenset(d.get("permissions", [])),
            revoked=bool(d.get("revoked", False)),
            test=bool(d.get("test", False)),
            created_at=dt(d.get("created_at")) or utcnow(),
        )

    def create_account(self, account: Account) -> None:
        try:
            self._put_account(account)
        except self._db.exceptions.ConditionalCheckFailedException:
            raise Conflict(f"Account {account.account_id} already exists") from None

    def _put_account(self, account: Account) -> None:
        self._db.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "pk": account_pk(account.account_id),
                    "sk": "CFG#ACCOUNT",
                    "type": "account",
                    "account_id": account.account_id,
                    "name": account.name,
                    "created_at": account.created_at,
                    "restrict_senders_to_verified_domains": (
                        account.restrict_senders_to_verified_domains
                    ),
                }
            ),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def update_account_settings(
        self, account_id: str, *, restrict_senders_to_verified_domains: bool
    ) -> None:
        try:
            self._db.update_item(
                TableName=self._table,
                Key=account_key(account_id),
                UpdateExpression="SET restrict_senders_to_verified_domains = :r",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":r": {"BOOL": restrict_senders_to_verified_domains}},
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            raise NotFound(f"No account {account_id}") from None

    def create_api_key(self, key: ApiKey) -> None:
        common = {
            "key_id": key.key_id,
            "account_id": key.account_id,
            "prefix": key.prefix,
            "permissions": key.permissions,
            "revoked": key.revoked,
            "test": key.test,
            "created_at": key.created_at,
        }
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self._table,
                            "Key": account_key(key.account_id),
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(
                                {
                                    "pk": f"APIKEY#{key.key_hash}",
                                    "sk": "APIKEY",
                                    "type": "api_key",
                                    **common,
                                }
                            ),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(
                                {
                                    "pk": account_pk(key.account_id),
                                    "sk": f"KEY#{key.key_id}",
                                    "type": "api_key_listing",
                                    "key_hash": key.key_hash,
                                    **common,
                                }
                            ),
                        }
                    },
                ]
            )
        except self._db.exceptions.TransactionCanceledException as exc:
            codes = cancellation_codes(exc)
            if codes and codes[0] == "ConditionalCheckFailed":
                raise NotFound(f"No account {key.account_id}") from None
            raise Conflict("That API key already exists") from None

    def list_api_keys(self, account_id: str) -> list[ApiKey]:
        out = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :key)",
            ExpressionAttributeValues={":pk": s(account_pk(account_id)), ":key": s("KEY#")},
            ConsistentRead=True,
        )
        keys = []
        for raw in out.get("Items", []):
            d = from_item(raw)
            keys.append(
                ApiKey(
                    key_id=d["key_id"],
                    account_id=account_id,
                    key_hash=d.get("key_hash", ""),
                    prefix=d["prefix"],
                    permissions=frozenset(d.get("permissions", [])),
                    revoked=bool(d.get("revoked", False)),
                    test=bool(d.get("test", False)),
                    created_at=dt(d.get("created_at")) or utcnow(),
                )
            )
        return sorted(keys, key=lambda k: k.created_at)

    def revoke_api_key(self, account_id: str, key_id: str) -> None:
        listing = self._db.get_item(
            TableName=self._table,
            Key={"pk": s(account_pk(account_id)), "sk": s(f"KEY#{key_id}")},
            ConsistentRead=True,
        ).get("Item")
        if listing is None:
            raise NotFound(f"No key {key_id} on account {account_id}")
        key_hash = listing["key_hash"]["S"]
        revoke: dict[str, Any] = {
            "UpdateExpression": "SET revoked = :yes, revoked_at = :at",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": {
                ":yes": {"BOOL": True},
                ":at": s(utcnow().isoformat()),
            },
            "TableName": self._table,
        }
        # Both at once: the lookup item is what every request reads (consistently), so the
        # key stops working with the very next request.
        db: Any = self._db
        db.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        **revoke,
                        "Key": {"pk": s(f"APIKEY#{key_hash}"), "sk": s("APIKEY")},
                    }
                },
                {
                    "Update": {
                        **revoke,
                        "Key": {"pk": s(account_pk(account_id)), "sk": s(f"KEY#{key_id}")},
                    }
                },
            ]
        )
