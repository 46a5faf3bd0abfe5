"""Open/click hit counting on the single table (the `HitLog` of service.tracking).

pk                          sk                          what
HIT#<account>#<message id>  <kind>#<window>#<client>    hits from one client in one window (TTL)
MSG#<account>#<message id>  MSG                         the message: open_hits, click_hits added

The markers live in their own partition, so reading a message's status never reads them."""

from __future__ import annotations

import contextlib

from mailpass.adapters.dynamodb.base import TableStore, message_pk

_COUNTERS = {"open": "open_hits", "click": "click_hits"}


class DynamoHits(TableStore):
    def hit(
        self, account_id: str, message_id: str, kind: str, client: str, *, window: int, ttl: int
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
        # never stored) is not brought back as an item holding only a counter.
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": message_pk(account_id, message_id)}, "sk": {"S": "MSG"}},
                UpdateExpression="ADD #c :one",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#c": _COUNTERS[kind]},
                ExpressionAttributeValues={":one": {"N": "1"}},
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
