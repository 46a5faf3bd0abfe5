"""One cold start: import a handler, serve one request, report the times. Run by cold_start.py."""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402


def main() -> None:
    which = sys.argv[1]
    event = json.loads(os.environ["BENCH_EVENT"])
    from bench.common import Context

    t_import = time.perf_counter()
    if which == "mailpass":
        from mailpass_api.handler import lambda_handler as handler
    else:
        from bench.baseline_app import handler
    t_ready = time.perf_counter()
    out = handler(event, Context())
    t_done = time.perf_counter()
    if out["statusCode"] != 200:
        raise SystemExit(f"{which}: {out['statusCode']} {out['body'][:300]}")
    print(
        json.dumps(
            {
                "import_ms": (t_ready - t_import) * 1000,
                "request_ms": (t_done - t_ready) * 1000,
                "in_process_ms": (t_done - _T0) * 1000,
            }
        )
    )


if __name__ == "__main__":
    main()
