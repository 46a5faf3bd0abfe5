"""Messages and their events.

pk                          sk                what
MSG#<account>#<message id>  MSG               message (account in the key: no cross reads)
MSG#<account>#<message id>  EVENT#<ts>#<id>   tracking / delivery event
MSG#<account>#<message id>  RESULT            final state of a queued one (written by packs.py)
MSG#<account>#<message id>  TAG#<tag>         a tag, for the message log's tag index
COUNTER#queue_id            COUNTER           the service-wide queue id sequence

Status changes are conditional on models.FOLLOWS: the condition is built from that table.
Each one moves the message log's status index in the same request (log_keys.py has which item
carries it).
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from typing import Any

from mailpass.adapters.dynamodb.base import (
    Table,
    TableStore,
    message_pk,
    result_outcome,
)
from mailpass.adapters.dynamodb.log_keys import (
    OUTRANKS_OUTCOME,
    message_index,
    queued_result,
    status_set,
    tag_item,
)
from mailpass.adapters.dynamodb.marshal import Item, dt, from_item, s, to_item
from mailpass.adapters.dynamodb.retry import RetriesExhausted, batch_write
from mailpass.ids import new_id
from mailpass.models import (
    MessageEvent,
    MessageRecord,
    MessageStatus,
    Provider,
    predecessors,
    utcnow,
)
from mailpass.observability import logger
from mailpass.ports import Outcome
from mailpass.usage import Tally


def message_from(d: dict[str, Any]) -> MessageRecord:
    return MessageRecord(
        account_id=d["account_id"],
        message_id=d["message_id"],
        status=MessageStatus(d["status"]),
        from_email=d["from_email"],
        from_name=d.get("from_name"),
        to_email=d["to_email"],
        cc=d.get("cc", []),
        bcc=d.get("bcc", []),
        reply_to=d.get("reply_to"),
        subject=d["subject"],
        tags=d.get("tags", []),
        metadata=json.loads(d.get("metadata", "{}")),
        provider_id=d.get("provider_id"),
        provider_kind=d.get("provider_kind"),
        provider_message_id=d.get("provider_message_id"),
        error_message=d.get("error_message"),
        note=d.get("note"),
        sent_at=dt(d.get("sent_at")),
        created_at=dt(d["created_at"]) or utcnow(),
        updated_at=dt(d.get("updated_at")),
        expires_at=int(d.get("expires_at", 0)),
        test=bool(d.get("test", False)),
        size_bytes=int(d.get("size_bytes", 0)),
        queue_id=d.get("queue_id"),
        template_id=d.get("template_id"),
        scheduled_at=dt(d.get("scheduled_at")),
    )


def transition(new: MessageStatus) -> tuple[str, dict[str, Any]]:
    """The condition (and its values) that the stored status may be followed by `new`, from
    the state machine's table: `#s IN (:from0, :from1, ...)`."""
    olds = predecessors(new)
    if not olds:
        raise ValueError(f"nothing moves to {new}")
    names = [f":from{i}" for i in range(len(olds))]
    return f"#s IN ({', '.join(names)})", {n: s(o.value) for n, o in zip(names, olds, strict=True)}


def message_items(record: MessageRecord) -> list[Item]:
    """The message, then its tag items and (stored `queued`) its RESULT, which carries its
    status in the log until the outcome replaces it (log_keys.py). The bench seeds with this
    too."""
    pk = message_pk(record.account_id, record.message_id)
    queued = record.status is MessageStatus.QUEUED
    extra = (
        [
            to_item(
                queued_result(
                    pk,
                    account_id=record.account_id,
                    message_id=record.message_id,
                    created_at=record.created_at,
                    expires_at=record.expires_at,
                )
            )
        ]
        if queued
        else []
    )
    return (
        [_message_item(record)]
        + extra
        + [
            to_item(
                tag_item(
                    pk,
                    account_id=record.account_id,
                    message_id=record.message_id,
                    tag=tag,
                    created_at=record.created_at,
                    expires_at=record.expires_at,
                )
            )
            for tag in dict.fromkeys(record.tags)
        ]
    )


