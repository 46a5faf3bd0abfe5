"""Waiting in tests: on the condition itself, with a deadline, never for a fixed time.

A fixed sleep is either too short on a loaded machine (a flaky failure) or too long everywhere
(a slow suite); polling the condition ends as soon as it holds and fails with what was awaited.
Small enough that a library (tenacity, polling2) would add a dependency for no gain."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until[T](
    condition: Callable[[], T], what: str, *, timeout: float = 30.0, interval: float = 0.05
) -> T:
    """Call `condition` until it returns something truthy, and return that. Past `timeout`
    seconds raise AssertionError naming `what` and the last value seen. The timeout is a
    ceiling for a loaded machine, not an expected duration: generous costs nothing here."""
    deadline = time.monotonic() + timeout
    while True:
        last = condition()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout:g}s for {what}; last saw {last!r}")
        time.sleep(interval)
