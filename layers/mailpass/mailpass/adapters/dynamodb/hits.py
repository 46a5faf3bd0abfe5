"""Open/click hit counting on the single table (the `HitLog` of service.tracking).

pk                          sk                          what
HIT#<account>#<message id>  <kind>#<window>#<client>    hits from one client in one window (TTL)
MSG#<account>#<message id>  MSG                         the message: open_hits, click_hits added,
                                                        first_open_at, first_click_at set once

The markers live in their own partition, so reading a message's status never reads them."""

from __future__ import annotations

from datetime import datetime

from mailpass import usage
from mailpass.adapters.dynamodb.base import TableStore, message_pk
from mailpass.models import utcnow

_COUNTERS = {"open": "open_hits", "click": "click_hits"}
_FIRST = {"open": "first_open_at", "click": "first_click_at"}
_USAGE = {"open": "opened", "click": "clicked"}


class DynamoHits(TableStore):
    def hit(
        self,
        account_id: str,
        message_id: str,
        kind: str,
        client: str,
        *,
        window: int,
        ttl: int,
        at: datetime | None = None,
    ) -> bool:
        # One atomic ADD on the marker both counts and tells first from repeat: only the hit
        # that takes it from nothing to 1 is first, however many arrive at once.
        out = self._db.update_item(
            TableName=self._table,
            Key={
                "pk": {"S": f"HIT#{account_id}#{message_id}"},
                "sk": {"S": f"{kind}#{window}#{client}"},
            },
            UpdateExpression="ADD n :one SET expires_at = :ttl",
            ExpressionAttributeValues={":one": {"N": "1"}, ":ttl": {"N": str(ttl)}},
            ReturnValues="UPDATED_NEW",
        )
        first = out["Attributes"]["n"]["N"] == "1"
        # Every hit is counted on the message, repeats too; a message that is gone (expired, or
        # never stored) is not brought back as an item holding only a counter. The same
        # write sets the message's first hit time once: the hit that finds it unset is the
        # message's first (of any client), and only that one counts in the usage stats.
        at = at or utcnow()
        try:
            out = self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": message_pk(account_id, message_id)}, "sk": {"S": "MSG"}},
                UpdateExpression="ADD #c :one SET #f = if_not_exists(#f, :at)",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#c": _COUNTERS[kind], "#f": _FIRST[kind]},
                ExpressionAttributeValues={":one": {"N": "1"}, ":at": {"S": at.isoformat()}},
                ReturnValues="ALL_OLD",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return first
        old = out.get("Attributes", {})
        if _FIRST[kind] not in old and not old.get("test", {}).get("BOOL"):
            # Decided by the write above, so never counted twice; a crash just here loses the
            # count (a tracking hit is not retried), it cannot double it.
            sender = old.get("from_email", {}).get("S")
            from mailpass.adapters.dynamodb.stats import DynamoStats

            DynamoStats(self._t).add(
                usage.one(account_id, message_id, at, _USAGE[kind], sender),
                now=int(at.timestamp()),
            )
        return first

    def counted(self, account_id: str, message_id: str) -> dict[str, int]:
        """Every hit counted on the message, first or repeat: {"open": n, "click": n}."""
        out = self._db.get_item(
            TableName=self._table,
            Key={"pk": {"S": message_pk(account_id, message_id)}, "sk": {"S": "MSG"}},
            ProjectionExpression="open_hits, click_hits",
            ConsistentRead=True,
        )
        item = out.get("Item", {})
        return {
            kind: int(item[attr]["N"]) if attr in item else 0 for kind, attr in _COUNTERS.items()
        }
