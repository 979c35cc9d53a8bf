"""Queued DVC experiment sweeps: expand a grid, queue it, run it with N workers under a timeout, collect.

The queue is filled and started through the `dvc` command line, as a user would (its workers find `dvc`
on PATH); it is watched through DVC's Python API in this process, because each `dvc queue status`
process costs almost a second of CPU, taken from the workers at every poll.
"""

import itertools
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

from dvc.repo import Repo

from mlkit.runtime import JOBS_VARIABLE

POLL_SECONDS = 2  # a poll costs ~0.1 s of CPU in this process
STOP_TIMEOUT_S = 120  # for killed experiments' workers to exit
ENDED = ("Success", "Failed")


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
    """Experiment name -> state (Queued, Running, Success, Failed), as `dvc queue status` lists them."""
    with Repo() as repo:
        tasks = repo.experiments.celery_queue.status()
    return {task["name"]: task["status"] for task in tasks if task.get("name")}


def busy_workers() -> int:
    """How many queue workers are running an experiment, as `dvc queue status` counts them."""
    with Repo() as repo:
        return sum(1 for tasks in repo.experiments.celery_queue.worker_status().values() if tasks)


def wait_for_workers_to_exit(deadline: float) -> None:
    """Poll until no queue worker is busy (an idle one exits by itself) or the `time.monotonic()` deadline
    passes."""
    while busy_workers() and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)


def start_workers(workers: int) -> None:
    """`dvc queue start`, returning at once: the detached workers inherit the command's output, so with
    a captured pipe the call would block until they exit, past any timeout. Their logs stay in DVC's
    own files (`dvc queue logs`)."""
    command = ["dvc", "queue", "start", "--jobs", str(workers)]
    with tempfile.TemporaryFile("w+") as output:
        env = dict(os.environ, **{JOBS_VARIABLE: "1"})
        result = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, text=True, env=env)
        if result.returncode:
            output.seek(0)
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {output.read()}")


def run_queue(names: list[str], workers: int, timeout_seconds: float) -> SweepOutcome:
    """Start `workers` workers and poll until the named experiments end or time runs out.

    Workers left from an earlier run are waited for first: a worker still shutting down would take
    the new tasks alone. A queue runs experiments side by side, so each worker's stages run one process
    each (`MLKIT_JOBS=1`, whatever the number of workers) and their work does not fight for the cores.
    Workers exit by themselves once the queue is empty; on a timeout the running experiments are
    killed, the queued ones removed and the workers stopped, so nothing keeps running after the call.
    """
    start = time.monotonic()
    deadline = start + timeout_seconds
    wait_for_workers_to_exit(deadline)
    start_workers(workers)
    while True:
        status = {name: state for name, state in queue_status().items() if name in names}
        if all(status.get(name) in ENDED for name in names) or time.monotonic() >= deadline:
            break
        time.sleep(POLL_SECONDS)
    left = sorted(name for name in names if status.get(name) not in ENDED)
    if left:
        running = [name for name in left if status.get(name) == "Running"]
        waiting = [name for name in left if name not in running]
        for command, tasks in (("kill", running), ("remove", waiting)):
            if tasks:
                _dvc("queue", command, *tasks, check=False)
        _dvc("queue", "stop", check=False)
        wait_for_workers_to_exit(time.monotonic() + STOP_TIMEOUT_S)
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
