"""`python -m bench [cold] [warm] [drain] [track] [attach] [sdk] [log]` (`make bench`: all):
start the local stack once, run the benchmarks, print a table of ours vs baseline with the ratio
and its target, and save everything (raw samples included) to bench/results/latest.json. Exits 0
even when a target is missed."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

from bench.common import Result, Row, local_stack

RESULTS = Path(__file__).resolve().parent / "results"
BENCHMARKS = ("cold", "warm", "drain", "track", "attach", "sdk", "log")


def _mark(row: Row) -> str:
    if row.passed is None:
        return ""
    return "PASS" if row.passed else "MISS  <<<"


def render(results: list[Result]) -> str:
    header = ("benchmark", "ours", "baseline", "ratio", "target", "")
    lines: list[tuple[str, ...]] = []
    for result in results:
        lines.append((f"[{result.name}; baseline: {result.baseline_label}]",))
        for r in result.rows:
            lines.append(
                (
                    r.name,
                    r.value(r.ours_ms),
                    r.value(r.baseline_ms),
                    "-" if r.ratio is None else f"{r.ratio:.2f}",
                    r.bound(),
                    _mark(r),
                )
            )
    full = [line for line in lines if len(line) == len(header)]
    widths = [max(len(line[i]) for line in [header, *full]) for i in range(len(header))]

    def fmt(line: tuple[str, ...]) -> str:
        if len(line) == 1:
            return line[0]
        cells = [line[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(line[1:-1], widths[1:-1], strict=True)]
        return "  ".join([*cells, line[-1]]).rstrip()

    rule = "-" * len(fmt((*header[:-1], "MISS  <<<")))
    out = [rule, fmt(header), rule]
    for line in lines:
        out.append(fmt(line))
    out.append(rule)
    for result in results:
        out.extend(f"note: {note}" for note in result.notes)
    missed = [(res, r) for res in results for r in res.rows if r.passed is False]
    for _, r in missed:
        out.append(f"TARGET MISSED: {r.name.strip()}: {r.judged:.3f}, wanted {r.bound()}")
    if not missed:
        out.append("All targets met.")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if any(a in {"-h", "--help"} for a in argv) or set(argv) - set(BENCHMARKS):
        print(
            "usage: python -m bench [cold] [warm] [drain] [track] [attach] [sdk] [log]"
            "   (default: all)",
            file=sys.stderr,
        )
        return 0 if any(a in {"-h", "--help"} for a in argv) else 2
    wanted = [name for name in BENCHMARKS if name in argv] or list(BENCHMARKS)
    started = time.perf_counter()
    results: list[Result] = []
    print("starting the local stack (DynamoDB Local, moto, SMTP catcher) ...", flush=True)
    with local_stack() as stack:
        if "cold" in wanted:
            from bench import cold_start

            results.append(cold_start.run(stack))
        if "warm" in wanted:
            from bench import warm_send

            results.append(warm_send.run(stack))
        if "drain" in wanted:
            from bench import drain

            results.append(drain.run(stack))
        if "track" in wanted:
            from bench import track

            results.append(track.run(stack))
        if "attach" in wanted:
            from bench import attachments

            results.append(attachments.run(stack))
        if "sdk" in wanted:
            from bench import sdk

            results.append(sdk.run(stack))
        if "log" in wanted:
            from bench import message_log

            results.append(message_log.run(stack))
    elapsed = time.perf_counter() - started

    print()
    print(render(results))
    record = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "elapsed_s": round(elapsed, 1),
        "benchmarks": [r.as_dict() for r in results],
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "latest.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"\n{elapsed:.0f} s in all; saved {path.relative_to(Path.cwd(), walk_up=True)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
