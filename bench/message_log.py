"""Message log pages: GET /api/v1/mail/messages through the API's Lambda handler, for an account
holding 1,000 messages (the baseline) and one holding 50,000 (ours), for each filter (none,
status, to, tag, a date range), first page and the next one through its cursor. Each page is one
Query on an index made for its filter (plus one BatchGetItem for a tag), so its cost must not grow
with the account: target ratio <= 1.2.

Both accounts are seeded straight into DynamoDB Local with BatchWriteItem, the items built by the
adapter's own builder (adapters/dynamodb/messages.message_items), so they are what /send and
/send-batch write. Rounds alternate which account goes first. Reproduce with `make bench` (or
`.venv/bin/python -m bench log`)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from bench.common import Context, Result, Row, Stack, load_event, median, stdout_discarded

SMALL = 1_000
LARGE = 50_000
ROUNDS = 40
WARMUP = 5
TARGET = 1.2
STATUSES = ("sent", "delivered", "failed", "bounced")
RECIPIENTS = 20
TAGS = 10
START = datetime(2026, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=30)


def _records(account_id: str, n: int) -> list[Any]:
    from mailpass.ids import new_id
    from mailpass.models import MessageRecord, MessageStatus

    step = SPAN / n
    far = int(time.time()) + 10 * 365 * 86400  # DynamoDB Local's TTL must not take them
    return [
        MessageRecord(
            account_id=account_id,
            message_id=f"<{new_id('b')}@bench.mailpass.im>",
            status=MessageStatus(STATUSES[i % len(STATUSES)]),
            from_email="bench@example.com",
            to_email=f"r{i % RECIPIENTS}@example.com",
            subject=f"Bench {i}",
            tags=[f"t{i % TAGS}"],
            metadata={"i": i},
            provider_id="prov_bench",
            provider_kind="smtp",
            created_at=START + step * i,
            expires_at=far,
        )
        for i in range(n)
    ]


def seed(db: Any, table: str, account_id: str, n: int) -> None:
    from mailpass.adapters.dynamodb.messages import message_items
    from mailpass.adapters.dynamodb.retry import batch_write

    requests = [
        {"PutRequest": {"Item": item}} for r in _records(account_id, n) for item in message_items(r)
    ]
    chunks = [requests[i : i + 500] for i in range(0, len(requests), 500)]
    with ThreadPoolExecutor(8) as pool:
        left = sum(len(x) for x in pool.map(lambda c: batch_write(db, table, c), chunks))
    if left:
        raise RuntimeError(f"{left} items not seeded")


FILTERS: dict[str, dict[str, str]] = {
    "none": {},
    "status": {"status": "failed"},
    "to": {"to": "r7@example.com"},
    "tag": {"tag": "t3"},
    "date range": {
        "from": (START + SPAN * 0.4).isoformat(),
        "until": (START + SPAN * 0.6).isoformat(),
    },
}


def run(stack: Stack, rounds: int = ROUNDS, warmup: int = WARMUP) -> Result:
    import boto3
    from mailpass.container import get_container
    from mailpass_api.handler import lambda_handler

    container = get_container()
    small_account = container.admin.create_account("Bench 1k")
    large_account = container.admin.create_account("Bench 50k")
    keys = {
        "small": container.admin.create_api_key(small_account.account_id, ["mail"]).api_key,
        "large": container.admin.create_api_key(large_account.account_id, ["mail"]).api_key,
    }
    db: Any = boto3.client("dynamodb")
    started = time.perf_counter()
    seed(db, stack.table, small_account.account_id, SMALL)
    seed(db, stack.table, large_account.account_id, LARGE)
    seeded_s = time.perf_counter() - started
    context = cast(Any, Context())

    def get(size: str, params: dict[str, str]) -> dict[str, Any]:
        event = load_event("status.json", keys[size], path="/api/v1/mail/messages")
        event["rawQueryString"] = urlencode(params)
        event["queryStringParameters"] = params
        out = lambda_handler(event, context)
        if out["statusCode"] != 200:
            raise RuntimeError(f"{size} {params}: {out['statusCode']} {out['body']}")
        data: dict[str, Any] = json.loads(out["body"])["data"]
        if len(data["messages"]) != 20:
            raise RuntimeError(f"{size} {params}: a short page ({len(data['messages'])})")
        return data

    def timed(size: str, params: dict[str, str]) -> float:
        t0 = time.perf_counter()
        get(size, params)
        return (time.perf_counter() - t0) * 1000

    rows: list[Row] = []
    details: dict[str, Any] = {"seeded_s": round(seeded_s, 1), "filters": {}}
    with stdout_discarded():
        for name, params in FILTERS.items():
            cursors = {size: get(size, params)["next_cursor"] for size in ("small", "large")}
            samples: dict[str, list[float]] = {"small": [], "large": []}
            for n in range(warmup + rounds):
                order = ("small", "large") if n % 2 == 0 else ("large", "small")
                for size in order:
                    first = timed(size, params)
                    following = timed(size, {**params, "cursor": cursors[size]})
                    if n >= warmup:
                        samples[size] += [first, following]
            details["filters"][name] = samples
            rows.append(
                Row(
                    f"page of 20, filter: {name}",
                    median(samples["large"]),
                    median(samples["small"]),
                    TARGET,
                )
            )
    return Result(
        "message log",
        f"the same page for an account of {SMALL:,} messages (ours: {LARGE:,})",
        rows,
        notes=[
            f"message log: seeded {SMALL + LARGE:,} messages (and their tag items) in "
            f"{seeded_s:.0f} s; medians of {rounds} rounds x (first page + cursor page)"
        ],
        details=details,
    )
