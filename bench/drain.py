"""Batch drain: messages queued through POST /send-batch (the API's Lambda handler, 100 per
request) and then drained by the dispatcher's Lambda handler, given events/schedule.json, to the
local SMTP catcher. Against a floor of raw smtplib on one connection sending prebuilt messages,
plus the minimum DynamoDB writes (one status item per message, 25 per BatchWriteItem).
Target: our throughput >= 0.6 of the floor's.

Rounds alternate which side goes first. Only the drain is timed (enqueueing is not part of
throughput); the floor's messages are built before its clock starts. Every AWS request our code
makes, on both paths, is counted with a botocore hook on its clients: target <= 2 DynamoDB writes
and <= 0.3 SQS requests per message. The dispatcher polls with WaitTimeSeconds=0 here, because
its production long poll (1 s) adds a fixed second to every invocation's tail, not per message;
moto answers a short poll with everything visible. Reproduce with `make bench` (or
`.venv/bin/python -m bench drain`)."""

from __future__ import annotations

import json
import os
import secrets
import smtplib
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any, cast

from bench.common import (
    EVENTS,
    Context,
    Requests,
    Result,
    Row,
    Stack,
    load_event,
    stdout_discarded,
)

ROUNDS = 3
PER_ROUND = 400
PER_REQUEST = 100
TARGET_THROUGHPUT = 0.6
TARGET_DYNAMODB_WRITES = 2.0
TARGET_SQS = 0.3
# Lambda CPU scales with memory: a full vCPU at 1,769 MB, so 256 MB gets this share of one.
VCPU_AT_256MB = 256 / 1769
ARM_PRICE_PER_GB_S = 0.0000133334  # us-east-1, arm64

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


@dataclass
class Countdown(Context):
    """The dispatcher's context: 100 s of timeout (template.yaml), running down."""

    function_name: str = "mailpass-bench-DispatcherFunction"
    budget_ms: int = 100_000
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return int(self.budget_ms - (time.monotonic() - self.started) * 1000)


def per_message(counts: Counter[tuple[str, str]], n: int) -> dict[str, float]:
    dynamodb_writes = sum(
        c for (svc, op), c in counts.items() if svc == "dynamodb" and op in WRITES
    )
    dynamodb_reads = sum(
        c for (svc, op), c in counts.items() if svc == "dynamodb" and op not in WRITES
    )
    sqs = sum(c for (svc, _), c in counts.items() if svc == "sqs")
    return {
        "dynamodb_writes": dynamodb_writes / n,
        "dynamodb_reads": dynamodb_reads / n,
        "sqs": sqs / n,
    }


def batch_events(stack: Stack, n: int, run: str) -> list[dict[str, Any]]:
    """n messages as /send-batch requests of 100: the shape of events/send.json, one recipient."""
    template = json.loads(json.loads((EVENTS / "send.json").read_text())["body"])
    events = []
    for start in range(0, n, PER_REQUEST):
        body = {
            "from_name": template.get("from_name"),
            "messages": [
                {
                    "to": f"drain{i}.{run}@example.com",
                    "subject": template["subject"],
                    "text": template["text"],
                    "html": template["html"],
                }
                for i in range(start, min(start + PER_REQUEST, n))
            ],
        }
        event = load_event("send-batch.json", stack.api_key)
        event["body"] = json.dumps(body, ensure_ascii=False)
        event["headers"]["content-length"] = str(len(event["body"].encode()))
        events.append(event)
    return events


