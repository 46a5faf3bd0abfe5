"""The message log: an account's messages, newest first, a page at a time
(ports_listing.MessageLog).

Every page is one Query on an index chosen for the filters (log_keys.py has the key layout), then
one BatchGetItem for the page's messages and their RESULTs (a queued message's outcome). Never a
Scan; a filter applied within a page only ever reads `limit` index entries, so a page costs the
same for 1,000 messages or a million:

filters given                 served by
none                          log         (account)
status                        log_status  (account#status)
to [+ status]                 log_to      (account#to); status checked on the page read
tag [+ status] [+ to]         log_tag     (account#tag); status and to checked on the page read
any of them + from/until      the same index, with a sort-key range on log_sk (created_at)

The most selective key leads: one recipient, then one tag, then one status. A combined filter
can return a page with fewer than `limit` messages and a next cursor; the pages still stop.

The indexes project keys only. A message item changes many times (hand-off, outcome, feedback,
opens); with whole items projected, each change would be copied into three indexes, which made
the batch drain (25 outcome updates per pack) measurably slower. Keys only, an index is written
when a key moves (a status change moves `st_pk`) and a page pays one BatchGetItem instead.
"""

from __future__ import annotations

from typing import Any

from mailpass.adapters.dynamodb.base import TableStore, result_outcome
from mailpass.adapters.dynamodb.log_keys import (
    shown_status,
    status_key,
    tag_key,
    time_bound,
    to_key,
)
from mailpass.adapters.dynamodb.marshal import from_item, s
from mailpass.adapters.dynamodb.messages import message_from
from mailpass.adapters.dynamodb.retry import batch_get
from mailpass.models import MessageRecord
from mailpass.ports_listing import LogPage, LogQuery, Position


def _record(raw: dict[str, Any], result: dict[str, Any] | None) -> MessageRecord:
    """What /status shows: the message, with its outcome applied (messages.get_message)."""
    d = from_item(raw)
    record = message_from(d)
    outcome = result_outcome(record.account_id, record.message_id, result) if result else None
    if outcome is not None:
        return outcome.applied_to(record)
    record.status = shown_status(d)
    return record


class DynamoMessageLog(TableStore):
    """Implements ports_listing.MessageLog."""

    def list_messages(self, query: LogQuery) -> LogPage:
        a = query.account_id
        values: dict[str, Any] = {}
        if query.tag is not None:
            index, key_attr, key = "log_tag", "tag_pk", tag_key(a, query.tag)
        elif query.to is not None:
            index, key_attr, key = "log_to", "to_pk", to_key(a, query.to)
        elif query.status is not None:
            index, key_attr, key = "log_status", "st_pk", status_key(a, query.status)
        else:
            index, key_attr, key = "log", "log_pk", a
        condition = f"{key_attr} = :key"
        values[":key"] = s(key)
        if query.since is not None and query.until is not None:
            condition += " AND log_sk BETWEEN :lo AND :hi"
            values[":lo"] = s(time_bound(query.since, upper=False))
            values[":hi"] = s(time_bound(query.until, upper=True))
        elif query.since is not None:
            condition += " AND log_sk >= :lo"
            values[":lo"] = s(time_bound(query.since, upper=False))
        elif query.until is not None:
            condition += " AND log_sk <= :hi"
            values[":hi"] = s(time_bound(query.until, upper=True))
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,  # newest first
            "Limit": query.limit,
        }
        if query.start:
            kwargs["ExclusiveStartKey"] = {k: s(v) for k, v in query.start.items()}
        out = self._db.query(**kwargs)
        items = out.get("Items", [])
        last = out.get("LastEvaluatedKey")
        nxt: Position | None = {k: v["S"] for k, v in last.items()} if last else None
        return LogPage(self._messages(query, items), nxt)

    def _messages(self, query: LogQuery, keys: list[dict[str, Any]]) -> list[MessageRecord]:
        """The messages behind an index page, in its order, with the filters the index did not
        apply."""
        if not keys:
            return []
        found = batch_get(
            self._t.raw,
            self._table,
            [{"pk": k["pk"], "sk": s(sk)} for k in keys for sk in ("MSG", "RESULT")],
            sleep=self._t.sleep,
        )
        items = {(raw["pk"]["S"], raw["sk"]["S"]): raw for raw in found}
        results = {pk: from_item(raw) for (pk, sk), raw in items.items() if sk == "RESULT"}
        by_pk = {
            pk: _record(raw, results.get(pk)) for (pk, sk), raw in items.items() if sk == "MSG"
        }
        to = query.to.strip().lower() if query.to is not None else None
        page = []
        for k in keys:
            record = by_pk.get(k["pk"]["S"])
            if record is None:  # expired between the index read and the get
                continue
            if query.status is not None and record.status is not query.status:
                continue
            if to is not None and record.to_email.strip().lower() != to:
                continue
            page.append(record)
        return page
