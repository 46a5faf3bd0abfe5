"""Benchmarks: `make bench` (or `python -m bench [cold|warm]`). Each prints ratios against a
baseline measured in the same run, on the same machine, against the same local stack."""
