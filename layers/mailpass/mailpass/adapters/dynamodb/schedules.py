"""Scheduled messages waiting for their time, by the UTC minute they are due in.

pk                      sk                        what
SCHED#<yyyymmddHHMM>    <account>#<message id>    the queue body (a pack of one) to send then
SCHED#CURSOR            CURSOR                    the last minute bucket moved to the queue

Finding what is due is one Query per minute bucket (the dispatcher's tick reads the buckets from
its cursor up to a few minutes ahead), so it costs what is due, never a scan. The account and
message id are in the sort key, so a bucket is one partition read in order.
"""

from __future__ import annotations

from typing import Any

from mailpass.adapters.dynamodb.base import TableStore
from mailpass.adapters.dynamodb.marshal import dt, from_item, s, to_item
from mailpass.adapters.dynamodb.retry import RetriesExhausted, batch_write
from mailpass.models import schedule_bucket
from mailpass.ports import ScheduledEntry

_CURSOR = {"pk": s("SCHED#CURSOR"), "sk": s("CURSOR")}
# Kept past its time at most this long (a tick that never came: the TTL cleans up).
_TTL_SECONDS = 15 * 86400


def bucket_key(bucket: str) -> str:
    return f"SCHED#{bucket}"


def _bucket_of(entry: ScheduledEntry) -> str:
    return schedule_bucket(entry.due)


class DynamoSchedules(TableStore):
    """Implements ports.ScheduleStore."""

    def put_scheduled(self, entries: list[ScheduledEntry]) -> list[ScheduledEntry]:
        by_key = {(bucket_key(_bucket_of(e)), _sort_key(e)): e for e in entries}
        requests = [
            {
                "PutRequest": {
                    "Item": to_item(
                        {
                            "pk": bucket_key(_bucket_of(e)),
                            "sk": _sort_key(e),
                            "account_id": e.account_id,
                            "message_id": e.message_id,
                            "due": e.due,
                            "body": e.body,
                            "expires_at": int(e.due.timestamp()) + _TTL_SECONDS,
                        }
                    )
                }
            }
            for e in entries
        ]
        left = batch_write(self._t.raw, self._table, requests, sleep=self._t.sleep)
        return [
            by_key[(r["PutRequest"]["Item"]["pk"]["S"], r["PutRequest"]["Item"]["sk"]["S"])]
            for r in left
        ]

    def scheduled_in(self, bucket: str) -> list[ScheduledEntry]:
        found: list[ScheduledEntry] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": s(bucket_key(bucket))},
            "ConsistentRead": True,
        }
        while True:
            out = self._db.query(**kwargs)
            for raw in out.get("Items", []):
                d = from_item(raw)
                due = dt(d["due"])
                assert due is not None
                found.append(ScheduledEntry(d["account_id"], d["message_id"], due, d["body"]))
            if "LastEvaluatedKey" not in out:
                return found
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def drop_scheduled(self, bucket: str, entries: list[ScheduledEntry]) -> None:
        requests = [
            {"DeleteRequest": {"Key": {"pk": s(bucket_key(bucket)), "sk": s(_sort_key(e))}}}
            for e in entries
        ]
        left = batch_write(self._t.raw, self._table, requests, sleep=self._t.sleep)
        if left:
            raise RetriesExhausted(f"{len(left)} scheduled entries could not be dropped")

    def schedule_cursor(self) -> str | None:
        out = self._db.get_item(TableName=self._table, Key=_CURSOR, ConsistentRead=True)
        item = out.get("Item")
        return None if item is None else str(from_item(item)["bucket"])

    def set_schedule_cursor(self, bucket: str) -> None:
        self._db.put_item(TableName=self._table, Item={**_CURSOR, "bucket": s(bucket)})


def _sort_key(e: ScheduledEntry) -> str:
    return f"{e.account_id}#{e.message_id}"
