"""The message log's index keys: every writer of a message's status sets them through here, in
the same request that changes the status, so the status filter sees a change at once.

GSI (template.yaml)  partition key                     sort key  on
log                  log_pk = <account>                log_sk    MSG items
                     log_pk = SUP#<account>            log_sk    SUP#<email> items
log_status           st_pk  = <account>#<status>       log_sk    MSG or RESULT items (below)
                     st_pk  = SUP#<account>#<kind>     log_sk    SUP#<email> items
log_to               to_pk  = <account>#<to>           log_sk    MSG items
log_tag              tag_pk = <account>#<tag>          log_sk    TAG#<tag> items (keys only)

log_sk = <created_at, UTC, fixed width>#<message id> (a suppression's: #<email>): newest first is
a backwards Query, and a date range is a sort-key condition. A message has one recipient
(`to_email`), so `to` is a key on the message itself; tags are many, so each tag is a small item
in the message's partition (written in the BatchWriteItem that writes the message) whose
index answers with keys only.

`st_pk` holds the status the API shows, on exactly one item per message:
- a message stored `queued` (/send-batch) carries it on its RESULT item, written with the
  message as `queued` and overwritten whole by the dispatcher's outcome (packs.py), so a pack's
  final states are one BatchWriteItem and the message items are not touched;
- any other message carries it on its MSG item, moved with every status change (messages.py);
- feedback (delivered, bounced, complained) moves it to the MSG item and takes it off the
  RESULT (messages.py), as feedback outranks an outcome (models.Outcome.applied_to).
A queued message whose pack cannot say when the message was stored (a body from before this
layout, a scheduled one, a dead letter) has its outcome set on the MSG item as well
(`result_status`, read by `shown_status`), and its RESULT is written without `st_pk`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mailpass.models import FEEDBACK_STATUSES, MessageStatus

# Once a message is in one of these, a dispatcher outcome no longer changes what it shows.
OUTRANKS_OUTCOME = FEEDBACK_STATUSES | {MessageStatus.CANCELED}


def log_sk(created_at: datetime, message_id: str) -> str:
    # Fixed width (isoformat pads the year, strftime does not) and UTC: string order is time
    # order.
    at = created_at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    return f"{at}#{message_id}"


def suppression_index(account_id: str, email: str, kind: str, at: datetime) -> dict[str, Any]:
    """A suppression's keys in the same two indexes, under SUP# (account ids never start so):
    the list oldest first, and by reason kind."""
    return {
        "log_pk": f"SUP#{account_id}",
        "log_sk": log_sk(at, email),
        "st_pk": f"SUP#{account_id}#{kind}",
    }


def time_bound(at: datetime, *, upper: bool) -> str:
    """A sort-key bound for created_at <= / >= `at` (whatever the message id)."""
    return log_sk(at, "\uffff" if upper else "")


def status_key(account_id: str, status: MessageStatus | str) -> str:
    return f"{account_id}#{MessageStatus(status).value}"


def to_key(account_id: str, to_email: str) -> str:
    return f"{account_id}#{to_email.strip().lower()}"


def tag_key(account_id: str, tag: str) -> str:
    return f"{account_id}#{tag}"


def message_index(
    account_id: str, message_id: str, status: MessageStatus, to_email: str, created_at: datetime
) -> dict[str, Any]:
    """The index attributes of a MSG item (to_item shape: plain values)."""
    return {
        "log_pk": account_id,
        "log_sk": log_sk(created_at, message_id),
        "st_pk": status_key(account_id, status),
        "to_pk": to_key(account_id, to_email),
    }


def tag_item(
    pk: str, *, account_id: str, message_id: str, tag: str, created_at: datetime, expires_at: int
) -> dict[str, Any]:
    return {
        "pk": pk,
        "sk": f"TAG#{tag}",
        "type": "tag",
        "tag_pk": tag_key(account_id, tag),
        "log_sk": log_sk(created_at, message_id),
        # The tag goes with its message.
        "expires_at": expires_at or None,
    }


def queued_result(
    pk: str, *, account_id: str, message_id: str, created_at: datetime, expires_at: int
) -> dict[str, Any]:
    """The RESULT item of a message stored `queued`: its place in the status index until the
    dispatcher writes its outcome over it (packs.py). Not final: `status` is `queued`."""
    return {
        "pk": pk,
        "sk": "RESULT",
        "status": MessageStatus.QUEUED.value,
        "st_pk": status_key(account_id, MessageStatus.QUEUED),
        "log_sk": log_sk(created_at, message_id),
        "expires_at": expires_at or None,
    }


def status_set(account_id: str, new: MessageStatus) -> tuple[str, dict[str, Any]]:
    """The SET clause (and its value) that moves the status index with a status change."""
    return "st_pk = :stk", {":stk": {"S": status_key(account_id, new)}}


def shown_status(d: dict[str, Any]) -> MessageStatus:
    """What a MSG item shows: its outcome (set with it by packs.py) unless a later status
    outranks it, as models.Outcome.applied_to."""
    status = MessageStatus(d["status"])
    result = d.get("result_status")
    if result and status not in OUTRANKS_OUTCOME:
        return MessageStatus(result)
    return status