class Floor:
    """One smtplib connection and one boto3 client; messages built before the clock starts."""

    def __init__(self, stack: Stack) -> None:
        import boto3

        self.db: Any = boto3.client("dynamodb")
        self.table = stack.table
        self.smtp = smtplib.SMTP("127.0.0.1", stack.smtp_port, local_hostname="floor.local")
        self.smtp.ehlo()
        self.template = json.loads(json.loads((EVENTS / "send.json").read_text())["body"])

    def prepare(self, n: int, run: str) -> list[tuple[str, str, bytes]]:
        out = []
        for i in range(n):
            mid = f"<floor-drain{i}.{run}@bench.local>"
            to = f"floor{i}.{run}@example.com"
            msg = EmailMessage(policy=SMTP)
            msg["Message-ID"] = mid
            msg["Date"] = format_datetime(datetime.now(UTC))
            msg["From"] = "dev@example.com"
            msg["To"] = to
            msg["Subject"] = self.template["subject"]
            msg.set_content(self.template["text"], charset="utf-8")
            msg.add_alternative(self.template["html"], subtype="html", charset="utf-8")
            out.append((mid, to, msg.as_bytes()))
        return out

    def drain(self, prepared: list[tuple[str, str, bytes]]) -> None:
        pending: list[dict[str, Any]] = []
        for mid, to, raw in prepared:
            self.smtp.sendmail("dev@example.com", [to], raw)
            pending.append(
                {
                    "PutRequest": {
                        "Item": {
                            "pk": {"S": f"FLOOR#{mid}"},
                            "sk": {"S": "RESULT"},
                            "status": {"S": "sent"},
                            "at": {"S": datetime.now(UTC).isoformat()},
                        }
                    }
                }
            )
            if len(pending) == 25:
                self._write(pending)
                pending = []
        if pending:
            self._write(pending)

    def _write(self, requests: list[dict[str, Any]]) -> None:
        out = self.db.batch_write_item(RequestItems={self.table: requests})
        if out.get("UnprocessedItems"):
            raise RuntimeError("floor: unprocessed items")

    def close(self) -> None:
        self.smtp.quit()


