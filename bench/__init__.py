"""Benchmarks. Speed is measured here, not in timed tests: every number is printed as a ratio
against a baseline measured in the same run, on the same machine, against the same local stack.

    make bench                    # both, from the repository root
    .venv/bin/python -m bench cold   # or just one: cold | warm

Results are printed as a table and saved to bench/results/latest.json (gitignored). The exit
code is 0 even when a target is missed: a benchmark is a measurement, not a test."""
