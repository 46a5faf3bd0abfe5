"""Usage counters (ports.StatsStore, mailpass.adapters.dynamodb.stats.DynamoStats), in memory:
the buckets the store fakes' write paths add to."""

from __future__ import annotations

from mailpass.usage import Tally

from tests.fakes.memory import Shared


class InMemoryStats(Shared):
    def add(self, tally: Tally, *, now: int) -> None:
        self.memory.add_tally(tally)

    def hours(self, account_id: str, first: str, last: str) -> dict[str, dict[str, int]]:
        return {
            hour: dict(counts)
            for (account, hour), counts in self.memory.stats.items()
            if account == account_id and first <= hour <= last
        }
