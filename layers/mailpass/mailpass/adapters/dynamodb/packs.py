"""Dispatch state of queued messages.

pk                          sk       what
PACK#<pack id>              PACK     a queue message's dispatch state: claim, lease, attempts
MSG#<account>#<message id>  RESULT   a queued message's dispatch state: `queued` (written with the
                                     message, messages.py), then its final state (read back by
                                     messages.py with the message)

A pack's final states are one BatchWriteItem of RESULTs per 25 messages. Each RESULT carries the
message's place in the log's status index (log_keys.py), so the message items are not touched
and the status filter sees the outcome at once; the usage ADD follows. A pack that cannot say
when its messages were stored (ports.LogPlace) writes the older way: one transaction per 49
messages with their RESULTs, the status index on the message items, and the ADDs.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from typing import Any

from mailpass import usage
from mailpass.adapters.dynamodb.base import (
    TableStore,
    cancellation_codes,
    message_pk,
    result_outcome,
)
from mailpass.adapters.dynamodb.log_keys import (
    OUTRANKS_OUTCOME,
    log_sk,
    queued_result,
    status_key,
)
from mailpass.adapters.dynamodb.marshal import Item, from_item, s, to_item
from mailpass.adapters.dynamodb.retry import (
    AGAIN,
    Again,
    RetriesExhausted,
    batch_get,
    batch_write,
    retry,
)
from mailpass.adapters.dynamodb.stats import DynamoStats
from mailpass.adapters.dynamodb.stats import updates as stats_updates
from mailpass.ports import LogPlace, Outcome, PackClaim, PackState
from mailpass.usage import Tally

# TransactWriteItems takes 100 actions: two per message (its RESULT, its message item), and up
# to two usage hour buckets (a pack crossing an hour).
_MESSAGES_PER_REQUEST = 49


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
            if (outcome := result_outcome(account_id, mid, d)) is not None:
                found[mid] = outcome
        return found

    def record_outcomes(
        self,
        outcomes: list[Outcome],
        *,
        count: Mapping[str, str | None] | None = None,
        log: LogPlace | None = None,
    ) -> None:
        """With `log`: the RESULTs (each with the message's status index entry) in
        BatchWriteItems, then the usage ADDs. The RESULTs decide: a retried pack that finds
        them skips those messages, so a count is never added twice; a crash before the ADD
        loses it. A message that feedback moved on meanwhile has its entry on its MSG item
        (messages.py) and shows the feedback status; at worst its RESULT's entry is a stale
        one the log's reader drops.

        Without `log`: one transaction per 49 messages of their RESULTs, their message items'
        log index and fields, and the ADDs, each message item update applied only if feedback
        or a cancel has not moved it on."""
        # One write per message: the last outcome of a message is its own.
        latest = list({(o.account_id, o.message_id): o for o in outcomes}.values())
        if not latest:
            return
        now = int(time.time())
        if log is None:
            for start in range(0, len(latest), _MESSAGES_PER_REQUEST):
                chunk = latest[start : start + _MESSAGES_PER_REQUEST]
                self._each_if(
                    [{"Put": {"TableName": self._table, "Item": _result_item(o)}} for o in chunk]
                    + [self._outcome_update(o) for o in chunk]
                    + stats_updates(self._table, self._tally(chunk, count), now=now)
                )
            return
        left = batch_write(
            self._t.raw,
            self._table,
            [{"PutRequest": {"Item": _result_item(o, log)}} for o in latest],
            sleep=self._t.sleep,
        )
        if left:
            raise RetriesExhausted(f"record outcomes: {len(left)} RESULTs not written")
        tally = self._tally(latest, count)
        if tally is not None:
            DynamoStats(self._t).add(tally, now=now)

    @staticmethod
    def _tally(chunk: list[Outcome], count: Mapping[str, str | None] | None) -> Tally | None:
        if not count:
            return None
        events = ((o.message_id, o.at, o.status) for o in chunk)
        return usage.of_outcomes(chunk[0].account_id, events, count)

    def _each_if(self, actions: list[Any]) -> None:
        """Writes in one transaction (at most 100), each conditional one applied if its
        condition holds: those that fail theirs are dropped and the rest tried again (as are
        all after a conflict with another transaction)."""
        pending = list(actions)

        def attempt() -> Again | None:
            nonlocal pending
            try:
                self._t.raw.transact_write_items(TransactItems=pending)
                return None
            except self._db.exceptions.TransactionCanceledException as exc:
                codes = cancellation_codes(exc)
                pending = [
                    a
                    for a, code in zip(pending, codes, strict=False)
                    if code != "ConditionalCheckFailed"
                ]
                return AGAIN if pending else None

        if pending:
            retry(attempt, what="record outcomes", sleep=self._t.sleep)

    def _outcome_update(self, o: Outcome) -> Any:
        fields = {
            "result_status": o.status,
            "updated_at": o.at.isoformat(),
            "sent_at": o.at.isoformat() if o.status == "sent" else None,
            "error_message": o.error_message[:2000] if o.error_message else None,
            "note": o.note,
            "provider_message_id": o.provider_message_id,
            "provider_id": o.provider_id,
            "provider_kind": o.provider_kind,
        }
        values = {f":{k}": s(v) for k, v in fields.items() if v is not None}
        sets = [f"{k} = :{k}" for k, v in fields.items() if v is not None]
        outranking = {f":o{i}": s(st.value) for i, st in enumerate(sorted(OUTRANKS_OUTCOME))}
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"pk": s(message_pk(o.account_id, o.message_id)), "sk": s("MSG")},
                "UpdateExpression": "SET st_pk = :stk, " + ", ".join(sets),
                "ConditionExpression": "attribute_exists(pk) AND NOT (#s IN ("
                + ", ".join(outranking)
                + "))",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {
                    ":stk": s(status_key(o.account_id, o.status)),
                    **values,
                    **outranking,
                },
            }
        }

    def requeue(
        self,
        account_id: str,
        message_ids: list[str],
        pack_id: str,
        log: LogPlace | None = None,
    ) -> bool:
        """With `log` (the redriven pack's), each RESULT goes back to `queued` and takes the
        message's log entry (its outcome will be written over it); without, the RESULTs go
        and the message items carry the entry (as `record_outcomes` without `log`)."""
        queued = s("queued")
        items: list[Any] = [self._back_to_queued(account_id, mid, log) for mid in message_ids]
        items.append(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"pk": s(f"PACK#{pack_id}"), "sk": s("PACK")},
                    "UpdateExpression": "SET #s = :queued REMOVE claim_token, lease_until",
                    "ExpressionAttributeNames": {"#s": "state"},
                    "ExpressionAttributeValues": {":queued": queued},
                }
            }
        )
        try:
            self._db.transact_write_items(TransactItems=items)
        except self._db.exceptions.TransactionCanceledException:
            return False
        # Back in the queue, and so in the log's queued status. Not in the transaction above:
        # there a message item that is not there (or that feedback moved on) would refuse the
        # whole redrive; here such a one is only left as it is. Only a message whose outcome
        # is on its item (written without `log`) has anything to change.
        moved = (
            "REMOVE st_pk, result_status"
            if log is not None
            else "SET st_pk = :stk REMOVE result_status"
        )
        values = {":queued": queued, ":failed": s("failed")}
        if log is None:
            values[":stk"] = s(status_key(account_id, "queued"))
        self._each_if(
            [
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": {"pk": s(message_pk(account_id, mid)), "sk": s("MSG")},
                        "UpdateExpression": moved,
                        "ConditionExpression": "#s = :queued AND result_status = :failed",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": values,
                    }
                }
                for mid in dict.fromkeys(message_ids)
            ]
        )
        return True

    def _back_to_queued(self, account_id: str, message_id: str, log: LogPlace | None) -> Any:
        key = {"pk": s(message_pk(account_id, message_id)), "sk": s("RESULT")}
        failed = {
            "ConditionExpression": "#s = :failed",
            "ExpressionAttributeNames": {"#s": "status"},
        }
        if log is None:
            return {
                "Delete": {
                    "TableName": self._table,
                    "Key": key,
                    **failed,
                    "ExpressionAttributeValues": {":failed": s("failed")},
                }
            }
        queued = to_item(
            queued_result(
                key["pk"]["S"],
                account_id=account_id,
                message_id=message_id,
                created_at=log.created_at,
                expires_at=log.expires_at,
            )
        )
        return {
            "Put": {
                "TableName": self._table,
                "Item": queued,
                **failed,
                "ExpressionAttributeValues": {":failed": s("failed")},
            }
        }


def _result_item(o: Outcome, log: LogPlace | None = None) -> Item:
    """A message's RESULT: its final state, and with `log` its place in the log's status index
    (log_keys.py)."""
    place = (
        {
            "st_pk": status_key(o.account_id, o.status),
            "log_sk": log_sk(log.created_at, o.message_id),
            "expires_at": log.expires_at or None,
        }
        if log is not None
        else {}
    )
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
            **place,
        }
    )
