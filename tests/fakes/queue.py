"""An in-memory SQS queue with a redrive policy, so /send-batch and the dispatcher run in unit
tests on the store fakes (tests/fakes, held to the adapter by tests/contract). Same rules as
the real queue; state is kept, calls are not mocked."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from mailpass.ports import QueuedMessage


@dataclass
class _Entry:
    body: str
    receives: int = 0
    visible_at: float = 0.0
    receipt: str | None = None


@dataclass
class InMemoryQueue:
    """SQS as the dispatcher sees it: visibility timeouts on `clock`, and, with a
    `dead_letters` queue, a message received more than `max_receives` times moves there."""

    clock: Callable[[], float]
    dead_letters: InMemoryQueue | None = None
    max_receives: int = 8
    entries: dict[int, _Entry] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def send_batch(
        self, bodies: dict[str, str], delays: dict[str, int] | None = None
    ) -> dict[str, str]:
        now = self.clock()
        for key, body in bodies.items():
            delay = (delays or {}).get(key, 0)
            assert 0 <= delay <= 900, "SQS takes DelaySeconds 0..900"
            self.entries[next(self._ids)] = _Entry(body, visible_at=now + delay)
        return {}

    def receive(self, max_messages: int, wait_seconds: int, visibility: int) -> list[QueuedMessage]:
        out: list[QueuedMessage] = []
        now = self.clock()
        for key, entry in list(self.entries.items()):
            if len(out) >= max_messages:
                break
            if entry.visible_at > now:
                continue
            if self.dead_letters is not None and entry.receives >= self.max_receives:
                del self.entries[key]
                self.dead_letters.send_batch({"0": entry.body})
                continue
            entry.receives += 1
            entry.visible_at = now + visibility
            entry.receipt = f"{key}#{entry.receives}"
            out.append(QueuedMessage(entry.receipt, entry.body, entry.receives))
        return out

    def _by_receipt(self, receipt: str) -> int | None:
        return next((k for k, e in self.entries.items() if e.receipt == receipt), None)

    def delete(self, receipts: list[str]) -> None:
        for receipt in receipts:
            key = self._by_receipt(receipt)
            if key is not None:
                del self.entries[key]

    def delay(self, receipts: dict[str, int]) -> None:
        for receipt, seconds in receipts.items():
            key = self._by_receipt(receipt)
            if key is not None:
                self.entries[key].visible_at = self.clock() + seconds

    def depth(self) -> dict[str, int]:
        now = self.clock()
        visible = sum(1 for e in self.entries.values() if e.visible_at <= now)
        return {"visible": visible, "in_flight": len(self.entries) - visible, "delayed": 0}

    def bodies(self) -> list[str]:
        return [copy.copy(e.body) for e in self.entries.values()]
