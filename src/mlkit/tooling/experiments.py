"""Queued DVC experiment sweeps: expand a grid, queue it, run it with N workers under a timeout, collect.

The queue is filled and started through the `dvc` command line, as a user would (its workers find `dvc`
on PATH); it is watched through DVC's Python API in this process, because each `dvc queue status`
process costs almost a second of CPU, taken from the workers at every poll.
"""

import itertools
import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dvc.repo import Repo
from dvc.repo.experiments.refs import EXPS_NAMESPACE, ExpRefInfo

from mlkit.config import parent_of, require
from mlkit.runtime import JOBS_VARIABLE

POLL_SECONDS = 2  # a poll costs ~0.1 s of CPU in this process
STOP_TIMEOUT_S = 120  # for a stopped sweep's tasks to end, then for the workers to exit
ENDED = ("Success", "Failed")


@dataclass
class SweepOutcome:
    finished: list[str]
    failed: list[str]
    left_queued: list[str]
    seconds: float


def _is_parameter(params: Mapping[str, Any], dotted: str) -> bool:
    """`dotted` (such as `train.hgb.max_iter`) names one value of `params`, not a section."""
    parent, name = parent_of(params, dotted)
    return parent is not None and name in parent and not isinstance(parent[name], Mapping)


def check_grid(grid: Any, params: Mapping[str, Any], source: str) -> None:
    """A grid as `expand` takes it, every key an existing parameter of `params`: checked before anything
    is queued, so that a typo in the third block cannot leave the first two in the queue."""
    blocks = "a non-empty list of blocks, each a mapping parameter: [values]"
    require(isinstance(grid, list) and len(grid) > 0, "grid", grid, blocks, source)
    for index, block in enumerate(grid):
        require(isinstance(block, Mapping) and len(block) > 0, f"grid[{index}]", block, blocks, source)
        for key, values in block.items():
            name = f"grid[{index}].{key}"
            require(
                isinstance(values, list) and len(values) > 0,
                name,
                values,
                "a non-empty list of values",
                source,
            )
            require(_is_parameter(params, str(key)), name, key, "a parameter of params.yaml", source)
    named: dict[str, dict] = {}  # a name names one run: `dvc exp run --name` would replace the first
    for run in expand(grid):
        name = experiment_name(run)
        require(
            name not in named,
            "grid",
            run,
            f"a run named apart from {named.get(name)} (both are {name!r})",
            source,
        )
        named[name] = run


def expand(grid: list[dict[str, list]]) -> list[dict[str, object]]:
    """Every combination of values within each block of the grid, blocks one after another."""
    runs = []
    for block in grid:
        names = sorted(block)
        for values in itertools.product(*(block[name] for name in names)):
            runs.append(dict(zip(names, values, strict=True)))
    return runs


def experiment_name(settings: dict[str, object]) -> str:
    """A readable, git-ref-safe name such as `model-hgb_learning_rate-0.05` (a list of months [4, 5]
    gives `months-4-5`: brackets, commas and spaces are not allowed in a git ref)."""
    parts = [f"{key.rsplit('.', 1)[-1]}-{_ref_safe(str(value))}" for key, value in settings.items()]
    return "_".join(parts).lower()


