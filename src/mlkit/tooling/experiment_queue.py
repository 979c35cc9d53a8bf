"""DVC's experiment queue: a sweep's runs queued, run with N workers under a timeout, and collected.

The queue is filled and started through the `dvc` command line, as a user would (its workers find `dvc`
on PATH); it is watched through DVC's Python API in this process, because each `dvc queue status`
process costs almost a second of CPU, taken from the workers at every poll.
"""

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

from dvc.repo import Repo

from mlkit.runtime import JOBS_VARIABLE
from mlkit.tooling.sweep_grid import experiment_name

POLL_SECONDS = 2  # a poll costs ~0.1 s of CPU in this process
STOP_TIMEOUT_S = 120  # for a stopped sweep's tasks to end, then for the workers to exit
ENDED = ("Success", "Failed")


@dataclass
class SweepOutcome:
    finished: list[str]
    failed: list[str]
    left_queued: list[str]
    seconds: float


def dvc_command(
    *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """A `dvc` command with its output; when it fails, the error says what DVC said.

    The output goes through temporary files, not pipes: `dvc queue start` leaves detached workers that
    inherit it, and reading a pipe would wait until they exit, past any timeout.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        result = subprocess.run(["dvc", *args], stdout=out, stderr=err, text=True, env=env)
        out.seek(0)
        err.seek(0)
        result.stdout, result.stderr = out.read(), err.read()
    if check and result.returncode:
        raise RuntimeError(f"dvc {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def _value(value: object) -> str:
    """A value for `-S key=value`, which DVC reads as YAML: strings as they are, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _tasks() -> list[dict]:
    """The queue's tasks (name, stash `rev`, status) as `dvc queue status` lists them, ended ones too."""
    with Repo() as repo:
        return repo.experiments.celery_queue.status()


def _failed_on_this_commit(names: list[str]) -> list[str]:
    """Stash revisions of the queue's failed tasks of these names whose baseline is HEAD; those of other
    commits are left to their own `dvc exp show`."""
    with Repo() as repo:
        head = repo.scm.get_rev()
        return [
            done.entry.stash_rev
            for done in repo.experiments.celery_queue.iter_failed()
            if done.entry.name in names and done.entry.baseline_rev == head
        ]


def queue(runs: list[dict[str, object]]) -> dict[str, str]:
    """Queue one experiment per settings; returns experiment name -> its queue task's stash revision.

    Tasks are told apart by revision, because the queue keeps ended tasks of earlier sweeps under the
    same names. An experiment of the same name on this commit is replaced: a sweep run again on the
    same commit gives the same results (restored from the run-cache). So is a failed task of the same
    name on this commit, which `dvc exp show` would list as Failed beside the new run.
    """
    names = [experiment_name(settings) for settings in runs]
    existing = set(dvc_command("exp", "list", "--name-only").stdout.split())
    replaced = [name for name in names if name in existing]
    if replaced:
        dvc_command("exp", "remove", *replaced)
    failed = _failed_on_this_commit(names)
    if failed:
        dvc_command("queue", "remove", *failed)
    before = {task["rev"] for task in _tasks()}
    for name, settings in zip(names, runs, strict=True):
        options = [item for key, value in settings.items() for item in ("-S", f"{key}={_value(value)}")]
        dvc_command("exp", "run", "--queue", "--name", name, *options)
    new = {task["name"]: task["rev"] for task in _tasks() if task["rev"] not in before}
    return {name: new[name] for name in names}


def failure_reason(rev: str, lines: int = 3) -> str:
    """Why a queued experiment failed: the error lines of its `dvc queue logs` (the stage's own message
    first, then DVC's), which the sweep would otherwise leave for the user to dig out. By the task's
    revision (from `queue`): a name may also match an ended task of an earlier sweep."""
    log = dvc_command("queue", "logs", rev, check=False).stdout.splitlines()
    errors = [line.strip() for line in log if line.lstrip().lower().startswith("error")]
    return " | ".join(errors[-lines:]) or f"no error line in `dvc queue logs {rev}`"


def live_workers() -> int:
    """How many queue workers answer, busy or idle (`dvc queue status` counts both)."""
    with Repo() as repo:
        return len(repo.experiments.celery_queue.worker_status())


def wait_for_workers_to_exit(deadline: float) -> bool:
    """Poll until no queue worker is left or the `time.monotonic()` deadline passes; True if none is left.

    An idle worker exits by itself once the queue is empty, but until it has, `dvc queue start` counts
    it as running and starts one worker fewer: a sweep right after another would run on one worker.
    """
    while (live := live_workers()) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    return not live


def drop_stale_control_messages() -> int:
    """Empty the control mailboxes of the repo's queue workers; returns how many messages were dropped.

    DVC's filesystem broker keeps what was sent to a worker that has exited: the `shutdown` its idle
    monitor sends after it, or that `dvc queue stop` broadcasts. Workers are named after the repo's
    path, so the next worker of that name obeys the old shutdown after its first task, and the rest of
    a sweep stays queued until the timeout. Call it only when no worker runs.
    """
    with Repo() as repo:
        app = repo.experiments.celery_queue.celery
        with app.connection_for_write() as connection:
            channel = connection.default_channel
            mailboxes = channel.get_table(app.control.mailbox.exchange.name)
            return sum(channel.queue_purge(mailbox.queue) or 0 for mailbox in mailboxes)


def start_workers(workers: int) -> None:
    """`dvc queue start`: it returns at once, the workers' logs stay in DVC's files (`dvc queue logs`)."""
    dvc_command("queue", "start", "--jobs", str(workers), env=dict(os.environ, **{JOBS_VARIABLE: "1"}))


def _stop(revs: set[str]) -> None:
    """Remove the sweep's tasks not started and kill its running ones, by revision (a name may also match
    an ended task of an earlier sweep), reading the queue afresh each round until none is left: a task
    can start between a read and its removal, and would then run on. Each task is signalled once, again
    only if its kill failed: a second SIGINT to the worker's process group turns its graceful stop into
    a cold one, which skips the experiment's cleanup. Other experiments in the queue, such as the
    user's own, are left to run; when there are none, the workers exit by themselves and are waited for."""
    signalled: set[str] = set()
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while True:
        tasks = _tasks()
        live = {t["rev"]: t["status"] for t in tasks if t["rev"] in revs and t["status"] not in ENDED}
        if not live:
            break
        if time.monotonic() >= deadline:
            raise RuntimeError(
                f"queue tasks {sorted(live)} still {sorted(set(live.values()))} after {STOP_TIMEOUT_S} s: "
                "see `dvc queue status`, end them with `dvc queue kill`"
            )
        waiting = [rev for rev, state in live.items() if state == "Queued"]
        if waiting:  # all or none: one that started meanwhile fails the call, and the next round retries
            dvc_command("queue", "remove", *waiting, check=False)
        for rev in sorted(rev for rev, state in live.items() if state != "Queued" and rev not in signalled):
            if dvc_command("queue", "kill", rev, check=False).returncode == 0:
                signalled.add(rev)
        time.sleep(POLL_SECONDS)
    if not any(t["status"] not in ENDED for t in tasks):  # the last read: none of ours is live
        wait_for_workers_to_exit(time.monotonic() + STOP_TIMEOUT_S)


def run_queue(tasks: dict[str, str], workers: int, timeout_seconds: float) -> SweepOutcome:
    """Start `workers` workers and poll until the queued `tasks` (from `queue`) end or time runs out.

    Workers left from an earlier run are waited for first: a worker still shutting down would take
    the new tasks alone. A queue runs experiments side by side, so each worker's stages run one process
    each (`MLKIT_JOBS=1`, whatever the number of workers) and their work does not fight for the cores.
    Workers exit by themselves once the queue is empty; on a timeout the sweep's tasks not started are
    removed and its running ones killed, so none of them runs on after the call. A task that leaves the
    queue without an outcome (removed by hand) counts as failed once two polls in a row miss it (a task
    can be between the queue's lists for a moment), instead of being waited for until the timeout.
    """
    start = time.monotonic()
    deadline = start + timeout_seconds
    if wait_for_workers_to_exit(deadline):  # with none left, old control messages would stop the new
        drop_stale_control_messages()
    start_workers(workers)
    missed: set[str] = set()  # the tasks the previous poll did not find
    while True:
        by_rev = {task["rev"]: task["status"] for task in _tasks()}
        status = {n: by_rev.get(rev, "Failed" if n in missed else "Queued") for n, rev in tasks.items()}
        missed = {name for name, rev in tasks.items() if rev not in by_rev}
        if all(state in ENDED for state in status.values()) or time.monotonic() >= deadline:
            break
        time.sleep(POLL_SECONDS)
    left = sorted(name for name, state in status.items() if state not in ENDED)
    if left:
        _stop({tasks[name] for name in left})
    return SweepOutcome(
        finished=sorted(n for n, s in status.items() if s == "Success"),
        failed=sorted(n for n, s in status.items() if s == "Failed"),
        left_queued=left,
        seconds=time.monotonic() - start,
    )


def experiments(names: list[str]) -> Iterator[tuple[str, dict, dict]]:
    """(name, params, metrics) of each named experiment, from `dvc exp show --json`."""
    shown = json.loads(dvc_command("exp", "show", "--json").stdout)
    for commit in shown:
        for experiment in commit.get("experiments") or []:
            for rev in experiment.get("revs", []):
                if rev.get("name") in names:
                    data = rev.get("data", {})
                    params = {f: v.get("data", {}) for f, v in (data.get("params") or {}).items()}
                    metrics = {f: v.get("data", {}) for f, v in (data.get("metrics") or {}).items()}
                    yield rev["name"], params, metrics
