"""The tracking hit log (ports.HitLog, mailpass.adapters.dynamodb.hits.DynamoHits), in memory."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from mailpass import usage
from mailpass.models import utcnow

from tests.fakes.memory import Memory, Shared


class InMemoryHits(Shared):
    def __init__(self, memory: Memory | None = None) -> None:
        super().__init__(memory)
        self.markers: Counter[tuple[str, str, str, str, int]] = Counter()
        self.counters: Counter[tuple[str, str, str]] = Counter()

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
        marker = (account_id, message_id, kind, client, window)
        self.markers[marker] += 1
        # As the adapter: a message that is gone is not brought back as a bare counter.
        message = self.memory.messages.get((account_id, message_id))
        if message is not None:
            self.counters[(account_id, message_id, kind)] += 1
            # The message's first of its kind (of any client) counts in the usage stats.
            counted = self.memory.counted.setdefault((account_id, message_id), set())
            if kind not in counted:
                counted.add(kind)
                if not message.test:
                    count = "opened" if kind == "open" else "clicked"
                    self.memory.add_tally(
                        usage.one(account_id, message_id, at or utcnow(), count, message.from_email)
                    )
        return self.markers[marker] == 1

    def counted(self, account_id: str, message_id: str) -> dict[str, int]:
        return {k: self.counters[(account_id, message_id, k)] for k in ("open", "click")}
