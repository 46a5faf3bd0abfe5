"""In-memory stand-in for the tracking HitLog (mailpass.adapters.dynamodb.hits.DynamoHits)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class InMemoryHits:
    markers: Counter[tuple[str, str, str, str, int]] = field(default_factory=Counter)
    counters: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def hit(
        self, account_id: str, message_id: str, kind: str, client: str, *, window: int, ttl: int
    ) -> bool:
        marker = (account_id, message_id, kind, client, window)
        self.markers[marker] += 1
        self.counters[(account_id, message_id, kind)] += 1
        return self.markers[marker] == 1

    def counted(self, account_id: str, message_id: str) -> dict[str, int]:
        return {k: self.counters[(account_id, message_id, k)] for k in ("open", "click")}
