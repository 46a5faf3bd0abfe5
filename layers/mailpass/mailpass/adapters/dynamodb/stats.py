"""Usage counters (mailpass.usage): hour buckets, written by ADDs folded into the writes that
record the events, read back by one Query.

pk                 sk                         what
STATS#<account>    H#<yyyy-mm-ddTHH>#<shard>  one UTC hour's counts: `sent`, ... and
                                              `<domain>#sent`, ... for each sender domain

The write paths take `updates(...)` into their own TransactWriteItems (the status change that
is exactly-once and the ADD commit together), or `add` after a conditional write that already
decided the event is new (the tracking path)."""

from __future__ import annotations

import time
from typing import Any

from mailpass.adapters.dynamodb.base import TableStore
from mailpass.adapters.dynamodb.marshal import s
from mailpass.usage import Tally

# Buckets outlive the longest range anyone asks for (90 days) with room to spare.
TTL_SECONDS = 400 * 86400


def stats_pk(account_id: str) -> str:
    return f"STATS#{account_id}"


def updates(table: str, tally: Tally | None, *, now: int) -> list[dict[str, Any]]:
    """One Update per hour bucket of `tally`, as TransactWriteItems entries."""
    if tally is None:
        return []
    out: list[dict[str, Any]] = []
    for hour, counts in sorted(tally.adds.items()):
        names = {f"#c{i}": name for i, name in enumerate(counts)}
        values: dict[str, Any] = {f":c{i}": {"N": str(n)} for i, n in enumerate(counts.values())}
        values[":ttl"] = {"N": str(now + TTL_SECONDS)}
        adds = ", ".join(f"#c{i} :c{i}" for i in range(len(counts)))
        out.append(
            {
                "Update": {
                    "TableName": table,
                    "Key": {
                        "pk": s(stats_pk(tally.account_id)),
                        "sk": s(f"H#{hour}#{tally.shard}"),
                    },
                    "UpdateExpression": f"ADD {adds} SET expires_at = :ttl",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            }
        )
    return out


class DynamoStats(TableStore):
    """Implements ports.StatsStore."""

    def add(self, tally: Tally, *, now: int) -> None:
        for u in updates(self._table, tally, now=now):
            self._db.update_item(**u["Update"])

    def hours(self, account_id: str, first: str, last: str) -> dict[str, dict[str, int]]:
        """The buckets from hour `first` to hour `last` (both included), shards folded."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :a AND :b",
            "ExpressionAttributeValues": {
                ":pk": s(stats_pk(account_id)),
                ":a": s(f"H#{first}"),
                ":b": s(f"H#{last}#~"),  # every shard of the last hour
            },
        }
        found: dict[str, dict[str, int]] = {}
        while True:
            out = self._db.query(**kwargs)
            for item in out.get("Items", []):
                hour = item["sk"]["S"].split("#")[1]
                bucket = found.setdefault(hour, {})
                for name, value in item.items():
                    if "N" in value and name != "expires_at":
                        bucket[name] = bucket.get(name, 0) + int(value["N"])
            if "LastEvaluatedKey" not in out:
                return found
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def transact_with(store: TableStore, items: list[dict[str, Any]], tally: Tally | None) -> bool:
    """Write `items` and the tally's ADDs in one transaction. False when a condition of
    `items` failed (nothing written, nothing counted); a conflict with another transaction on
    the same bucket is tried again."""
    from mailpass.adapters.dynamodb.base import cancellation_codes
    from mailpass.adapters.dynamodb.retry import AGAIN, Again, retry

    request = items + updates(store._table, tally, now=int(time.time()))

    def attempt() -> bool | Again:
        try:
            store._t.raw.transact_write_items(TransactItems=request)
            return True
        except store._db.exceptions.TransactionCanceledException as exc:
            if "ConditionalCheckFailed" in cancellation_codes(exc):
                return False
            return AGAIN  # TransactionConflict: a concurrent write on the same items

    return retry(attempt, what="usage counters", attempts=8, base=0.005, sleep=store._t.sleep)
