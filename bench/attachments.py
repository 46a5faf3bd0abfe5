"""Attachments, two figures against floors measured in the same run:

- warm /send with a 1 MiB attachment (base64 in the request, as a client sends it) through the
  API's Lambda handler, against warm_send's floor (one boto3 client, one open SMTP connection,
  the same essential DynamoDB calls) sending the same message prebuilt before the clock starts.
  Target: ours/floor <= 1.3 on the median.
- batch drain of messages that carry a file: /send-batch (100 messages a request, all with the
  request's one 24 KiB PDF, so the batch stores it once in S3), then the dispatcher's handler,
  against drain's floor (smtplib on one connection, prebuilt messages with the file, one status
  write per message, 25 a batch) plus one S3 GET per distinct attachment. Target: throughput
  ours/floor >= 0.6.

Reproduce with `.venv/bin/python -m bench attach` (or `make bench`)."""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from typing import Any, cast

from bench import drain as drain_bench
from bench import warm_send
from bench.common import (
    EVENTS,
    Context,
    Result,
    Row,
    Stack,
    load_event,
    median,
    p90,
    stdout_discarded,
)

SEND_ROUNDS = 60
SEND_WARMUP = 5
FILE_BYTES = 1024 * 1024
DRAIN_ROUNDS = 3
DRAIN_PER_ROUND = 200  # two /send-batch requests of 100, one distinct file each
DRAIN_FILE_BYTES = 24 * 1024


def _pdf(size: int) -> bytes:
    head = b"%PDF-1.4\n"
    return head + secrets.token_bytes(size - len(head))  # incompressible, like a real PDF


def _with_file(raw_message: bytes, data: bytes, filename: str) -> bytes:
    """The floor's prebuilt message with the same file attached (stdlib email, built once)."""
    from email import message_from_bytes
    from email.policy import SMTP

    msg = message_from_bytes(raw_message, policy=SMTP)
    msg.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return msg.as_bytes()


def run_send(stack: Stack, rounds: int = SEND_ROUNDS, warmup: int = SEND_WARMUP) -> list[Row]:
    from mailpass_api.handler import lambda_handler

    data = _pdf(FILE_BYTES)
    event = load_event("send.json", stack.api_key)
    request: dict[str, Any] = json.loads(event["body"])
    request["attachments"] = [
        {"filename": "report.pdf", "content": base64.b64encode(data).decode()}
    ]
    event["body"] = json.dumps(request, ensure_ascii=False)
    event["headers"]["content-length"] = str(len(event["body"].encode()))
    context = cast(Any, Context())

    def ours() -> None:
        out = lambda_handler(event, context)
        if out["statusCode"] != 200:
            raise RuntimeError(f"/send: {out['statusCode']} {out['body'][:300]}")

    floor = warm_send.Floor(stack, request)
    floor.raw = _with_file(floor.raw, data, "report.pdf")
    times: dict[str, list[float]] = {"ours": [], "floor": []}
    caught_before = len(stack.sink.caught)
    print(f"warm /send + 1 MiB file: {warmup} warm-up + {rounds} rounds ...", flush=True)
    try:
        with stdout_discarded():
            for _ in range(warmup):
                ours()
                floor.send()
            pair = (("ours", ours), ("floor", floor.send))
            for i in range(rounds):
                for name, call in pair if i % 2 == 0 else pair[::-1]:
                    start = time.perf_counter()
                    call()
                    times[name].append((time.perf_counter() - start) * 1000)
    finally:
        floor.close()
    caught = stack.sink.caught[caught_before:]
    if len(caught) != 2 * (warmup + rounds):
        raise RuntimeError(f"caught {len(caught)}, expected {2 * (warmup + rounds)}")
    return [
        Row(
            "warm /send + 1 MiB file: median",
            median(times["ours"]),
            median(times["floor"]),
            warm_send.TARGET,
        ),
        Row("  p90 per send", p90(times["ours"]), p90(times["floor"])),
    ]


