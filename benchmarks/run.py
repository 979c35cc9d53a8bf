"""`make bench`: every benchmark, results in benchmarks/results.json and a table on stdout."""

import argparse
import json
import os
from pathlib import Path

from benchmarks import cache, experiments, generator, pipeline, remote, serving
from benchmarks.workspace import threads

RESULTS = Path("benchmarks/results.json")
SUITES = {
    "pipeline": pipeline.bench,
    "cache": cache.bench,
    "experiments": experiments.bench,
    "remote": remote.bench,
    "serving": serving.bench,
    "generator": generator.bench,
}


def table(results: dict) -> str:
    lines = ["| suite | figure | measured | target | met |", "|---|---|---|---|---|"]
    for suite, found in results.items():
        for name, t in found.get("targets", {}).items():
            met = "yes" if t["met"] else "NO"
            lines.append(f"| {suite} | {name} | {t['measured']:.3f} | {t['relation']} {t['limit']} | {met} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("suites", nargs="*", metavar="suite", help=f"any of {list(SUITES)} (default: all)")
    parser.add_argument("--repeats", type=int, default=int(os.environ.get("BENCH_REPEATS", "3")))
    args = parser.parse_args()
    unknown = sorted(set(args.suites) - set(SUITES))
    if unknown:  # checked here: argparse rejects the empty default of nargs="*" with choices (3.11)
        parser.error(f"unknown suites {unknown}; choose from {list(SUITES)}")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    # In SUITES order whatever the command line's: a child's peak memory (ru_maxrss) starts at its
    # parent's size at fork, so the pipeline's stages must be timed before serving loads a model here.
    for suite in [name for name in SUITES if name in (args.suites or SUITES)]:
        print(f"running {suite} ({args.repeats} repeats) ...", flush=True)
        results[suite] = SUITES[suite](args.repeats) | {"threads": threads(), "repeats": args.repeats}
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(table(results))
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
