"""Accounts and their API keys.

pk                  sk            what
APIKEY#<sha256>     APIKEY        API key, looked up by hash on every request
ACCOUNT#<account>   CFG#ACCOUNT   account, with its default provider id, fallbacks, settings,
                                  settings_keys (how many unrevoked keys have `settings`) and
                                  live_keys (key hash -> grant of each unrevoked key)
ACCOUNT#<account>   KEY#<key id>  key listing entry (prefix only, no hash use)

`live_keys` lets a request authenticate with the account's config read (service/auth.py): the
consistent Query that reads the config also says whether the key is live and what it may do,
so a warm /send does not read the APIKEY item at all. Create and revoke change the grant in the
transaction that writes the key's own items, so a revocation still stops the very next request.
Keys made before the map existed are not in it; for them the APIKEY item answers, as before. The
map bounds an account's live keys (MAX_LIVE_KEYS): it lives on one item, which is read on every
request and may not pass 400 KB.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from mailpass.adapters.dynamodb.base import (
    ConfigReading,
    account_key,
    account_pk,
    cancellation_codes,
)
from mailpass.adapters.dynamodb.marshal import dt, from_item, s, to_attr, to_item
from mailpass.adapters.dynamodb.retry import AGAIN, Again, batch_get, retry
from mailpass.errors import Conflict, LastSettingsKey, NotFound, TooManyKeys
from mailpass.models import MAX_LIVE_KEYS, Account, ApiKey, Permission, utcnow


class DynamoAccounts(ConfigReading):
    """Implements ports_account.AccountStore."""

    def get_api_key(self, key_hash: str) -> ApiKey | None:
        # Strongly consistent, so a revocation takes effect on the very next request.
        out = self._db.get_item(
            TableName=self._table,
            Key={"pk": s(f"APIKEY#{key_hash}"), "sk": s("APIKEY")},
            ConsistentRead=True,
        )
        if "Item" not in out:
            return None
        return _key_from(from_item(out["Item"]), key_hash)

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
                    # Unrevoked keys with `settings`: the last one cannot be revoked.
                    "settings_keys": 0,
                    "live_keys": {},
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
            "last4": key.last4 or None,
            "name": key.name or None,
            "permissions": key.permissions,
            "revoked": key.revoked,
            "test": key.test,
            "created_at": key.created_at,
        }
        live = not key.revoked
        counts = _SETTINGS in key.permissions and live
        self._ensure_account_fields(key.account_id)
        # The key's grant (and, with `settings`, the account's count of such keys) moves with
        # the key, atomically.
        expression = "SET live_keys.#h = :grant" if live else ""
        values: dict[str, Any] = {":cap": {"N": str(MAX_LIVE_KEYS)}}
        if live:
            values[":grant"] = to_attr(_grant_attr(key))
        if counts:
            expression += " ADD settings_keys :one"
            values[":one"] = {"N": "1"}
        account: dict[str, Any] = {
            "TableName": self._table,
            "Key": account_key(key.account_id),
            "ConditionExpression": "attribute_exists(pk) AND size(live_keys) < :cap",
            "ExpressionAttributeValues": values,
        }
        if expression:
            account = {
                "Update": {
                    **account,
                    "UpdateExpression": expression.strip(),
                    "ExpressionAttributeNames": {"#h": key.key_hash},
                }
            }
        else:
            account = {"ConditionCheck": account}
        try:
            self._t.raw.transact_write_items(
                TransactItems=[
                    account,
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
                if self._account_exists(key.account_id):
                    raise TooManyKeys() from None
                raise NotFound(f"No account {key.account_id}") from None
            raise Conflict("That API key already exists") from None

    def _account_exists(self, account_id: str) -> bool:
        out = self._db.get_item(
            TableName=self._table,
            Key=account_key(account_id),
            ConsistentRead=True,
            ProjectionExpression="pk",
        )
        return "Item" in out

    def _ensure_account_fields(self, account_id: str) -> None:
        """Accounts made before `settings_keys` or `live_keys` existed get them once. Every
        write that moves either calls this first, so they exist before any write moves them.
        The count comes from the listing: a listing read here that misses a newer key is
        corrected by that key's own write, and a second backfill loses to the first
        (attribute_not_exists). The map starts empty: the keys made before it are answered
        by their APIKEY items (module docstring), and copying them in here could race a
        revocation and bring a revoked key back."""
        out = self._db.get_item(
            TableName=self._table,
            Key=account_key(account_id),
            ConsistentRead=True,
            ProjectionExpression="pk, settings_keys, live_keys",
        )
        item = out.get("Item")
        if item is None:
            return
        if "live_keys" not in item:
            self._backfill(account_id, "live_keys", {"M": {}})
        if "settings_keys" not in item:
            active = sum(
                1
                for k in self.list_api_keys(account_id)
                if _SETTINGS in k.permissions and not k.revoked
            )
            self._backfill(account_id, "settings_keys", {"N": str(active)})

    def _backfill(self, account_id: str, name: str, value: dict[str, Any]) -> None:
        """Set the account item's `name` unless it has one (then another backfill won)."""
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.update_item(
                TableName=self._table,
                Key=account_key(account_id),
                UpdateExpression="SET #f = :v",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(#f)",
                ExpressionAttributeNames={"#f": name},
                ExpressionAttributeValues={":v": value},
            )

    def list_api_keys(self, account_id: str) -> list[ApiKey]:
        listing: list[dict[str, Any]] = []
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :key)",
            "ExpressionAttributeValues": {":pk": s(account_pk(account_id)), ":key": s("KEY#")},
            "ConsistentRead": True,
        }
        while True:
            out = self._t.raw.query(**query)
            listing += [from_item(raw) for raw in out.get("Items", [])]
            if "LastEvaluatedKey" not in out:
                break
            query["ExclusiveStartKey"] = out["LastEvaluatedKey"]
        # last_used_at lives on the lookup item only (one write an hour, not two): read it back
        # there. A settings page, so the extra BatchGetItem is not on any send path.
        hashes = [d["key_hash"] for d in listing if d.get("key_hash")]
        used: dict[str, Any] = {}
        for raw in batch_get(
            self._t.raw,
            self._table,
            [{"pk": s(f"APIKEY#{h}"), "sk": s("APIKEY")} for h in hashes],
            consistent=True,
            sleep=self._t.sleep,
        ):
            d = from_item(raw)
            used[d["pk"].removeprefix("APIKEY#")] = d.get("last_used_at")
        keys = [
            _key_from({**d, "last_used_at": used.get(d.get("key_hash", ""))}, d.get("key_hash", ""))
            for d in listing
        ]
        return sorted(keys, key=lambda k: k.created_at)

    def revoke_api_key(self, account_id: str, key_id: str) -> None:
        listing = self._db.get_item(
            TableName=self._table,
            Key={"pk": s(account_pk(account_id)), "sk": s(f"KEY#{key_id}")},
            ConsistentRead=True,
        ).get("Item")
        if listing is None or listing.get("revoked", {}).get("BOOL", False):
            raise NotFound(f"No key {key_id} on account {account_id}")
        d = from_item(listing)
        key_hash = d["key_hash"]
        counts = _SETTINGS in d.get("permissions", set())
        self._ensure_account_fields(account_id)
        revoke: dict[str, Any] = {
            "UpdateExpression": "SET revoked = :yes, revoked_at = :at",
            "ConditionExpression": "attribute_exists(pk) AND revoked = :no",
            "ExpressionAttributeValues": {
                ":yes": {"BOOL": True},
                ":no": {"BOOL": False},
                ":at": s(utcnow().isoformat()),
            },
            "TableName": self._table,
        }
        # All at once: the account item's grant and the lookup item are what requests read
        # (consistently), so the key stops working with the very next request; and the
        # account's count of settings keys decides, in the same transaction, whether this one
        # may go. Two revokes of the last two race on that one item: DynamoDB serializes them,
        # so one of them sees 1.
        account: dict[str, Any] = {
            "TableName": self._table,
            "Key": account_key(account_id),
            "UpdateExpression": "REMOVE live_keys.#h",
            "ExpressionAttributeNames": {"#h": key_hash},
        }
        if counts:
            account["UpdateExpression"] += " ADD settings_keys :minus"
            account["ConditionExpression"] = "settings_keys > :one"
            account["ExpressionAttributeValues"] = {":minus": {"N": "-1"}, ":one": {"N": "1"}}
        items: list[Any] = [
            {"Update": {**revoke, "Key": {"pk": s(f"APIKEY#{key_hash}"), "sk": s("APIKEY")}}},
            {
                "Update": {
                    **revoke,
                    "Key": {"pk": s(account_pk(account_id)), "sk": s(f"KEY#{key_id}")},
                }
            },
            {"Update": account},
        ]

        def attempt() -> Again | None:
            try:
                self._t.raw.transact_write_items(TransactItems=items)
            except self._db.exceptions.TransactionCanceledException as exc:
                codes = cancellation_codes(exc)
                if "ConditionalCheckFailed" not in codes:
                    return AGAIN  # cancelled by a concurrent transaction: try again
                if codes[0] == "ConditionalCheckFailed" or codes[1] == "ConditionalCheckFailed":
                    raise NotFound(f"No key {key_id} on account {account_id}") from None
                raise LastSettingsKey() from None
            return None

        retry(attempt, what="revoke an API key", sleep=self._t.sleep)

    def touch_api_key(self, key_hash: str, at: datetime, *, unless_since: datetime) -> bool:
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"pk": s(f"APIKEY#{key_hash}"), "sk": s("APIKEY")},
                UpdateExpression="SET last_used_at = :at",
                # ISO 8601 in UTC sorts as time does, so `<` on the strings is `<` on times.
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(last_used_at) OR last_used_at < :since)",
                ExpressionAttributeValues={
                    ":at": s(at.isoformat()),
                    ":since": s(unless_since.isoformat()),
                },
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True


_SETTINGS = Permission.SETTINGS.value


def _grant_attr(key: ApiKey) -> dict[str, Any]:
    return {"key_id": key.key_id, "permissions": key.permissions, "test": key.test}


def _key_from(d: dict[str, Any], key_hash: str) -> ApiKey:
    return ApiKey(
        key_id=d["key_id"],
        account_id=d["account_id"],
        key_hash=key_hash,
        prefix=d["prefix"],
        permissions=frozenset(d.get("permissions", [])),
        revoked=bool(d.get("revoked", False)),
        test=bool(d.get("test", False)),
        created_at=dt(d.get("created_at")) or utcnow(),
        name=d.get("name") or "",
        last4=d.get("last4") or "",
        last_used_at=dt(d.get("last_used_at")),
    )
