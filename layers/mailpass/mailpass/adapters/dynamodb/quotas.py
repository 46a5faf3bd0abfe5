"""Send-limit counters: QUOTA#<provider> / H#<yyyymmddhh> | D#<yyyymmdd>, one per window."""

from __future__ import annotations

from typing import Any

from mailpass.adapters.dynamodb.base import TableStore
from mailpass.adapters.dynamodb.marshal import Item, s
from mailpass.adapters.dynamodb.retry import AGAIN, Again, retry
from mailpass.ports import Reservation, Window


class DynamoQuotas(TableStore):
    """Implements ports.QuotaStore."""

    def _quota_key(self, provider_id: str, window: Window) -> dict[str, Any]:
        return {"pk": s(f"QUOTA#{provider_id}"), "sk": s(window.key)}

    def _quota_update(self, provider_id: str, w: Window, count: int) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Key": self._quota_key(provider_id, w),
            "UpdateExpression": "ADD n :c SET expires_at = :ttl",
            "ConditionExpression": "attribute_not_exists(n) OR n <= :max",
            "ExpressionAttributeValues": {
                ":c": {"N": str(count)},
                ":max": {"N": str(w.limit - count)},
                # Kept a day past its window, for whoever looks into a 429 afterwards.
                ":ttl": {"N": str(int(w.resets_at.timestamp()) + 86400)},
            },
        }

    def _used(self, provider_id: str, w: Window, item: Item | None = None) -> int:
        if item is None:
            out = self._db.get_item(
                TableName=self._table, Key=self._quota_key(provider_id, w), ConsistentRead=True
            )
            item = out.get("Item")
        return int(item["n"]["N"]) if item and "n" in item else 0

    def reserve(self, provider_id: str, windows: list[Window], count: int) -> Reservation:
        full = next((w for w in windows if count > w.limit), None)
        if full is not None:  # more than the window could ever hold
            return Reservation(0, tuple(windows), full, self._used(provider_id, full))
        if len(windows) == 1:
            (w,) = windows
            try:
                out = self._t.raw.update_item(
                    **self._quota_update(provider_id, w, count),
                    ReturnValues="UPDATED_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except self._db.exceptions.ConditionalCheckFailedException as exc:
                item: Any = dict(exc.response).get("Item")
                return Reservation(0, (w,), w, self._used(provider_id, w, item))
            used = int(out["Attributes"]["n"]["N"])
            return Reservation(count, (w,), remaining=w.limit - used)
        request = [
            {
                "Update": {
                    **self._quota_update(provider_id, w, count),
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
            for w in windows
        ]

        def attempt() -> Reservation | Again:
            try:
                self._t.raw.transact_write_items(TransactItems=request)
                return Reservation(count, tuple(windows))
            except self._db.exceptions.TransactionCanceledException as exc:
                reasons = exc.response.get("CancellationReasons", [])
                for w, why in zip(windows, reasons, strict=False):
                    if why.get("Code") == "ConditionalCheckFailed":
                        item = dict(why.get("Item") or {}) or None
                        return Reservation(0, tuple(windows), w, self._used(provider_id, w, item))
                # Another taker's transaction touched the same counters: try again shortly.
                return AGAIN

        return retry(
            attempt, what="send limit counters", attempts=8, base=0.005, sleep=self._t.sleep
        )

    def peek(self, provider_id: str, windows: list[Window]) -> Reservation:
        for w in windows:
            used = self._used(provider_id, w)
            if used + 1 > w.limit:
                return Reservation(0, tuple(windows), w, used)
        return Reservation(1, tuple(windows))

    def used(self, provider_id: str, windows: list[Window]) -> list[int]:
        return [self._used(provider_id, w) for w in windows]

    def refund(self, provider_id: str, windows: list[Window], count: int) -> None:
        for w in windows:
            self._db.update_item(
                TableName=self._table,
                Key=self._quota_key(provider_id, w),
                UpdateExpression="ADD n :c",
                ExpressionAttributeValues={":c": {"N": str(-count)}},
            )
