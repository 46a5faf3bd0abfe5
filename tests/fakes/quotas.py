"""Send-limit counters (ports.QuotaStore), in memory, with the DynamoDB counters' rules."""

from __future__ import annotations

from mailpass.ports import Reservation, Window

from tests.fakes.memory import Shared


class InMemoryQuotas(Shared):
    def _used(self, provider_id: str, w: Window) -> int:
        return self.memory.quota.get((provider_id, w.key), 0)

    def reserve(self, provider_id: str, windows: list[Window], count: int) -> Reservation:
        full = next((w for w in windows if count > w.limit), None)
        if full is not None:  # more than the window could ever hold
            return Reservation(0, tuple(windows), full, self._used(provider_id, full))
        for w in windows:
            used = self._used(provider_id, w)
            if used + count > w.limit:
                return Reservation(0, tuple(windows), w, used)
        for w in windows:
            self.memory.quota[(provider_id, w.key)] = self._used(provider_id, w) + count
        if len(windows) == 1:
            (w,) = windows
            return Reservation(count, (w,), remaining=w.limit - self._used(provider_id, w))
        return Reservation(count, tuple(windows))

    def peek(self, provider_id: str, windows: list[Window]) -> Reservation:
        for w in windows:
            used = self._used(provider_id, w)
            if used + 1 > w.limit:
                return Reservation(0, tuple(windows), w, used)
        return Reservation(1, tuple(windows))

    def used(self, provider_id: str, windows: list[Window]) -> list[int]:
        return [self._used(provider_id, w) for w in windows]

    def refund(self, provider_id: str, windows: list[Window], count: int) -> None:
        for w in windows:
            self.memory.quota[(provider_id, w.key)] = self._used(provider_id, w) - count
