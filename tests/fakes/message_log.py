"""The message log (ports_listing.MessageLog), in memory: the messages as get_message shows them
(outcome applied), newest first by (created_at, message id), a page at a time."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from mailpass.models import MessageRecord
from mailpass.ports_listing import LogPage, LogQuery

from tests.fakes.memory import Shared


def _order(m: MessageRecord) -> str:
    at = m.created_at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    return f"{at}#{m.message_id}"


def _within(at: datetime, query: LogQuery) -> bool:
    return (query.since is None or at >= query.since) and (query.until is None or at <= query.until)


class InMemoryMessageLog(Shared):
    def list_messages(self, query: LogQuery) -> LogPage:
        shown = []
        for (account, mid), stored in self.memory.messages.items():
            if account != query.account_id:
                continue
            m = copy.deepcopy(stored)
            result = self.memory.results.get((account, mid))
            if result is not None:
                m = result.applied_to(m)
            shown.append(m)
        to = query.to.strip().lower() if query.to is not None else None
        matching = sorted(
            (
                m
                for m in shown
                if (query.status is None or m.status is query.status)
                and (to is None or m.to_email.strip().lower() == to)
                and (query.tag is None or query.tag in m.tags)
                and _within(m.created_at, query)
            ),
            key=_order,
            reverse=True,
        )
        if query.start is not None:
            after = query.start["at"]
            matching = [m for m in matching if _order(m) < after]
        page = matching[: query.limit]
        more = len(matching) > query.limit
        return LogPage(page, {"at": _order(page[-1])} if more else None)
