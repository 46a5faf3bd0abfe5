"""`python -m bench [cold|warm]`: run, print a table, save bench/results/latest.json."""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str]) -> int:
    wanted = set(argv) or {"cold", "warm"}
    unknown = wanted - {"cold", "warm"}
    if unknown:
        print(
            f"usage: python -m bench [cold] [warm]  (unknown: {sorted(unknown)})", file=sys.stderr
        )
        return 2
    results: list[dict[str, Any]] = []
    if "cold" in wanted:
        from bench import cold_start

        results.append(cold_start.run())
    if "warm" in wanted:
        from bench import warm_send

        results.append(warm_send.run())

    print(f"\n{'benchmark':<72} {'ours':>9} {'baseline':>9} {'ratio':>6} {'target':>7}")
    for r in results:
        verdict = "ok" if r["ratio"] <= r["target"] else "MISSED"
        print(
            f"{r['name']:<72} {r['ours_ms']:>7.1f}ms {r['baseline_ms']:>7.1f}ms "
            f"{r['ratio']:>6.2f} {'<= ' + str(r['target']):>7} {verdict}"
        )
        extras = {
            k: v
            for k, v in r.items()
            if k not in {"name", "ours_ms", "baseline_ms", "ratio", "target"}
        }
        print(
            "    "
            + ", ".join(
                f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in extras.items()
            )
        )
    RESULTS.mkdir(exist_ok=True)
    record = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "results": results,
    }
    (RESULTS / "latest.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
