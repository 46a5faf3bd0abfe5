"""The suppression list: ACCOUNT#<account> / SUP#<email>, counted on the account item (so a
send looks the list up only for accounts that have any)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mailpass.adapters.dynamodb.base import (
    TableStore,
    account_key,
    account_pk,
    cancellation_codes,
)
from mailpass.adapters.dynamodb.marshal import from_item, s, to_item
from mailpass.adapters.dynamodb.retry import AGAIN, Again, batch_get, retry
from mailpass.errors import NotFound


class DynamoSuppressions(TableStore):
    """Implements ports.SuppressionStore."""

    def add_suppression(
        self, account_id: str, email: str, *, reason: str, at: datetime, message_id: str | None
    ) -> bool:
        key = email.lower()
        return self._transact(
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(
                            {
                                "pk": account_pk(account_id),
                                "sk": f"SUP#{key}",
                                "type": "suppression",
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
