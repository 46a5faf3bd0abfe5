"""The dashboard's shell (the JS and CSS a first visit loads) stays under its gzip budget.

`make dashboard` runs this after every build, so `make test` fails when the budget is passed."""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dashboard" / "dist"
BUDGET_KB = 150


def shell_gzip_bytes(dist: Path) -> dict[str, int]:
    """Each built JS and CSS file with its gzip size (level 9, as a CDN would compress)."""
    files = sorted(p for p in (dist / "assets").iterdir() if p.suffix in {".js", ".css"})
    return {p.name: len(gzip.compress(p.read_bytes(), compresslevel=9)) for p in files}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dist", type=Path, default=DIST)
    parser.add_argument("--budget-kb", type=float, default=BUDGET_KB)
    args = parser.parse_args()
    if not (args.dist / "assets").is_dir():
        print(f"{args.dist} has no build: run `make dashboard`", file=sys.stderr)
        return 1
    sizes = shell_gzip_bytes(args.dist)
    total = sum(sizes.values())
    for name, size in sizes.items():
        print(f"  {name:40} {size / 1024:7.1f} KB gzip")
    verdict = "within" if total <= args.budget_kb * 1024 else "OVER"
    budget = f"{args.budget_kb:g} KB budget"
    print(f"dashboard shell: {total / 1024:.1f} KB gzip ({verdict} the {budget})")
    return 0 if verdict == "within" else 1


if __name__ == "__main__":
    raise SystemExit(main())
