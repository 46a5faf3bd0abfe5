"""GET /mail/messages: the message log. An account's messages, newest first, filtered by status,
recipient, tag and a created_at range, paged with signed cursors (service/cursor.py). The store
answers each page from an index made for its filters (adapters/dynamodb/message_log.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from mailpass.errors import ValidationFailed
from mailpass.models import MessageStatus, Principal
from mailpass.ports_listing import LogQuery, MessageLog
from mailpass.service.cursor import Cursors
from mailpass.service.status import message_view

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        message, details=[{"field": field, "message": message, "type": "value_error"}]
    )


def parse_time(field: str, value: str | None) -> datetime | None:
    """RFC 3339: a date, a time and an offset (Z or ±hh:mm); a time without one is ambiguous."""
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _invalid(field, f"{field} must be an RFC 3339 date-time") from None
    if at.tzinfo is None or "T" not in value.upper():
        raise _invalid(field, f"{field} must be an RFC 3339 date-time with its offset")
    try:
        return at.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved past the calendar's end by its offset
        raise _invalid(field, f"{field} is out of range") from None


def parse_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise _invalid("limit", f"limit must be 1..{MAX_LIMIT}")
    return limit


class MessageLogService:
    def __init__(self, store: MessageLog, cursors: Cursors) -> None:
        self._store = store
        self._cursors = cursors

    def list(
        self,
        principal: Principal,
        *,
        status: str | None = None,
        to: str | None = None,
        tag: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        try:
            wanted = MessageStatus(status) if status is not None else None
        except ValueError:
            raise _invalid("status", f"unknown status {status!r}") from None
        lo, hi = parse_time("from", since), parse_time("until", until)
        if lo is not None and hi is not None and lo > hi:
            raise _invalid("from", "from must not be after until")
        to = to.strip().lower() if to is not None else None
        # The cursor is valid only with the filters it was issued for (another set may read
        # another index, where its position means nothing).
        scope = json.dumps(
            [
                wanted.value if wanted else None,
                to,
                tag,
                lo.isoformat() if lo else None,
                hi.isoformat() if hi else None,
            ]
        )
        account = principal.account_id
        page = self._store.list_messages(
            LogQuery(
                account_id=account,
                limit=parse_limit(limit),
                status=wanted,
                to=to,
                tag=tag,
                since=lo,
                until=hi,
                start=self._cursors.open(account, scope, cursor),
            )
        )
        return {
            "messages": [message_view(m) for m in page.messages],
            "next_cursor": self._cursors.seal(account, scope, page.next),
        }
