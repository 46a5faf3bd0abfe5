"""One cold start, in a fresh process started by bench/cold_start.py (`make bench`).

`python -m bench._cold_child mailpass|baseline`: import that handler (the API's lambda_handler,
or bench.baseline_app's), serve the API Gateway event in $BENCH_EVENT once, check the answer,
and print this process's own times as one JSON line. Before the handler import only what both
sides need is loaded, and the Lambda context is a plain class, so the child adds nothing of its
own to either side.

It leaves with os._exit: a Lambda sandbox is frozen or killed, never finalized, so interpreter
teardown (about 140 ms here, on either side) is no part of a cold start and would only dilute
the ratio."""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402


class _Context:
    function_name = "mailpass-bench-ApiFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:mailpass-bench"
    aws_request_id = "00000000-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def main(which: str) -> int:
    event = json.loads(os.environ["BENCH_EVENT"])
    expect = os.environ["BENCH_EXPECT"]
    t_import = time.perf_counter()
    handler: Any
    if which == "mailpass":
        from mailpass_api.handler import lambda_handler as handler
    elif which == "baseline":
        from bench.baseline_app import handler
    else:
        print(f"unknown handler {which!r}", file=sys.stderr)
        return 2
    t_ready = time.perf_counter()
    out = handler(event, _Context())
    t_done = time.perf_counter()
    if out.get("statusCode") != 200 or expect not in out.get("body", ""):
        print(f"{which}: {out.get('statusCode')} {str(out.get('body'))[:500]}", file=sys.stderr)
        return 1
    times = {
        "import_ms": (t_ready - t_import) * 1000,
        "request_ms": (t_done - t_ready) * 1000,
        "in_process_ms": (t_done - _T0) * 1000,
    }
    print(json.dumps(times), flush=True)
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1] if len(sys.argv) > 1 else "")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
