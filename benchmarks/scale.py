"""The scale runs (`make bench-scale`, not CI): the whole `dvc repro` on the flights replicated
`data.scale` times, in a scratch copy of the project, with its wall time, the peak memory of the whole
process tree (DVC and the stage it runs) and each stage's own peak and time, into benchmarks/scale.json.

Usage: python -m benchmarks.scale [SCALE ...]   (default: 1 3 10 30 100; each scale's entry is replaced
as soon as it completes, so an interrupted series keeps what it measured)
"""

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks.workspace import ROOT, cpu_probe, environment, scratch_repo, target, threads

RESULTS = ROOT / "benchmarks" / "scale.json"
SCALES = [1, 3, 10, 30, 100]
STAGE = "flights.stages."
SAMPLE_SECONDS = 0.2
# issue 20's targets, against the 1x run's time of the same series
TARGETS = {"peak_gb_10x": 2.0, "peak_gb_100x": 12.0, "time_ratio_100x": 100.0}


def _status_kb(pid: int, field: str, source: str = "status") -> int:
    """A memory figure of /proc/PID/status (or smaps_rollup) in kB (0 when the process has gone)."""
    try:
        for line in Path(f"/proc/{pid}/{source}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pids: list[int]) -> int:
    """The proportional set size of processes together: a page shared by forked processes (a stage's
    workers and the table they inherit) counts once, split between them, not once per process."""
    return sum(_status_kb(pid, "Pss", "smaps_rollup") for pid in pids)


def _descendants(root: int) -> list[int]:
    """Every live process under `root`, itself included."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _stage_of(pid: int) -> str | None:
    """The stage a process runs when it is `python -m flights.stages.NAME` itself (not the shell that
    DVC starts it with)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return None
    if len(args) > 2 and args[1] == "-m" and args[2].startswith(STAGE):
        return args[2].removeprefix(STAGE)
    return None


class TreeSampler(threading.Thread):
    """Samples the memory of a process tree every SAMPLE_SECONDS: the peak of its proportional set size
    (PSS, the memory the tree takes from the machine), and per stage (the process running
    flights.stages.NAME, with the workers it forks) the peak PSS of its subtree, the stage process's own
    high-water mark (VmHWM, exact between samples) and the seconds it was seen."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root, self.done = root, threading.Event()
        self.peak_kb = 0
        self.stages: dict[str, dict] = {}

    def run(self) -> None:
        while not self.done.is_set():
            tree = _descendants(self.root)
            self.peak_kb = max(self.peak_kb, _pss_kb(tree))
            now = time.perf_counter()
            for pid in tree:
                stage = _stage_of(pid)
                if stage is None:
                    continue
                seen = self.stages.setdefault(stage, {"first": now, "peak_kb": 0, "process_kb": 0})
                seen["last"] = now
                seen["peak_kb"] = max(seen["peak_kb"], _pss_kb(_descendants(pid)))
                seen["process_kb"] = max(seen["process_kb"], _status_kb(pid, "VmHWM"))
            self.done.wait(SAMPLE_SECONDS)


def set_scale(repo: Path, scale: int) -> None:
    params = repo / "params.yaml"
    text, count = re.subn(r"(?m)^(  scale: )\d+", rf"\g<1>{scale}", params.read_text())
    if count != 1:
        raise RuntimeError("params.yaml has no `data.scale` line to set")
    params.write_text(text)


def measure(repo: Path, scale: int) -> dict:
    """One full `dvc repro` at `scale` from an empty cache and no outputs."""
    set_scale(repo, scale)
    subprocess.run(["rm", "-rf", ".dvc/cache", ".dvc/tmp", "data/raw", "data/prepared"], cwd=repo, check=True)
    log = (repo / f"repro-{scale}x.log").open("w")
    start = time.perf_counter()
    process = subprocess.Popen(["dvc", "repro"], cwd=repo, env=environment(), stdout=log, stderr=log)
    sampler = TreeSampler(process.pid)
    sampler.start()
    code = process.wait()
    seconds = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    if code:
        raise RuntimeError(f"dvc repro at scale {scale} failed ({code}): see {log.name}")
    ingest = json.loads((repo / "metrics" / "ingest.json").read_text())
    return {
        "scale": scale,
        "flights": ingest["rows_kept"]["flights"],
        "seconds": round(seconds, 1),
        "peak_gb": round(sampler.peak_kb / 2**20, 3),
        "stages": {
            name: {
                "seconds": round(seen["last"] - seen["first"], 1),
                "peak_gb": round(seen["peak_kb"] / 2**20, 3),
            }
            for name, seen in sampler.stages.items()
        },
    }


def _targets(runs: list[dict]) -> dict:
    by_scale = {run["scale"]: run for run in runs}
    found = {}
    if 10 in by_scale:
        found["peak_gb_10x"] = target(by_scale[10]["peak_gb"], "<", TARGETS["peak_gb_10x"])
    if 100 in by_scale:
        found["peak_gb_100x"] = target(by_scale[100]["peak_gb"], "<", TARGETS["peak_gb_100x"])
        if 1 in by_scale:
            ratio = by_scale[100]["seconds"] / by_scale[1]["seconds"]
            found["time_ratio_100x"] = target(round(ratio, 1), "<", TARGETS["time_ratio_100x"] + 1e-9)
    return found


def save(runs: list[dict], extra: dict) -> None:
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    merged = {run["scale"]: run for run in previous.get("runs", [])} | {run["scale"]: run for run in runs}
    ordered = [merged[scale] for scale in sorted(merged)]
    document = previous | extra | {"runs": ordered, "targets": _targets(ordered)}
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")


def main(argv: list[str]) -> None:
    scales = [int(value) for value in argv] or SCALES
    repo = scratch_repo("scale")
    extra = {"cpu_probe_s": round(cpu_probe(), 2), "threads": threads()}
    for scale in scales:
        result = measure(repo, scale)
        print(json.dumps(result), flush=True)
        save([result], extra)


if __name__ == "__main__":
    main(sys.argv[1:])
