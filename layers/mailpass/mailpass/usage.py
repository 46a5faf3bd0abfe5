"""Usage counters: what one write adds to an account's hour buckets (a `Tally`), shared by the
write paths that fold it into their own request and by the stats service that reads it back.

An hour bucket holds the account's counts (`sent`, `delivered`, ...) and, in the same item,
each sender domain's (`<domain>#sent`, ...), so one write adds both and one read returns both.
Hours are UTC (`2026-11-27T03`). A bucket is split over a few shards (picked from the message
or pack id) so concurrent transactions rarely touch the same item; a read folds them."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

COUNTS = ("sent", "delivered", "failed", "bounced", "complained", "opened", "clicked")
SHARDS = 4
HOUR_FORMAT = "%Y-%m-%dT%H"


def hour_of(at: datetime) -> str:
    """The UTC hour bucket of `at` (naive means UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime(HOUR_FORMAT)


def domain_of(email: str | None) -> str | None:
    """The sending address's domain, lower case; None when there is none."""
    if not email or "@" not in email:
        return None
    domain = email.rpartition("@")[2].strip(" <>").lower().rstrip(".")
    return domain or None


def attributes(count: str, domain: str | None) -> list[str]:
    """The bucket attributes one event adds to: the account's, and its sender domain's."""
    if count not in COUNTS:
        raise ValueError(f"not a usage count: {count}")
    return [count, f"{domain}#{count}"] if domain else [count]


def shard_of(key: str) -> int:
    return zlib.crc32(key.encode("utf-8")) % SHARDS


# A queued message's final states counted in the usage stats (canceled is not: nothing was
# sent).
COUNTED_OUTCOMES = frozenset({"sent", "failed"})


@dataclass(frozen=True, slots=True)
class Tally:
    """ADDs to an account's hour buckets: {hour: {attribute: n}}, on one shard."""

    account_id: str
    adds: dict[str, dict[str, int]]
    shard: int = 0


def tally(
    account_id: str, events: Iterable[tuple[datetime, str, str | None]], *, key: str
) -> Tally | None:
    """The ADDs for these (time, count, sender domain) events; None when there are none.
    `key` (a message or pack id) picks the shard."""
    adds: dict[str, dict[str, int]] = {}
    for at, count, domain in events:
        bucket = adds.setdefault(hour_of(at), {})
        for name in attributes(count, domain):
            bucket[name] = bucket.get(name, 0) + 1
    return Tally(account_id, adds, shard_of(key)) if adds else None


def of_outcomes(
    account_id: str,
    outcomes: Iterable[tuple[str, datetime, str]],
    senders: Mapping[str, str | None],
) -> Tally | None:
    """The ADDs for queued messages' final states, (message id, time, status): the counted
    ones (COUNTED_OUTCOMES) of the messages in `senders` (message id -> sender address), each
    message once, by its last outcome."""
    last = {mid: (at, status) for mid, at, status in outcomes}
    return tally(
        account_id,
        (
            (at, status, domain_of(senders[mid]))
            for mid, (at, status) in last.items()
            if status in COUNTED_OUTCOMES and mid in senders
        ),
        key=next(iter(last), account_id),
    )


def one(account_id: str, message_id: str, at: datetime, count: str, sender: str | None) -> Tally:
    """One event of one message; `sender` is the from address (its domain is counted too)."""
    t = tally(account_id, [(at, count, domain_of(sender))], key=message_id)
    assert t is not None  # one event always adds
    return t
