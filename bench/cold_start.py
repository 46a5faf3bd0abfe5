"""Cold start: a fresh process imports the API handler and serves one GET /status, against a bare
FastAPI + Mangum + boto3 handler serving the same request, interleaved in the same run.

Each sample is the wall time of a child process from spawn to exit (interpreter start-up
included, as Lambda's init phase includes it); the child also reports its own import and first
request times. Reproduce with `make bench` (or `python -m bench cold`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

from bench.common import ROOT, SEND_BODY, Context, event, median, seeded_stack

SAMPLES = 15


def _child(kind: str, env: dict[str, str]) -> tuple[float, dict[str, float]]:
    argv = [sys.executable, "-m", "bench._cold_child", kind]
    if kind == "python":
        argv = [sys.executable, "-c", "pass"]
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = (time.perf_counter() - start) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{kind} child failed: {done.stderr[-2000:]}")
    return wall, (json.loads(done.stdout) if kind != "python" else {})


def run() -> dict[str, Any]:
    from mailpass.ids import hash_api_key

    with seeded_stack() as s:
        from mailpass_api.handler import lambda_handler

        sent = lambda_handler(event("send.json", s.api_key, body=SEND_BODY), Context())
        mid = json.loads(sent["body"])["data"]["message_id"]
        status_event = event("status.json", s.api_key, path=f"/api/v1/mail/status/{mid}")
        env = {
            **os.environ,
            **s.env,
            "BENCH_EVENT": json.dumps(status_event),
            "BENCH_KEY_HASH": hash_api_key(s.api_key),
        }
        walls: dict[str, list[float]] = {"mailpass": [], "baseline": [], "python": []}
        inner: dict[str, list[dict[str, float]]] = {"mailpass": [], "baseline": []}
        for kind in ("mailpass", "baseline"):  # one discarded run each: warms the OS file cache
            _child(kind, env)
        for _ in range(SAMPLES):
            for kind in ("mailpass", "baseline", "python"):
                wall, report = _child(kind, env)
                walls[kind].append(wall)
                if report:
                    inner[kind].append(report)

    def stat(kind: str, field: str) -> float:
        return median([r[field] for r in inner[kind]])

    ours, base = median(walls["mailpass"]), median(walls["baseline"])
    return {
        "name": "cold start: import + first GET /status (process wall time, median ms)",
        "ours_ms": ours,
        "baseline_ms": base,
        "ratio": ours / base,
        "target": 1.25,
        "samples": SAMPLES,
        "python_startup_ms": median(walls["python"]),
        "ours_import_ms": stat("mailpass", "import_ms"),
        "baseline_import_ms": stat("baseline", "import_ms"),
        "ours_first_request_ms": stat("mailpass", "request_ms"),
        "baseline_first_request_ms": stat("baseline", "request_ms"),
    }