def run(stack: Stack, rounds: int = ROUNDS, per_round: int = PER_ROUND) -> Result:
    from mailpass_api.handler import lambda_handler as api_handler
    from mailpass_dev.stack import reset_process_caches
    from mailpass_dispatcher.handler import lambda_handler as dispatch_handler

    os.environ["MAILPASS_RECEIVE_WAIT_SECONDS"] = "0"
    reset_process_caches()
    api_context = cast(Any, Context())
    schedule = json.loads((EVENTS / "schedule.json").read_text())
    requests = Requests()

    def enqueue(n: int, run_id: str) -> float:
        start = time.perf_counter()
        for event in batch_events(stack, n, run_id):
            out = api_handler(event, api_context)
            if out["statusCode"] != 200 or json.loads(out["body"])["data"]["queued"] != min(
                n, PER_REQUEST
            ):
                raise RuntimeError(f"/send-batch: {out['statusCode']} {out['body'][:500]}")
        return time.perf_counter() - start

    def drain() -> tuple[float, float, dict[str, Any]]:
        start, cpu = time.perf_counter(), time.thread_time()
        report = dispatch_handler(schedule, cast(Any, Countdown()))
        return time.perf_counter() - start, time.thread_time() - cpu, report

    print(f"batch drain: {rounds} rounds of {per_round} messages, ours and floor ...", flush=True)
    floor = Floor(stack)
    times: dict[str, list[float]] = {"ours": [], "floor": []}
    cpu: list[float] = []
    api_s: list[float] = []
    counts_enqueue: Counter[tuple[str, str]] = Counter()
    counts_drain: Counter[tuple[str, str]] = Counter()
    try:
        with stdout_discarded():
            enqueue(PER_REQUEST, "warmup")  # creates the clients, fills the caches
            drain()
            floor.drain(floor.prepare(20, "warmup"))
            requests.hook_all()
            for r in range(rounds):
                run_id = f"{secrets.token_hex(3)}r{r}"
                caught_before = len(stack.sink.caught)
                before = requests.snapshot()
                api_s.append(enqueue(per_round, run_id))
                middle = requests.snapshot()
                counts_enqueue += middle - before
                prepared = floor.prepare(per_round, run_id)

                def ours() -> None:
                    wall, used, report = drain()
                    if report["sent"] != per_round:
                        raise RuntimeError(f"drain sent {report['sent']} of {per_round}: {report}")
                    times["ours"].append(wall)
                    cpu.append(used)

                def theirs(prepared: list[tuple[str, str, bytes]] = prepared) -> None:
                    start = time.perf_counter()
                    floor.drain(prepared)
                    times["floor"].append(time.perf_counter() - start)

                for side in (ours, theirs) if r % 2 == 0 else (theirs, ours):
                    side()
                counts_drain += requests.snapshot() - middle
                caught = len(stack.sink.caught) - caught_before
                if caught != 2 * per_round:
                    raise RuntimeError(f"caught {caught} messages, expected {2 * per_round}")
    finally:
        floor.close()
        os.environ.pop("MAILPASS_RECEIVE_WAIT_SECONDS", None)
        reset_process_caches()

    n = rounds * per_round
    ours_rate = n / sum(times["ours"])
    floor_rate = n / sum(times["floor"])
    total_counts = counts_enqueue + counts_drain
    whole = per_message(total_counts, n)
    enqueue_pm = per_message(counts_enqueue, n)
    drain_pm = per_message(counts_drain, n)

    # Lambda-seconds per 1,000 messages: the drain and the /send-batch calls, as measured here
    # (wall), and scaled to 256 MB's share of a vCPU (CPU time stretched, waiting unchanged).
    drain_wall = sum(times["ours"]) / n * 1000
    drain_cpu = sum(cpu) / n * 1000
    drain_256 = (drain_wall - drain_cpu) + drain_cpu / VCPU_AT_256MB
    api_wall = sum(api_s) / n * 1000
    api_256 = api_wall / VCPU_AT_256MB  # an upper bound: treats the API's time as all CPU
    gb_s = (drain_256 + api_256) * 0.25
    rows = [
        Row(
            "drain throughput",
            ours_rate,
            floor_rate,
            TARGET_THROUGHPUT,
            unit="msg/s",
            higher=True,
        ),
        Row(
            "DynamoDB writes per message",
            whole["dynamodb_writes"],
            None,
            TARGET_DYNAMODB_WRITES,
            unit="req/msg",
        ),
        Row("  of which enqueue", enqueue_pm["dynamodb_writes"], unit="req/msg"),
        Row("  of which drain", drain_pm["dynamodb_writes"], unit="req/msg"),
        Row("DynamoDB reads per message", whole["dynamodb_reads"], unit="req/msg"),
        Row("SQS requests per message", whole["sqs"], None, TARGET_SQS, unit="req/msg"),
        Row("Lambda-s per 1,000 msgs, drain (here)", drain_wall, unit="s"),
        Row("  scaled to 256 MB", drain_256, unit="s"),
        Row("Lambda-s per 1,000 msgs, /send-batch (here)", api_wall, unit="s"),
        Row("  scaled to 256 MB (all as CPU)", api_256, unit="s"),
    ]
    notes = [
        f"drain at 256 MB: {drain_256 + api_256:.1f} Lambda-s = {gb_s:.2f} GB-s per 1,000 "
        f"messages, ${gb_s * ARM_PRICE_PER_GB_S * 1000:.3f} per million on arm64 "
        "(before request charges); local DynamoDB/SMTP round trips are faster than AWS's",
        "requests by operation: "
        + ", ".join(f"{svc}.{op} {c / n:.3f}" for (svc, op), c in sorted(total_counts.items())),
    ]
    return Result(
        name=f"batch drain ({rounds} rounds of {per_round} messages each side)",
        baseline_label="smtplib on one connection + one status write per message, 25 per batch",
        rows=rows,
        notes=notes,
        details={
            "rounds": rounds,
            "per_round": per_round,
            "drain_s": times,
            "drain_cpu_s": cpu,
            "enqueue_s": api_s,
            "requests": {f"{svc}.{op}": c for (svc, op), c in sorted(total_counts.items())},
        },
    )
