"""The read side of the lists the API pages through: the message log and the suppression list
(ports.py holds the delivery path).

A store answers one page at a time from where the last one stopped. The position is the store's
own (DynamoDB's LastEvaluatedKey, a fake's last sort key): a flat dict of strings that the service
signs into an opaque cursor, so a client can neither forge nor move it to another account or
another filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from mailpass.models import MessageRecord, MessageStatus

Position = dict[str, str]


@dataclass(frozen=True, slots=True)
class LogQuery:
    """One page of an account's messages, newest first. Every filter is optional; `since` and
    `until` bound created_at (both inclusive)."""

    account_id: str
    limit: int
    status: MessageStatus | None = None
    to: str | None = None
    tag: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    start: Position | None = None


@dataclass(frozen=True, slots=True)
class LogPage:
    messages: list[MessageRecord]
    # None: nothing after this page. A page may hold fewer than `limit` messages (a combined
    # filter applied within the page read) and still have a next one.
    next: Position | None


class MessageLog(Protocol):
    def list_messages(self, query: LogQuery) -> LogPage: ...


@dataclass(frozen=True, slots=True)
class SuppressionPage:
    entries: list[dict[str, Any]]
    next: Position | None


class SuppressionLister(Protocol):
    def suppression(self, account_id: str, email: str) -> dict[str, Any] | None:
        """One entry (email, reason, kind, message_id, created_at), or None."""
        ...

    def suppression_page(
        self, account_id: str, *, reason: str | None, limit: int, start: Position | None
    ) -> SuppressionPage:
        """Entries oldest first, all or of one reason kind (models.SUPPRESSION_KINDS)."""
        ...