def run_drain(stack: Stack, rounds: int = DRAIN_ROUNDS, per_round: int = DRAIN_PER_ROUND) -> Row:
    import boto3
    from mailpass_api.handler import lambda_handler as api_handler
    from mailpass_dev.stack import reset_process_caches
    from mailpass_dispatcher.handler import lambda_handler as dispatch_handler

    os.environ["MAILPASS_RECEIVE_WAIT_SECONDS"] = "0"
    reset_process_caches()
    bucket = stack.env["MAILPASS_ATTACHMENT_BUCKET"]
    s3: Any = boto3.client("s3")
    api_context = cast(Any, Context())
    schedule = json.loads((EVENTS / "schedule.json").read_text())
    floor = drain_bench.Floor(stack)
    times: dict[str, list[float]] = {"ours": [], "floor": []}
    print(f"batch drain with files: {rounds} rounds of {per_round} messages ...", flush=True)

    def enqueue(n: int, run_id: str, files: list[bytes]) -> None:
        events = drain_bench.batch_events(stack, n, run_id)
        for event, data in zip(events, files, strict=True):
            body = json.loads(event["body"])
            attachment = {"filename": "invoice.pdf", "content": base64.b64encode(data).decode()}
            for m in body["messages"]:
                m["attachments"] = [attachment]
            event["body"] = json.dumps(body, ensure_ascii=False)
            event["headers"]["content-length"] = str(len(event["body"].encode()))
            out = api_handler(event, api_context)
            queued = json.loads(out["body"]).get("data", {}).get("queued")
            if out["statusCode"] != 200 or queued != len(body["messages"]):
                raise RuntimeError(f"/send-batch: {out['statusCode']} {out['body'][:300]}")

    try:
        with stdout_discarded():
            warm = [_pdf(DRAIN_FILE_BYTES)]
            enqueue(drain_bench.PER_REQUEST, "warmup", warm)
            dispatch_handler(schedule, cast(Any, drain_bench.Countdown()))
            for r in range(rounds):
                run_id = f"{secrets.token_hex(3)}a{r}"
                files = [_pdf(DRAIN_FILE_BYTES) for _ in range(per_round // 100)]
                enqueue(per_round, run_id, files)
                # The floor's objects: the same files, one S3 object each, read while timed.
                keys = [f"floor/{run_id}/{n}" for n in range(len(files))]
                for key, data in zip(keys, files, strict=True):
                    s3.put_object(Bucket=bucket, Key=key, Body=data)
                prepared = [
                    (mid, to, _with_file(raw, files[i // 100], "invoice.pdf"))
                    for i, (mid, to, raw) in enumerate(floor.prepare(per_round, run_id))
                ]

                def ours() -> None:
                    start = time.perf_counter()
                    report = dispatch_handler(schedule, cast(Any, drain_bench.Countdown()))
                    if report["sent"] != per_round:
                        raise RuntimeError(f"drain sent {report['sent']} of {per_round}")
                    times["ours"].append(time.perf_counter() - start)

                def theirs(
                    prepared: list[tuple[str, str, bytes]] = prepared, keys: list[str] = keys
                ) -> None:
                    start = time.perf_counter()
                    for key in keys:
                        s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                    floor.drain(prepared)
                    times["floor"].append(time.perf_counter() - start)

                for side in (ours, theirs) if r % 2 == 0 else (theirs, ours):
                    side()
    finally:
        floor.close()
        os.environ.pop("MAILPASS_RECEIVE_WAIT_SECONDS", None)
        reset_process_caches()
    n = rounds * per_round
    return Row(
        "drain throughput, messages with a file",
        n / sum(times["ours"]),
        n / sum(times["floor"]),
        drain_bench.TARGET_THROUGHPUT,
        unit="msg/s",
        higher=True,
    )


def run(stack: Stack) -> Result:
    rows = run_send(stack)
    rows.append(run_drain(stack))
    return Result(
        name="attachments",
        baseline_label="the warm /send and drain floors with the same files (+1 S3 GET each)",
        rows=rows,
        notes=[
            f"/send carries a {FILE_BYTES} B file as base64; the drain's messages a"
            f" {DRAIN_FILE_BYTES} B file, one per 100-message batch, stored once in S3"
        ],
    )
