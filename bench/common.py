"""Shared pieces: the local stack with a seeded account, events, a Lambda context, statistics."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
SEND_BODY = {"to": "user@example.com", "subject": "Bench", "html": "<p>Hello World</p>"}


@dataclass
class Context:
    function_name: str = "mailpass-bench"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:mailpass-bench"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


@dataclass
class Seeded:
    env: dict[str, str]
    api_key: str
    account_id: str
    smtp_port: int
    table: str
    sink: Any  # the SmtpSink: both sides deliver to it for real


@contextmanager
def seeded_stack() -> Iterator[Seeded]:
    from mailpass.container import get_container
    from mailpass_dev.seed import seed_dev
    from mailpass_dev.stack import LocalStack

    with (
        TemporaryDirectory() as tmp,
        LocalStack(outbox=Path(tmp), stack_name="mailpass-bench") as s,
    ):
        assert s.smtp is not None
        seeded = seed_dev(get_container().admin, "127.0.0.1", s.smtp.port)
        yield Seeded(
            dict(s.env), seeded.api_key, seeded.account_id, s.smtp.port, s.table_name, s.smtp
        )
        get_container().smtp_pool.close_all()


def event(name: str, key: str, *, path: str | None = None, body: Any = None) -> dict[str, Any]:
    ev: dict[str, Any] = json.loads((EVENTS / name).read_text())
    ev["headers"]["authorization"] = f"Bearer {key}"
    if path is not None:
        ev["rawPath"] = ev["requestContext"]["http"]["path"] = path
    if body is not None:
        ev["body"] = json.dumps(body)
        ev["headers"]["content-length"] = str(len(ev["body"]))
    return ev


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def p90(xs: list[float]) -> float:
    ordered = sorted(xs)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
