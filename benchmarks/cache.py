"""What `make check-cache` costs on the project's own cache (all 336,776 flights): every object that
dvc.lock names rehashed, against a `dvc status` beside it (which trusts its cached hashes)."""

import re

from benchmarks.workspace import ROOT, cpu_probe, median, run, target

TARGETS = {"check_cache_s": 5.0}  # cheap enough to run before every `make verify` and after `dvc pull`
CHECK = ["python", "-m", "mlkit.tooling.cache_check"]


def bench(repeats: int) -> dict:
    checks, statuses, output = [], [], ""
    for _ in range(max(repeats, 5)):
        result = run(CHECK, ROOT)
        checks.append(result.seconds)
        output = result.output
        statuses.append(run(["dvc", "status"], ROOT).seconds)
    objects, megabytes = re.search(r"OK: (\d+) cache objects \(([\d,.]+) MB\)", output).groups()
    results = {
        "check_cache_s": median(checks),
        "dvc_status_s": median(statuses),
        "objects_rehashed": int(objects),
        "megabytes_rehashed": round(float(megabytes.replace(",", ""))),
        "cpu_probe_s": cpu_probe(),
    }
    results["targets"] = {name: target(results[name], "<", limit) for name, limit in TARGETS.items()}
    return results
