"""Shared by the benchmarks: the local stack with a seeded account, API Gateway events, a Lambda
context, statistics, and the rows the report prints. Reproduce with `make bench`."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailpass_dev.servers import SmtpSink

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"


@dataclass
class Context:
    """The Lambda context the handler reads (the shape of tests/integration's LambdaContext)."""

    function_name: str = "mailpass-bench-ApiFunction"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:mailpass-bench"
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


@dataclass(frozen=True)
class Stack:
    """The running local stack, as the benchmarks need it."""

    env: dict[str, str]
    api_key: str
    account_id: str
    table: str
    smtp_port: int
    sink: SmtpSink


@contextlib.contextmanager
def local_stack() -> Iterator[Stack]:
    """DynamoDB Local, moto and an SMTP catcher, with this process pointed at them, and one
    account with a `mail` key and a default SMTP provider on the catcher."""
    from mailpass.container import get_container
    from mailpass_dev.seed import seed_dev
    from mailpass_dev.stack import LocalStack

    with (
        TemporaryDirectory(prefix="mailpass-bench-") as outbox,
        LocalStack(outbox=Path(outbox), stack_name="mailpass-bench") as running,
    ):
        assert running.smtp is not None
        seeded = seed_dev(get_container().admin, "127.0.0.1", running.smtp.port)
        try:
            yield Stack(
                env=dict(running.env),
                api_key=seeded.api_key,
                account_id=seeded.account_id,
                table=running.table_name,
                smtp_port=running.smtp.port,
                sink=running.smtp,
            )
        finally:
            get_container().smtp_pool.close_all()


def load_event(name: str, key: str, *, path: str | None = None) -> dict[str, Any]:
    """One of the canonical samples in events/, authorized with `key`, optionally re-pathed."""
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    event["headers"]["authorization"] = f"Bearer {key}"
    if path is not None:
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["pathParameters"] = {"proxy": path.lstrip("/")}
    return event


@contextlib.contextmanager
def stdout_discarded() -> Iterator[None]:
    """Powertools prints EMF metric blobs on stdout; keep them out of the report."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def p90(xs: list[float]) -> float:
    """Nearest-rank 90th percentile."""
    ordered = sorted(xs)
    return ordered[max(0, -(-len(ordered) * 9 // 10) - 1)]


@dataclass(frozen=True)
class Row:
    """One line of the report. With a baseline, the target bounds ours/baseline; without one, it
    bounds the value itself. `higher` flips the bound (throughput). No target: information."""

    name: str
    ours_ms: float
    baseline_ms: float | None = None
    target: float | None = None
    unit: str = "ms"
    higher: bool = False

    @property
    def ratio(self) -> float | None:
        return None if self.baseline_ms is None else self.ours_ms / self.baseline_ms

    @property
    def judged(self) -> float | None:
        """The number the target applies to."""
        return self.ours_ms if self.baseline_ms is None else self.ratio

    @property
    def passed(self) -> bool | None:
        value = self.judged
        if self.target is None or value is None:
            return None
        return value >= self.target if self.higher else value <= self.target

    def value(self, v: float | None) -> str:
        if v is None:
            return "-"
        digits = 3 if self.unit.endswith("/msg") else 1
        return f"{v:.{digits}f} {self.unit}"

    def bound(self) -> str:
        if self.target is None:
            return "-"
        return f"{'>=' if self.higher else '<='} {self.target:.2f}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "ours": round(self.ours_ms, 4),
            "baseline": None if self.baseline_ms is None else round(self.baseline_ms, 4),
            "ratio": None if self.ratio is None else round(self.ratio, 4),
            "target": self.target,
            "higher_is_better": self.higher,
            "passed": self.passed,
        }


@dataclass
class Result:
    """What one benchmark hands the report: its rows and, for the JSON, everything else."""

    name: str
    baseline_label: str
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "baseline": self.baseline_label,
            "rows": [r.as_dict() for r in self.rows],
            "notes": self.notes,
            "details": self.details,
        }


class Requests:
    """Counts every API call our clients make, by service and operation."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self._hooked: set[int] = set()

    def hook_all(self) -> None:
        from mailpass.adapters import aws

        for client in list(aws._clients.values()):  # the process's own clients
            if id(client) not in self._hooked:
                client.meta.events.register("before-call", self._count)
                self._hooked.add(id(client))

    def _count(self, model: Any, **_: Any) -> None:
        self.counts[(model.service_model.service_name, model.name)] += 1

    def snapshot(self) -> Counter[tuple[str, str]]:
        return Counter(self.counts)
