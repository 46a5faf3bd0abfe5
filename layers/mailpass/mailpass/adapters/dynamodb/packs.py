"""Dispatch state of queued messages.

pk                          sk       what
PACK#<pack id>              PACK     a queue message's dispatch state: claim, lease, attempts
MSG#<account>#<message id>  RESULT   a queued message's final state (batched writes; read
                                     back by messages.py with the message)
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from mailpass import usage
from mailpass.adapters.dynamodb.base import (
    TableStore,
    cancellation_codes,
    message_pk,
    result_outcome,
)
from mailpass.adapters.dynamodb.marshal import from_item, s, to_item
from mailpass.adapters.dynamodb.retry import (
    AGAIN,
    Again,
    RetriesExhausted,
    batch_get,
    batch_write,
    retry,
)
from mailpass.ports import Outcome, PackClaim, PackState

# The final states counted in the usage stats (canceled is not: nothing was sent).
COUNTED = frozenset({"sent", "failed"})
# A transaction holds 100 items: the RESULTs and up to two hour buckets (a pack crossing one).
_PER_TRANSACTION = 98


def _result_item(o: Outcome) -> dict[str, Any]:
    return to_item(
        {
            "pk": message_pk(o.account_id, o.message_id),
            "sk": "RESULT",
            "status": o.status,
            "at": o.at,
            "error_message": o.error_message[:2000] if o.error_message else None,
            "note": o.note,
            "provider_message_id": o.provider_message_id,
            "provider_id": o.provider_id,
            "provider_kind": o.provider_kind,
        }
    )


class DynamoPacks(TableStore):
    """Implements ports.PackStore."""

    def claim_packs(self, claims: list[PackClaim], *, now: float, lease_until: float) -> set[str]:
        pending = list(claims)

        def attempt() -> set[str] | Again:
            nonlocal pending
            try:
                self._t.raw.transact_write_items(
                    TransactItems=[self._claim_update(c, now, lease_until) for c in pending]
                )
                return {c.pack_id for c in pending}
            except self._db.exceptions.TransactionCanceledException as exc:
                codes = cancellation_codes(exc)
                # Those whose condition failed are someone else's (or done); retry the rest
                # (cancelled by a conflicting transaction).
                pending = [
                    c
                    for c, code in zip(pending, codes, strict=False)
                    if code != "ConditionalCheckFailed"
                ]
                return AGAIN if pending else set()

        if not pending:
            return set()
        try:
            return retry(attempt, what="claim packs", attempts=3, sleep=self._t.sleep)
        except RetriesExhausted:
            return set()  # still contended: the packs come back with the queue messages

    def _claim_update(self, c: PackClaim, now: float, lease_until: float) -> Any:
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"pk": s(f"PACK#{c.pack_id}"), "sk": s("PACK")},
                # New, released, or claimed by a dispatcher that died before its hand-off.
                "ConditionExpression": "attribute_not_exists(pk) OR #s = :queued "
                "OR (#s = :claimed AND lease_until < :now)",
                "UpdateExpression": "SET #s = :claimed, claim_token = :tok, lease_until = :lease, "
                "expires_at = :ttl ADD attempts :one",
                "ExpressionAttributeNames": {"#s": "state"},
                "ExpressionAttributeValues": {
                    ":queued": s("queued"),
                    ":claimed": s("claimed"),
                    ":now": {"N": repr(now)},
                    ":tok": s(c.token),
                    ":lease": {"N": repr(lease_until)},
                    ":one": {"N": "1"},
                    # SQS keeps a message 14 days at most; the pack's state need not outlive it.
                    ":ttl": {"N": str(int(now) + 15 * 86400)},
                },
            }
        }

    def begin_pack(self, claim: PackClaim, *, lease_until: float) -> int:
        try:
            out = self._db.update_item(
                TableName=self._table,
                Key={"pk": s(f"PACK#{claim.pack_id}"), "sk": s("PACK")},
                UpdateExpression="SET #s = :sending, lease_until = :lease",
                ConditionExpression="#s = :claimed AND claim_token = :tok",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={
                    ":sending": s("sending"),
                    ":claimed": s("claimed"),
                    ":tok": s(claim.token),
                    ":lease": {"N": repr(lease_until)},
                },
                ReturnValues="ALL_NEW",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return 0
        return int(out["Attributes"].get("attempts", {}).get("N", "1"))

    def release_pack(self, claim: PackClaim) -> None:
        # If the condition fails someone else holds it now, and they decide.
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.update_item(
                TableName=self._table,
                Key={"pk": s(f"PACK#{claim.pack_id}"), "sk": s("PACK")},
                UpdateExpression="SET #s = :queued REMOVE claim_token",
                ConditionExpression="claim_token = :tok",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":queued": s("queued"), ":tok": s(claim.token)},
            )

    def pack_state(self, pack_id: str) -> PackState | None:
        out = self._db.get_item(
            TableName=self._table,
            Key={"pk": s(f"PACK#{pack_id}"), "sk": s("PACK")},
            ConsistentRead=True,
        )
        if "Item" not in out:
            return None
        d = from_item(out["Item"])
        return PackState(state=d["state"], lease_until=float(d.get("lease_until", 0)))

    def results(self, account_id: str, message_ids: list[str]) -> dict[str, Outcome]:
        keys = [
            {"pk": s(message_pk(account_id, mid)), "sk": s("RESULT")}
            for mid in dict.fromkeys(message_ids)
        ]
        prefix = len(message_pk(account_id, ""))
        found: dict[str, Outcome] = {}
        for raw in batch_get(self._t.raw, self._table, keys, consistent=True, sleep=self._t.sleep):
            d = from_item(raw)
            mid = d["pk"][prefix:]
            found[mid] = result_outcome(account_id, mid, d)
        return found

    def record_outcomes(
        self, outcomes: list[Outcome], *, count: Mapping[str, str | None] | None = None
    ) -> None:
        """`count`: the messages whose final state is counted in the usage stats, with their
        sender address. Then the RESULT items and the ADDs go in one transaction (a pack has at
        most 25 messages): they are written together or not at all, so a retried pack that
        finds them written does not count them again."""
        if count:
            for start in range(0, len(outcomes), _PER_TRANSACTION):
                self._record_counted(outcomes[start : start + _PER_TRANSACTION], count)
            return
        requests = [{"PutRequest": {"Item": _result_item(o)}} for o in outcomes]
        left = batch_write(self._t.raw, self._table, requests, sleep=self._t.sleep)
        if left:
            raise RetriesExhausted(f"{len(left)} outcomes could not be written")

    def _record_counted(self, outcomes: list[Outcome], count: Mapping[str, str | None]) -> None:
        from mailpass.adapters.dynamodb.stats import transact_with

        # One transaction may not name an item twice: the last outcome of a message wins.
        outcomes = list({o.message_id: o for o in outcomes}.values())
        account = outcomes[0].account_id
        counted = usage.tally(
            account,
            (
                (o.at, o.status, usage.domain_of(count[o.message_id]))
                for o in outcomes
                if o.message_id in count and o.status in COUNTED
            ),
            key=outcomes[0].message_id,
        )
        items = [{"Put": {"TableName": self._table, "Item": _result_item(o)}} for o in outcomes]
        if not transact_with(self, items, counted):  # no conditions: cannot be refused
            raise RetriesExhausted("outcomes could not be written")

    def requeue(self, account_id: str, message_ids: list[str], pack_id: str) -> bool:
        items: list[Any] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": {"pk": s(message_pk(account_id, mid)), "sk": s("RESULT")},
                    "ConditionExpression": "#s = :failed",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":failed": s("failed")},
                }
            }
            for mid in message_ids
        ]
        items.append(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"pk": s(f"PACK#{pack_id}"), "sk": s("PACK")},
                    "UpdateExpression": "SET #s = :queued REMOVE claim_token, lease_until",
                    "ExpressionAttributeNames": {"#s": "state"},
                    "ExpressionAttributeValues": {":queued": s("queued")},
                }
            }
        )
        try:
            self._db.transact_write_items(TransactItems=items)
        except self._db.exceptions.TransactionCanceledException:
            return False
        return True
