"""Benchmarks: `make bench` runs them on a scratch copy of the repository and writes results.json."""
