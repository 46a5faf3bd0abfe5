"""Cold start: a fresh Python process imports the API's Lambda handler and serves one
GET /api/v1/mail/status/<id> for an existing message, against a bare FastAPI + Mangum + boto3
handler (bench/baseline_app.py) serving the same event from the same table. Target: ours/baseline
<= 1.25 on the median.

Each sample is the wall time of a child process (`python -m bench._cold_child ...`) from spawn
to exit, as Lambda's init includes interpreter start-up and imports; the child also reports its
own clock (handler import, first request). The child exits with os._exit right after answering:
Lambda never finalizes an interpreter, so teardown is left out on both sides. The kinds are
interleaved, rotating which goes first, after one discarded run each to warm the OS file cache.
For scale, `python -c pass` is timed the same way. Reproduce with `make bench` (or
`.venv/bin/python -m bench cold`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any, cast

from bench.common import ROOT, Context, Result, Row, Stack, load_event, median, stdout_discarded

SAMPLES = 20
TARGET = 1.25
KINDS = ("mailpass", "baseline", "python")


def _spawn(kind: str, env: dict[str, str]) -> tuple[float, dict[str, float]]:
    if kind == "python":
        argv = [sys.executable, "-c", "pass"]
    else:
        argv = [sys.executable, "-m", "bench._cold_child", kind]
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    wall_ms = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        raise RuntimeError(
            f"cold child {kind!r} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    if kind == "python":
        return wall_ms, {}
    last = [line for line in done.stdout.splitlines() if line.startswith("{")][-1]
    return wall_ms, cast(dict[str, float], json.loads(last))


def _seed_message(stack: Stack) -> str:
    """One real /send through the handler in this process; its message is what /status reads."""
    from mailpass_api.handler import lambda_handler

    with stdout_discarded():
        out = lambda_handler(load_event("send.json", stack.api_key), cast(Any, Context()))
    if out["statusCode"] != 200:
        raise RuntimeError(f"seeding /send failed: {out['statusCode']} {out['body']}")
    return cast(str, json.loads(out["body"])["data"]["message_id"])


def run(stack: Stack, samples: int = SAMPLES) -> Result:
    message_id = _seed_message(stack)
    event = load_event("status.json", stack.api_key, path=f"/api/v1/mail/status/{message_id}")
    env = {
        **os.environ,
        **stack.env,
        "BENCH_EVENT": json.dumps(event),
        "BENCH_EXPECT": message_id,  # both answers must carry the message
    }
    for kind in KINDS:  # discarded: warms the page cache and writes any missing .pyc
        _spawn(kind, env)

    walls: dict[str, list[float]] = {kind: [] for kind in KINDS}
    inner: dict[str, list[dict[str, float]]] = {"mailpass": [], "baseline": []}
    print(f"cold start: {samples} rounds of {', '.join(KINDS)} ...", flush=True)
    for i in range(samples):
        shift = i % len(KINDS)
        for kind in KINDS[shift:] + KINDS[:shift]:
            wall, report = _spawn(kind, env)
            walls[kind].append(wall)
            if report:
                inner[kind].append(report)

    def child(kind: str, key: str) -> float:
        return median([r[key] for r in inner[kind]])

    def outside(kind: str) -> float:
        return median(
            [w - r["in_process_ms"] for w, r in zip(walls[kind], inner[kind], strict=True)]
        )

    rows = [
        Row(
            "cold start: spawn to answer, GET /status",
            median(walls["mailpass"]),
            median(walls["baseline"]),
            TARGET,
        ),
        Row(
            "  child's own clock: import + 1st request",
            child("mailpass", "in_process_ms"),
            child("baseline", "in_process_ms"),
        ),
        Row("    handler import", child("mailpass", "import_ms"), child("baseline", "import_ms")),
        Row("    first request", child("mailpass", "request_ms"), child("baseline", "request_ms")),
        Row("  outside it: interpreter start-up, exit", outside("mailpass"), outside("baseline")),
        Row("  python -c pass (interpreter alone)", median(walls["python"])),
    ]
    return Result(
        name=f"cold start (median of {samples} fresh processes each)",
        baseline_label="bare FastAPI+Mangum+boto3",
        rows=rows,
        notes=[
            "cold start: the baseline imports boto3 at module import; ours defers it to the first"
            " request, so compare the import/request split as a sum, not line by line.",
        ],
        details={
            "samples": samples,
            "message_id": message_id,
            "wall_ms": walls,
            "child_ms": inner,
        },
    )
