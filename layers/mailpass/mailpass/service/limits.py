"""Per-provider send limits: hourly and daily windows in UTC, counted atomically in DynamoDB.

A send takes its place in every window of its provider before it is handed over, and gives it
back when the provider did not take the message, so only delivered sends use up quota."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from mailpass.models import Provider, utcnow
from mailpass.ports import QuotaStore, Reservation, Window


def windows_for(provider: Provider, now: datetime) -> list[Window]:
    out = []
    if provider.hourly_limit is not None:
        hour = now.replace(minute=0, second=0, microsecond=0)
        out.append(Window(f"H#{hour:%Y%m%d%H}", provider.hourly_limit, hour + timedelta(hours=1)))
    if provider.daily_limit is not None:
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        out.append(Window(f"D#{day:%Y%m%d}", provider.daily_limit, day + timedelta(days=1)))
    return out


@dataclass(frozen=True, slots=True)
class RateInfo:
    """What the RateLimit-* headers say about the window closest to its limit."""

    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(self.remaining, 0)),
            "RateLimit-Reset": str(self.reset_seconds),
        }


def seconds_until(when: datetime, now: datetime) -> int:
    return max(1, math.ceil((when - now).total_seconds()))


class Limits:
    def __init__(self, store: QuotaStore) -> None:
        self._store = store

    def take(
        self,
        provider: Provider,
        count: int = 1,
        *,
        dry_run: bool = False,
        now: datetime | None = None,
    ) -> Reservation:
        """Reserve up to `count` sends (all of them for /send; as many as fit for a pack).
        `dry_run` (test keys) checks without using anything up."""
        now = now or utcnow()
        windows = windows_for(provider, now)
        if not windows:
            return Reservation(granted=count)
        if dry_run:
            peeked = self._store.peek(provider.provider_id, windows)
            return Reservation(
                count if peeked.granted else 0,
                tuple(windows),
                peeked.refused_by,
                peeked.used,
                peeked.remaining,
            )
        want = count
        for _ in range(4):  # each miss tells us how much is left; concurrent takers may race us
            got = self._store.reserve(provider.provider_id, windows, want)
            if got.granted or got.refused_by is None or got.used is None:
                return got
            left = got.refused_by.limit - got.used
            if left <= 0 or count == 1:
                return got
            want = min(want, left)
        return Reservation(0, tuple(windows), got.refused_by, got.used)

    def usage(self, provider: Provider, now: datetime | None = None) -> dict[str, int | None]:
        """Sends counted in the current UTC hour and day. Only windows with a limit are
        counted (a send without one writes nothing), so those without are None."""
        windows = windows_for(provider, now or utcnow())
        counts = self._store.used(provider.provider_id, windows) if windows else []
        by_key = {w.key[:1]: n for w, n in zip(windows, counts, strict=True)}
        return {"hour": by_key.get("H"), "day": by_key.get("D")}

    def give_back(self, provider: Provider, reservation: Reservation, count: int = 1) -> None:
        if reservation.windows and count > 0:
            self._store.refund(provider.provider_id, list(reservation.windows), count)

    @staticmethod
    def rate(reservation: Reservation, now: datetime | None = None) -> RateInfo | None:
        now = now or utcnow()
        if reservation.refused_by is not None:
            w = reservation.refused_by
            return RateInfo(w.limit, 0, seconds_until(w.resets_at, now))
        if reservation.remaining is not None and reservation.windows:
            w = reservation.windows[0]
            return RateInfo(w.limit, reservation.remaining, seconds_until(w.resets_at, now))
        return None
