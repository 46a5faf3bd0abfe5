"""Usage stats: the counters the write paths keep per UTC hour (mailpass.usage), read with one
Query and folded into the buckets asked for. Nothing here scans messages.

- Granularity `hour`: buckets are UTC hours, each labelled in the offset `from` was given in.
  At most 7 days (168 buckets); default the last 24 hours.
- Granularity `day`: buckets are days from midnight in `from`'s offset (so a dashboard in
  UTC+02:00 gets its own days); the offset must be a whole number of hours, as the counters
  are hourly. At most 90 days; default the last 7 days.
- `from` is rounded down to its bucket's start, `until` (exclusive) up to a bucket's end.
  Buckets with nothing in them are there, with zeros.
- `domain`: only mail sent from that domain and its subdomains.
- Rates: `bounce_rate` = bounced / sent, `complaint_rate` = complained / sent, over the
  range (null when nothing was sent), as SES and the mailbox providers reckon them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from mailpass.errors import ValidationFailed
from mailpass.models import utcnow
from mailpass.ports import StatsStore
from mailpass.usage import COUNTS, HOUR_FORMAT, hour_of

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
STEP = {"hour": HOUR, "day": DAY}
MAX_RANGE = {"hour": timedelta(days=7), "day": timedelta(days=90)}
DEFAULT_RANGE = {"hour": timedelta(hours=24), "day": timedelta(days=7)}
# The window of the rates a sender domain shows (GET /domains).
DOMAIN_WINDOW = timedelta(days=30)
YEARS = (2000, 9000)
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": field, "message": message}])


def parse_time(field: str, value: str | None) -> datetime | None:
    """An RFC 3339 date-time with its offset (`Z` or `+02:00`); None when not given."""
    if value is None:
        return None
    text = value.strip()
    try:
        at = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" else text)
    except ValueError:
        at = None
    if at is None or "T" not in text.upper() or at.tzinfo is None:
        raise _invalid(
            field,
            f"{field} must be an RFC 3339 date-time with an offset, e.g. 2026-11-27T00:00:00Z",
        )
    if not YEARS[0] <= at.year <= YEARS[1]:
        # Far from any mail sent, and near datetime's own limits (a bucket past 9999 overflows).
        raise _invalid(field, f"{field} must be between the years {YEARS[0]} and {YEARS[1]}")
    return at


def normalize_domain(value: str) -> str:
    name = value.strip().rstrip(".").lower()
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise _invalid("domain", "domain is not a valid domain name") from None
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(x) for x in labels):
        raise _invalid("domain", "domain is not a valid domain name")
    return name


def _in_domain(attribute: str, domain: str | None) -> str | None:
    """The count `attribute` holds for `domain` (None: the account's own), or None."""
    if domain is None:
        return attribute if attribute in COUNTS else None
    name, sep, count = attribute.rpartition("#")
    if sep and count in COUNTS and (name == domain or name.endswith("." + domain)):
        return count
    return None


def _hour_start(hour: str) -> datetime:
    return datetime.strptime(hour, HOUR_FORMAT).replace(tzinfo=UTC)


def rates(counts: dict[str, int]) -> dict[str, float | None]:
    sent = counts.get("sent", 0)
    return {
        "bounce_rate": round(counts.get("bounced", 0) / sent, 4) if sent else None,
        "complaint_rate": round(counts.get("complained", 0) / sent, 4) if sent else None,
    }


class StatsService:
    def __init__(self, store: StatsStore, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._store = store
        self._clock = clock

    def _range(
        self, start: datetime | None, until: datetime | None, granularity: str
    ) -> tuple[datetime, datetime]:
        if until is None:
            now = self._clock()
            until = now if now.tzinfo else now.replace(tzinfo=UTC)
            if start is not None:
                until = until.astimezone(start.tzinfo)
        if start is None:
            start = until - DEFAULT_RANGE[granularity]
        if start >= until:
            raise _invalid("from", "from must be before until")
        if until - start > MAX_RANGE[granularity]:
            days = MAX_RANGE[granularity].days
            raise _invalid(
                "until", f"the range is at most {days} days with granularity={granularity}"
            )
        return start, until

    @staticmethod
    def _first(start: datetime, granularity: str) -> datetime:
        """The start of `start`'s bucket."""
        if granularity == "hour":
            return start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        offset = start.utcoffset() or timedelta(0)
        if offset % HOUR:
            raise _invalid(
                "from",
                "with granularity=day, from's offset must be a whole number of hours (the "
                "counters are hourly); use granularity=hour or another offset",
            )
        return start.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)

    def query(
        self,
        account_id: str,
        *,
        start: str | None = None,
        until: str | None = None,
        granularity: str = "day",
        domain: str | None = None,
    ) -> dict[str, Any]:
        if granularity not in STEP:
            raise _invalid("granularity", "granularity is hour or day")
        name = normalize_domain(domain) if domain is not None else None
        begin, end = self._range(parse_time("from", start), parse_time("until", until), granularity)
        step = STEP[granularity]
        first = self._first(begin, granularity)
        starts: list[datetime] = []
        at = first
        while at < end:
            starts.append(at)
            at += step
        found = self._store.hours(account_id, hour_of(first), hour_of(at - HOUR))
        buckets = [dict.fromkeys(COUNTS, 0) for _ in starts]
        for hour, counts in found.items():
            index = (_hour_start(hour) - first) // step
            if not 0 <= index < len(buckets):
                continue
            for attribute, n in counts.items():
                count = _in_domain(attribute, name)
                if count is not None:
                    buckets[index][count] += n
        totals = {c: sum(b[c] for b in buckets) for c in COUNTS}
        shown = begin.tzinfo
        return {
            "granularity": granularity,
            "from": starts[0].astimezone(shown).isoformat(),
            "until": at.astimezone(shown).isoformat(),
            "domain": name,
            "buckets": [
                {"start": s.astimezone(shown).isoformat(), **b}
                for s, b in zip(starts, buckets, strict=True)
            ],
            "totals": {**totals, **rates(totals)},
        }

    def domain_summaries(self, account_id: str, names: list[str]) -> dict[str, dict[str, Any]]:
        """Each sender domain's counts and rates over the last 30 days (its subdomains'
        mail included), from one Query of the account's buckets."""
        if not names:
            return {}
        now = self._clock()
        found = self._store.hours(account_id, hour_of(now - DOMAIN_WINDOW), hour_of(now))
        out: dict[str, dict[str, Any]] = {}
        for name in names:
            counts = dict.fromkeys(("sent", "delivered", "bounced", "complained"), 0)
            for bucket in found.values():
                for attribute, n in bucket.items():
                    count = _in_domain(attribute, name)
                    if count in counts:
                        counts[count] += n
            out[name] = {**counts, **rates(counts), "days": DOMAIN_WINDOW.days}
        return out
