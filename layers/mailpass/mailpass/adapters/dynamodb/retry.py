"""Every DynamoDB retry loop goes through `retry`: a bounded number of attempts with full-jitter
exponential backoff (AWS's recommended shape: contending writers spread out instead of
colliding again in lockstep). Throttling inside one request is botocore's job; this covers
what DynamoDB hands back for us to redo: UnprocessedKeys, UnprocessedItems and transactions
cancelled by a conflicting one."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, Protocol

ATTEMPTS = 6
BASE_SECONDS = 0.02
CAP_SECONDS = 1.0


class RetriesExhausted(RuntimeError):
    """DynamoDB still handed work back after the last attempt."""


class Again:
    """Returned by an attempt that must be repeated: a typed stand-in for "not yet"."""


AGAIN = Again()


def backoff(attempt: int, *, base: float = BASE_SECONDS, cap: float = CAP_SECONDS) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return random.uniform(0, min(cap, base * 2**attempt))


def retry[T](
    attempt: Callable[[], T | Again],
    *,
    what: str,
    attempts: int = ATTEMPTS,
    base: float = BASE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`attempt()` until it returns something other than AGAIN, at most `attempts` times, with
    a jittered pause between tries; then RetriesExhausted."""
    for n in range(attempts):
        got = attempt()
        if not isinstance(got, Again):
            return got
        if n + 1 < attempts:
            sleep(backoff(n, base=base))
    raise RetriesExhausted(f"{what}: still unfinished after {attempts} attempts")


class BatchClient(Protocol):
    """The two batch calls, with request and response as plain dicts."""

    def batch_get_item(self, *, RequestItems: Any) -> Any: ...  # noqa: N803 (boto3's name)
    def batch_write_item(self, *, RequestItems: Any) -> Any: ...  # noqa: N803


def batch_get(
    db: BatchClient,
    table: str,
    keys: list[dict[str, Any]],
    *,
    consistent: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """Every item found for `keys`, 100 keys a request (BatchGetItem's limit), redoing the
    UnprocessedKeys; RetriesExhausted when DynamoDB keeps handing keys back."""
    found: list[dict[str, Any]] = []
    for i in range(0, len(keys), 100):
        pending: dict[str, Any] = {table: {"Keys": keys[i : i + 100], "ConsistentRead": consistent}}

        def step() -> bool | Again:
            nonlocal pending
            out = db.batch_get_item(RequestItems=pending)
            found.extend(out.get("Responses", {}).get(table, []))
            pending = out.get("UnprocessedKeys") or {}
            return AGAIN if pending else True

        retry(step, what="BatchGetItem", sleep=sleep)
    return found


def batch_write(
    db: BatchClient,
    table: str,
    requests: list[dict[str, Any]],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """BatchWriteItem in 25s (its limit), redoing the UnprocessedItems; returns the requests
    that never went through, for the caller to report."""
    left: list[dict[str, Any]] = []
    for i in range(0, len(requests), 25):
        pending = requests[i : i + 25]

        def step() -> bool | Again:
            nonlocal pending
            out = db.batch_write_item(RequestItems={table: pending})
            pending = list(out.get("UnprocessedItems", {}).get(table, []))
            return AGAIN if pending else True

        try:
            retry(step, what="BatchWriteItem", sleep=sleep)
        except RetriesExhausted:
            left.extend(pending)
    return left