def _message_item(record: MessageRecord) -> Item:
    index = message_index(
        record.account_id,
        record.message_id,
        record.status,
        record.to_email,
        record.created_at,
    )
    if record.status is MessageStatus.QUEUED:
        del index["st_pk"]  # its RESULT carries it (message_items)
    values = {
        **index,
        "pk": message_pk(record.account_id, record.message_id),
        "sk": "MSG",
        "type": "message",
        "account_id": record.account_id,
        "message_id": record.message_id,
        "status": record.status.value,
        "from_email": record.from_email,
        "from_name": record.from_name,
        "to_email": record.to_email,
        "cc": record.cc or None,
        "bcc": record.bcc or None,
        "reply_to": record.reply_to,
        "subject": record.subject,
        "tags": record.tags or None,
        "metadata": json.dumps(record.metadata, ensure_ascii=False) if record.metadata else None,
        "provider_id": record.provider_id,
        "provider_kind": record.provider_kind,
        "created_at": record.created_at,
        "expires_at": record.expires_at,
        "test": record.test or None,
        "size_bytes": record.size_bytes,
        "queue_id": record.queue_id,
        "template_id": record.template_id,
        "scheduled_at": record.scheduled_at,
    }
    return to_item(values)


class DynamoMessages(TableStore):
    """Implements ports.MessageStore."""

    def __init__(self, table: Table, event_ttl_days: int = 400) -> None:
        super().__init__(table)
        self._event_ttl = event_ttl_days * 86400

    def put_message(self, record: MessageRecord) -> None:
        """One BatchWriteItem: the message with its tag items (and a queued one's RESULT).

        Not a conditional put in a transaction: the id is fresh (ids.new_message_id, 96 random
        bits), so a condition that no message has it guards only against a collision that
        does not happen, as /send-batch's puts never had one; and a transaction costs a tagged
        /send twice the write units and one more request's latency. If DynamoDB keeps handing
        the message item back, nothing is sent (RetriesExhausted); a tag item it keeps handing
        back only leaves the message out of that tag's log filter, which is logged."""
        left = batch_write(
            self._t.raw,
            self._table,
            [{"PutRequest": {"Item": item}} for item in message_items(record)],
            sleep=self._t.sleep,
        )
        if any(req["PutRequest"]["Item"]["sk"]["S"] == "MSG" for req in left):
            raise RetriesExhausted(f"message {record.message_id} could not be stored")
        if left:
            logger.warning(
                "a message's log items could not be stored",
                extra={"message_id": record.message_id, "items": len(left)},
            )

    def mark_sent(
        self,
        account_id: str,
        message_id: str,
        *,
        sent_at: datetime,
        provider_message_id: str | None,
        note: str | None,
        provider: Provider | None = None,
        tally: Tally | None = None,
    ) -> None:
        values: dict[str, Any] = {
            ":new": s(MessageStatus.SENT.value),
            ":at": s(sent_at.isoformat()),
        }
        sets = ["#s = :new", "sent_at = :at", "updated_at = :at"]
        if provider_message_id:
            sets.append("provider_message_id = :pmid")
            values[":pmid"] = s(provider_message_id)
        if note:
            sets.append("note = :note")
            values[":note"] = s(note)
        if provider is not None:
            sets += ["provider_id = :pid", "provider_kind = :pkind"]
            values[":pid"] = s(provider.provider_id)
            values[":pkind"] = s(provider.kind.value)
        # The mail is out; a status moved on by someone else must not turn that into an error.
        self._move(account_id, message_id, MessageStatus.SENT, sets, values, tally=tally)

    def mark_failed(
        self,
        account_id: str,
        message_id: str,
        *,
        reason: str,
        at: datetime,
        tally: Tally | None = None,
    ) -> None:
        values = {
            ":new": s(MessageStatus.FAILED.value),
            ":why": s(reason[:2000]),
            ":at": s(at.isoformat()),
        }
        sets = ["#s = :new", "error_message = :why", "updated_at = :at"]
        self._move(account_id, message_id, MessageStatus.FAILED, sets, values, tally=tally)

    def set_feedback_status(
        self,
        account_id: str,
        message_id: str,
        status: MessageStatus,
        at: datetime,
        reason: str | None,
        *,
        tally: Tally | None = None,
    ) -> None:
        """Delivery feedback moves a message on where the state machine allows it; otherwise
        it is already further along (or gone), and only its event is recorded. `tally` is
        added once per message and status: the same feedback delivered again (or a bounce
        after a bounce) still moves the message but counts nothing."""
        values: dict[str, Any] = {":new": s(status.value), ":at": s(at.isoformat())}
        sets = ["#s = :new", "updated_at = :at"]
        if reason:
            sets.append("error_message = :why")
            values[":why"] = s(reason[:2000])
        if tally is not None:
            # A mark of the counted status, set in the same conditional write as the ADD.
            mark = f"counted_{status.value}"
            counted = self._move(
                account_id,
                message_id,
                status,
                [*sets, "#m = :at"],
                values,
                tally=tally,
                extra=("attribute_not_exists(#m)", {"#m": mark}),
            )
            if counted:
                self._off_result(account_id, message_id)
                return
        if self._move(account_id, message_id, status, sets, values):
            self._off_result(account_id, message_id)

    def _off_result(self, account_id: str, message_id: str) -> None:
        """Feedback moved the status index to the MSG item: a queued message's RESULT lets go
        of its entry (log_keys.py). Nothing to do for most messages (the condition fails)."""
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.update_item(
                TableName=self._table,
                Key={"pk": s(message_pk(account_id, message_id)), "sk": s("RESULT")},
                UpdateExpression="REMOVE st_pk",
                ConditionExpression="attribute_exists(st_pk)",
            )

    def cancel_scheduled(self, account_id: str, message_id: str, *, at: datetime) -> bool:
        values = {":new": s(MessageStatus.CANCELED.value), ":at": s(at.isoformat())}
        sets = ["#s = :new", "updated_at = :at"]
        return self._move(account_id, message_id, MessageStatus.CANCELED, sets, values)

    def release_scheduled(self, account_id: str, message_id: str, *, at: datetime) -> bool:
        values = {":new": s(MessageStatus.QUEUED.value), ":at": s(at.isoformat())}
        sets = ["#s = :new", "updated_at = :at"]
        # Already queued: this hand-off (a retry of the pack) moved it before; it goes on.
        return self._move(
            account_id, message_id, MessageStatus.QUEUED, sets, values, or_already=True
        )

    def _move(
        self,
        account_id: str,
        message_id: str,
        new: MessageStatus,
        sets: list[str],
        values: dict[str, Any],
        *,
        or_already: bool = False,
        tally: Tally | None = None,
        extra: tuple[str, dict[str, str]] | None = None,
    ) -> bool:
        """Apply `sets` if the stored status may be followed by `new` (or, `or_already`, is
        `new`); False (logged) if not. With `tally`, its ADDs commit in the same transaction
        as the status change (so they happen exactly when it does); `extra` is one more
        condition and its names."""
        condition, allowed = transition(new)
        if or_already:
            condition = f"({condition} OR #s = :new)"
        index_set, index_value = status_set(account_id, new)
        expression = "SET " + ", ".join([*sets, index_set])
        moved_values = {**values, **index_value}
        if new is MessageStatus.QUEUED:
            # Handed off again (a scheduled one, after a redrive too): no outcome holds yet.
            expression += " REMOVE result_status"
        elif new not in OUTRANKS_OUTCOME:
            # A dispatcher outcome (RESULT) outranks this status, as Outcome.applied_to says: the
            # message would show the outcome, and its status index must say the same.
            condition = f"{condition} AND attribute_not_exists(result_status)"
        names = {"#s": "status"}
        if extra is not None:
            condition = f"{condition} AND {extra[0]}"
            names.update(extra[1])
        update = {
            "TableName": self._table,
            "Key": {"pk": s(message_pk(account_id, message_id)), "sk": s("MSG")},
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {**moved_values, **allowed},
        }
        if tally is not None:
            from mailpass.adapters.dynamodb.stats import transact_with

            try:
                moved = transact_with(self, [{"Update": update}], tally)
            except RetriesExhausted:
                # Still contended: the status matters more than one count.
                logger.warning("usage not counted", extra={"message_id": message_id})
                return self._move(account_id, message_id, new, sets, values, or_already=or_already)
            if not moved and extra is None:
                logger.warning(
                    "status change refused", extra={"message_id": message_id, "to": new.value}
                )
            return moved
        return self._update(update, message_id, new)

    def _update(self, update: dict[str, Any], message_id: str, new: MessageStatus) -> bool:
        try:
            self._t.raw.update_item(**update)
        except self._db.exceptions.ConditionalCheckFailedException:
            logger.warning(
                "status change refused", extra={"message_id": message_id, "to": new.value}
            )
            return False
        return True

    def get_message(
        self, account_id: str, message_id: str
    ) -> tuple[MessageRecord, list[MessageEvent]] | None:
        items: list[Item] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": s(message_pk(account_id, message_id))},
            "ConsistentRead": True,
        }
        while True:
            out = self._db.query(**kwargs)
            items.extend(out.get("Items", []))
            if "LastEvaluatedKey" not in out:
                break
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]
        record: MessageRecord | None = None
        result: Outcome | None = None
        events: list[MessageEvent] = []
        for raw in items:
            d = from_item(raw)
            if d["sk"] == "MSG":
                record = message_from(d)
            elif d["sk"] == "RESULT":
                result = result_outcome(account_id, message_id, d)
            elif d["sk"].startswith("EVENT#"):
                events.append(
                    MessageEvent(
                        event_type=d["event_type"],
                        created_at=dt(d["created_at"]) or utcnow(),
                        ip_address=d.get("ip_address"),
                        user_agent=d.get("user_agent"),
                        data=json.loads(d["data"]) if d.get("data") else {},
                    )
                )
        if record is None:
            return None
        return (record if result is None else result.applied_to(record)), events

    def add_event(self, account_id: str, message_id: str, event: MessageEvent) -> None:
        at = event.created_at
        self._db.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "pk": message_pk(account_id, message_id),
                    "sk": f"EVENT#{at.isoformat()}#{new_id('ev')}",
                    "type": "event",
                    "event_type": event.event_type,
                    "created_at": at,
                    "ip_address": event.ip_address,
                    "user_agent": event.user_agent,
                    "data": json.dumps(event.data, ensure_ascii=False) if event.data else None,
                    # Events go with their message.
                    "expires_at": int(at.timestamp()) + self._event_ttl,
                }
            ),
        )

    def allocate_queue_ids(self, count: int) -> int:
        out = self._db.update_item(
            TableName=self._table,
            Key={"pk": s("COUNTER#queue_id"), "sk": s("COUNTER")},
            UpdateExpression="ADD #v :n",
            ExpressionAttributeNames={"#v": "value"},
            ExpressionAttributeValues={":n": {"N": str(count)}},
            ReturnValues="UPDATED_NEW",
        )
        last = int(out["Attributes"]["value"]["N"])
        return last - count + 1

    def put_messages(self, records: list[MessageRecord]) -> list[MessageRecord]:
        by_key = {message_pk(r.account_id, r.message_id): r for r in records}
        left = batch_write(
            self._t.raw,
            self._table,
            [{"PutRequest": {"Item": item}} for r in records for item in message_items(r)],
            sleep=self._t.sleep,
        )
        # A message whose tag item was not written is not stored either (the caller's retry
        # rewrites all of it).
        keys = dict.fromkeys(req["PutRequest"]["Item"]["pk"]["S"] for req in left)
        return [by_key[k] for k in keys]
