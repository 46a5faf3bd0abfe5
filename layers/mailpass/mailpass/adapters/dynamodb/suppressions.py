"""The suppression list: ACCOUNT#<account> / SUP#<email>, counted on the account item (so a
send looks the list up only for accounts that have any). Each entry is also in the log indexes
under SUP#<account> (log_keys.suppression_index), so the listing pages oldest first, whole or by
reason kind, one Query a page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mailpass.adapters.dynamodb.base import (
    TableStore,
    account_key,
    account_pk,
    cancellation_codes,
)
from mailpass.adapters.dynamodb.log_keys import suppression_index
from mailpass.adapters.dynamodb.marshal import from_item, s, to_item
from mailpass.adapters.dynamodb.retry import AGAIN, Again, batch_get, retry
from mailpass.errors import NotFound
from mailpass.models import suppression_kind
from mailpass.ports_listing import Position, SuppressionPage

_SHOWN = ("email", "reason", "kind", "message_id", "created_at")


class DynamoSuppressions(TableStore):
    """Implements ports.SuppressionStore."""

    def add_suppression(
        self,
        account_id: str,
        email: str,
        *,
        reason: str,
        at: datetime,
        message_id: str | None,
        kind: str | None = None,
    ) -> bool:
        key = email.lower()
        kind = kind or suppression_kind(reason)
        return self._transact(
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(
                            {
                                "pk": account_pk(account_id),
                                "sk": f"SUP#{key}",
                                **suppression_index(account_id, key, kind, at),
                                "type": "suppression",
                                "kind": kind,
                                "email": key,
                                "reason": reason[:1000],
                                "created_at": at,
                                "message_id": message_id,
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": account_key(account_id),
                        "UpdateExpression": "ADD suppressed_count :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )  # False: already suppressed

    def remove_suppression(self, account_id: str, email: str) -> None:
        key = email.lower()
        removed = self._transact(
            [
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": {"pk": s(account_pk(account_id)), "sk": s(f"SUP#{key}")},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": account_key(account_id),
                        "UpdateExpression": "ADD suppressed_count :minus",
                        "ExpressionAttributeValues": {":minus": {"N": "-1"}},
                    }
                },
            ]
        )
        if not removed:
            raise NotFound(f"{email} is not on the suppression list")

    def _transact(self, items: list[Any]) -> bool:
        """The list item and the account's count change together. False when the list item's
        condition failed; a conflict with another write to the account item is retried."""

        def attempt() -> bool | Again:
            try:
                self._t.raw.transact_write_items(TransactItems=items)
            except self._db.exceptions.TransactionCanceledException as exc:
                codes = cancellation_codes(exc)
                if codes and codes[0] == "ConditionalCheckFailed":
                    return False
                if "TransactionConflict" in codes:
                    return AGAIN
                raise
            return True

        return retry(attempt, what="suppression list update", sleep=self._t.sleep)

    def list_suppressions(self, account_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sup)",
            "ExpressionAttributeValues": {":pk": s(account_pk(account_id)), ":sup": s("SUP#")},
        }
        while True:
            out = self._db.query(**kwargs)
            items += [from_item(i) for i in out.get("Items", [])]
            if "LastEvaluatedKey" not in out:
                return items
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def suppression(self, account_id: str, email: str) -> dict[str, Any] | None:
        out = self._db.get_item(
            TableName=self._table,
            Key={"pk": s(account_pk(account_id)), "sk": s(f"SUP#{email.lower()}")},
            ConsistentRead=True,
        )
        return _entry(from_item(out["Item"])) if "Item" in out else None

    def suppression_page(
        self, account_id: str, *, reason: str | None, limit: int, start: Position | None
    ) -> SuppressionPage:
        if reason is None:
            index, key = "log", {":key": s(f"SUP#{account_id}")}
            condition = "log_pk = :key"
        else:
            index, key = "log_status", {":key": s(f"SUP#{account_id}#{reason}")}
            condition = "st_pk = :key"
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": key,
            "Limit": limit,
        }
        if start:
            kwargs["ExclusiveStartKey"] = {k: s(v) for k, v in start.items()}
        out = self._db.query(**kwargs)
        last = out.get("LastEvaluatedKey")
        # The indexes project keys only (message_log.py says why): the entries in one read.
        keys = [{"pk": i["pk"], "sk": i["sk"]} for i in out.get("Items", [])]
        found = batch_get(self._t.raw, self._table, keys, sleep=self._t.sleep) if keys else []
        by_key = {(raw["pk"]["S"], raw["sk"]["S"]): raw for raw in found}
        return SuppressionPage(
            [
                _entry(from_item(by_key[(k["pk"]["S"], k["sk"]["S"])]))
                for k in keys
                if (k["pk"]["S"], k["sk"]["S"]) in by_key  # removed between the two reads
            ],
            {k: v["S"] for k, v in last.items()} if last else None,
        )

    def suppressed(self, account_id: str, emails: list[str]) -> dict[str, str]:
        keys = [
            {"pk": s(account_pk(account_id)), "sk": s(f"SUP#{e.lower()}")}
            for e in dict.fromkeys(e.lower() for e in emails)
        ]
        found: dict[str, str] = {}
        for raw in batch_get(self._t.raw, self._table, keys, sleep=self._t.sleep):
            d = from_item(raw)
            found[d["email"]] = d.get("reason", "suppressed")
        return found


def _entry(d: dict[str, Any]) -> dict[str, Any]:
    d.setdefault("kind", suppression_kind(d.get("reason")))
    return {k: d[k] for k in _SHOWN if k in d}
