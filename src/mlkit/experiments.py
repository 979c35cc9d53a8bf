"""Queued DVC experiment sweeps: expand a grid, queue it, run it with N workers under a timeout, collect.

The queue is driven through the `dvc` command line, as a user would; its workers find `dvc` on PATH.
"""

import itertools
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

from mlkit.runtime import JOBS_VARIABLE

POLL_SECONDS = 5  # polling faster eats the CPU that the second worker needs


@dataclass
class SweepOutcome:
    finished: list[str]
    failed: list[str]
    left_queued: list[str]
    seconds: float


def expand(grid: list[dict[str, list]]) -> list[dict[str, object]]:
    """Every combination of values within each block of the grid, blocks one after another."""
    runs = []
    for block in grid:
        names = sorted(block)
        for values in itertools.product(*(block[name] for name in names)):
            runs.append(dict(zip(names, values, strict=True)))
    return runs


def experiment_name(settings: dict[str, object]) -> str:
    """A readable, git-ref-safe name such as `model-hgb_learning_rate-0.05`."""
    parts = [f"{key.rsplit('.', 1)[-1]}-{value}" for key, value in settings.items()]
    return "_".join(parts).replace("/", "-").lower()


def _dvc(*args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["dvc", *args], text=True, capture_output=True, check=check, env=env)


def queue(runs: list[dict[str, object]]) -> list[str]:
    names = []
    for settings in runs:
        name = experiment_name(settings)
        options = [item for key, value in settings.items() for item in ("-S", f"{key}={_yaml(value)}")]
        _dvc("exp", "run", "--queue", "--name", name, *options)
        names.append(name)
    return names


def _yaml(value: object) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def queue_status() -> dict[str, str]:
    """Experiment name -> state (Queued, Running, Success, Failed) from `dvc queue status`'s table."""
    status = {}
    for line in _dvc("queue", "status").stdout.splitlines()[1:]:
        if line.startswith("Worker"):
            break
        fields = line.split()
        if len(fields) >= 4:
            status[fields[1]] = fields[-1]
    return status


def active_workers() -> int:
    """How many queue workers are alive, from `dvc queue status`'s last line."""
    for line in _dvc("queue", "status").stdout.splitlines():
        if line.startswith("Worker status:"):
            return int(line.split(":")[1].split()[0])
    return 0


def wait_for_workers_to_exit(deadline: float) -> None:
    """Poll gently until no queue worker is alive or the `time.monotonic()` deadline passes."""
    while active_workers() and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)


def run_queue(names: list[str], workers: int, timeout_seconds: float) -> SweepOutcome:
    """Start `workers` workers and wait, polling gently, until the queue drains or time runs out.

    Workers left from an earlier run are waited for first: a worker still shutting down would take
    the new tasks alone. A queue runs experiments side by side, so each worker's stages run one process
    each (`MLKIT_JOBS=1`, whatever the number of workers) and their work does not fight for the cores.
    Workers exit by themselves once the queue is empty; only on a timeout are the unfinished experiments
    killed and the workers stopped.
    """
    start = time.monotonic()
    deadline = start + timeout_seconds
    wait_for_workers_to_exit(deadline)
    _dvc("queue", "start", "--jobs", str(workers), env=dict(os.environ, **{JOBS_VARIABLE: "1"}))
    pending = set(names)
    status: dict[str, str] = {}
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        status = {name: state for name, state in queue_status().items() if name in pending}
        if status and all(s in ("Success", "Failed") for s in status.values()):
            break
    left = sorted(name for name, s in status.items() if s not in ("Success", "Failed"))
    if left:
        _dvc("queue", "kill", *left, check=False)
        _dvc("queue", "stop", check=False)
    return SweepOutcome(
        finished=sorted(n for n, s in status.items() if s == "Success"),
        failed=sorted(n for n, s in status.items() if s == "Failed"),
        left_queued=left,
        seconds=time.monotonic() - start,
    )


def experiments(names: list[str]) -> Iterator[tuple[str, dict, dict]]:
    """(name, params, metrics) of each named experiment, from `dvc exp show --json`."""
    shown = json.loads(_dvc("exp", "show", "--json").stdout)
    for commit in shown:
        for experiment in commit.get("experiments") or []:
            for rev in experiment.get("revs", []):
                if rev.get("name") in names:
                    data = rev.get("data", {})
                    params = {f: v.get("data", {}) for f, v in (data.get("params") or {}).items()}
                    metrics = {f: v.get("data", {}) for f, v in (data.get("metrics") or {}).items()}
                    yield rev["name"], params, metrics
