"""How a send's place under its provider's limit is held: the `Quota` strategies that the
delivery pipeline (service/delivery.py) takes places from."""

from __future__ import annotations

from mailpass.models import Provider
from mailpass.ports import Reservation
from mailpass.service.limits import Limits


class MessageQuota:
    """/send's quota: one place per provider tried, every refusal kept for the 429."""

    def __init__(self, limits: Limits, test: bool) -> None:
        self._limits = limits
        self._test = test
        self.taken: dict[str, Reservation] = {}
        self.refused: list[tuple[Provider, Reservation]] = []

    def take(self, provider: Provider) -> int | None:
        got = self._limits.take(provider, dry_run=self._test)
        if got.granted:
            self.taken[provider.provider_id] = got
            return None
        self.refused.append((provider, got))
        rate = Limits.rate(got)
        return rate.reset_seconds if rate else 60

    def unused(self, provider: Provider) -> None:
        got = self.taken.pop(provider.provider_id, None)
        if got is not None and not self._test:
            self._limits.give_back(provider, got)


class PackQuota:
    """Send-limit places for one pack: taken from a provider in one request for the rest of the
    pack, and what was not used given back at the end. Test keys only look."""

    def __init__(self, limits: Limits, test: bool) -> None:
        self._limits = limits
        self._test = test
        self.want = 1  # places to ask for when a provider's held ones are used up
        self._held: dict[str, tuple[Provider, Reservation, int]] = {}  # id -> (.., .., unused)
        self._full: dict[str, int] = {}  # id -> seconds until it has room again

    def take(self, provider: Provider) -> int | None:
        """None: a place is taken. Otherwise the seconds until the provider has room."""
        pid = provider.provider_id
        if pid in self._full:
            return self._full[pid]
        held = self._held.get(pid)
        if held is None or held[2] == 0:
            got = self._limits.take(provider, 1 if self._test else self.want, dry_run=self._test)
            if not got.granted:
                rate = Limits.rate(got)
                self._full[pid] = rate.reset_seconds if rate else 60
                return self._full[pid]
            held = (provider, got, 10**9 if self._test else got.granted)
        self._held[pid] = (held[0], held[1], held[2] - 1)
        return None

    def unused(self, provider: Provider) -> None:
        """The provider did not take the message: its place goes back to the pool."""
        held = self._held.get(provider.provider_id)
        if held is not None:
            self._held[provider.provider_id] = (held[0], held[1], held[2] + 1)

    def give_back_unused(self) -> None:
        if self._test:
            return
        for provider, got, left in self._held.values():
            if left > 0:
                self._limits.give_back(provider, got, left)
