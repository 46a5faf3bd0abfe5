"""The tracking hit log (ports.HitLog, mailpass.adapters.dynamodb.hits.DynamoHits), in memory."""

from __future__ import annotations

from collections import Counter

from tests.fakes.memory import Memory, Shared


class InMemoryHits(Shared):
    def __init__(self, memory: Memory | None = None) -> None:
        super().__init__(memory)
        self.markers: Counter[tuple[str, str, str, str, int]] = Counter()
        self.counters: Counter[tuple[str, str, str]] = Counter()

    def hit(
        self, account_id: str, message_id: str, kind: str, client: str, *, window: int, ttl: int
    ) -> bool:
        marker = (account_id, message_id, kind, client, window)
        self.markers[marker] += 1
        # As the adapter: a message that is gone is not brought back as a bare counter.
        if (account_id, message_id) in self.memory.messages:
            self.counters[(account_id, message_id, kind)] += 1
        return self.markers[marker] == 1

    def counted(self, account_id: str, message_id: str) -> dict[str, int]:
        return {k: self.counters[(account_id, message_id, k)] for k in ("open", "click")}