def parse_shard(text: str) -> tuple[int, int]:
    """`SHARD=i/N` as (i, N), 1 <= i <= N; a ValueError says what is wrong."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"SHARD={text!r} is invalid: expected i/N with 1 <= i <= N, such as 1/2")
    return int(match[1]), int(match[2])


def shard(runs: list[dict[str, object]], index: int, count: int) -> list[dict[str, object]]:
    """Share `index` of `count` (1-based) of the expanded grid, in the grid's order.

    The points are sorted by their canonical form (the settings as JSON with sorted keys), and the k-th
    of them (from 0) goes to share k mod count + 1: every point is in exactly one share, shares differ
    in size by one at most, and the partition does not depend on the order of the grid's blocks or
    values. Adding a point may move others to another share, so every share must read the same grid
    (the same commit).
    """
    order = sorted(range(len(runs)), key=lambda k: json.dumps(runs[k], sort_keys=True))
    mine = {k for position, k in enumerate(order) if position % count == index - 1}
    return [run for k, run in enumerate(runs) if k in mine]


def _ref_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")


def _dvc(*args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
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


def _git(*args: str) -> str:
    """A git command's output; when it fails, the error says what git said."""
    result = subprocess.run(["git", *args], capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"git {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def head() -> str:
    return _git("rev-parse", "HEAD").strip()


def require_full_history() -> None:
    """`dvc exp` needs the whole history: in a shallow clone it fails on missing commits."""
    if _git("rev-parse", "--is-shallow-repository").strip() == "true":
        raise RuntimeError(
            "this clone is shallow: `dvc exp` needs the full history (git fetch --unshallow; in GitHub "
            "Actions, actions/checkout with fetch-depth: 0)"
        )


def experiment_refs(lines: str) -> dict[str, dict[str, str]]:
    """name -> {baseline commit: experiment commit} from `<sha> <ref>` lines (`git ls-remote`,
    `git for-each-ref --format='%(objectname) %(refname)'`); other refs are skipped."""
    found: dict[str, dict[str, str]] = {}
    for line in lines.splitlines():
        sha, _, ref = line.partition("\t") if "\t" in line else line.partition(" ")
        if ref.startswith(f"{EXPS_NAMESPACE}/") and ref.count("/") == 4:  # not refs/exps/exec/...
            info = ExpRefInfo.from_ref(ref)
            found.setdefault(info.name, {})[str(info.baseline_sha)] = sha
    return found


def remote_experiments(git_remote: str) -> dict[str, dict[str, str]]:
    """The experiments a git remote holds, by name and baseline commit."""
    return experiment_refs(_git("ls-remote", git_remote, f"{EXPS_NAMESPACE}/*"))


def local_experiments() -> dict[str, dict[str, str]]:
    """This repository's experiments, by name and baseline commit."""
    return experiment_refs(_git("for-each-ref", "--format=%(objectname) %(refname)", EXPS_NAMESPACE))


def require_remotes(git_remote: str) -> None:
    """A git remote to push experiments to and a default DVC remote for their outputs, checked before
    anything runs (`dvc exp push` without a DVC remote pushes the refs alone, and says nothing)."""
    remote_experiments(git_remote)  # fails naming the git remote when it cannot be reached
    if _dvc("remote", "default", check=False).returncode:
        raise RuntimeError("no default DVC remote: `dvc remote add -d NAME URL` (the outputs' storage)")


def _differing(names: list[str], git_remote: str) -> list[str]:
    """The names whose experiment on HEAD is not the same commit here and on the git remote."""
    baseline, here, there = head(), local_experiments(), remote_experiments(git_remote)
    return [n for n in names if here.get(n, {}).get(baseline) != there.get(n, {}).get(baseline)]


def push_experiments(names: list[str], git_remote: str) -> None:
    """Push the named experiments of HEAD to the git remote (their outputs to the default DVC remote),
    then check that the remote holds exactly these commits.

    Forced: an experiment of a sweep re-run under the same name is a new commit, and unforced, DVC
    exits 0 with "has diverged ... No experiments to push" and leaves the old one on the remote.
    """
    if not names:
        return
    _dvc("exp", "push", "--force", git_remote, *names)
    if wrong := _differing(names, git_remote):
        raise RuntimeError(f"`dvc exp push` left {wrong} different on the git remote {git_remote!r}")


def pull_experiments(names: list[str], git_remote: str) -> None:
    """Pull the named experiments of HEAD from the git remote (their outputs from the default DVC
    remote), replacing older local ones of the same names, then check that they arrived."""
    if not names:
        return
    _dvc("exp", "pull", "--force", git_remote, *names)
    if wrong := _differing(names, git_remote):
        raise RuntimeError(f"`dvc exp pull` left {wrong} different from the git remote {git_remote!r}")


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
    existing = set(_dvc("exp", "list", "--name-only").stdout.split())
    replaced = [name for name in names if name in existing]
    if replaced:
        _dvc("exp", "remove", *replaced)
    failed = _failed_on_this_commit(names)
    if failed:
        _dvc("queue", "remove", *failed)
    before = {task["rev"] for task in _tasks()}
    for name, settings in zip(names, runs, strict=True):
        options = [item for key, value in settings.items() for item in ("-S", f"{key}={_value(value)}")]
        _dvc("exp", "run", "--queue", "--name", name, *options)
    new = {task["name"]: task["rev"] for task in _tasks() if task["rev"] not in before}
    return {name: new[name] for name in names}


def failure_reason(rev: str, lines: int = 3) -> str:
    """Why a queued experiment failed: the error lines of its `dvc queue logs` (the stage's own message
    first, then DVC's), which the sweep would otherwise leave for the user to dig out. By the task's
    revision (from `queue`): a name may also match an ended task of an earlier sweep."""
    log = _dvc("queue", "logs", rev, check=False).stdout.splitlines()
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
    _dvc("queue", "start", "--jobs", str(workers), env=dict(os.environ, **{JOBS_VARIABLE: "1"}))


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
            _dvc("queue", "remove", *waiting, check=False)
        for rev in sorted(rev for rev, state in live.items() if state != "Queued" and rev not in signalled):
            if _dvc("queue", "kill", rev, check=False).returncode == 0:
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
    shown = json.loads(_dvc("exp", "show", "--json").stdout)
    for commit in shown:
        for experiment in commit.get("experiments") or []:
            for rev in experiment.get("revs", []):
                if rev.get("name") in names:
                    data = rev.get("data", {})
                    params = {f: v.get("data", {}) for f, v in (data.get("params") or {}).items()}
                    metrics = {f: v.get("data", {}) for f, v in (data.get("metrics") or {}).items()}
                    yield rev["name"], params, metrics
