"""`make sweep` for real: a small grid queued as DVC experiments, run by 2 queue workers and compared;
a queue that outlives its timeout is stopped and reported, not waited on."""

import contextlib
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import Repo, clone_repo
from mlkit.tooling.experiment_queue import wait_for_workers_to_exit

pytestmark = pytest.mark.slow


def run_sweep(
    repo: Repo, folder: Path, grid: list[dict], timeout_minutes: float
) -> subprocess.CompletedProcess:
    """`python -m flights.tooling.sweep` (what `make sweep` runs) in `repo`, with a spec outside the repo."""
    spec = folder / "sweep.yaml"
    spec.write_text(
        yaml.safe_dump({"workers": 2, "timeout_minutes": timeout_minutes, "rank_by": "roc_auc", "grid": grid})
    )
    return repo.run("python", "-m", "flights.tooling.sweep", "--spec", str(spec), check=False)


def queue_table(repo: Repo) -> str:
    return repo.dvc("queue", "status").stdout


def wait_until_no_worker(repo: Repo) -> None:
    """So that no worker is left running in a folder the test deletes."""
    with contextlib.chdir(repo.path):
        wait_for_workers_to_exit(time.monotonic() + 120)


def test_a_sweep_runs_with_two_workers_and_ranks_on_the_validation_month(pipeline_repo, tmp_path):
    repo = clone_repo(pipeline_repo, tmp_path)
    result = run_sweep(repo, tmp_path, [{"train.hgb.max_iter": [10, 30]}], timeout_minutes=10)
    assert result.returncode == 0, result.stdout + result.stderr
    report = (repo.path / "reports/sweep/sweep.md").read_text()
    assert "2 finished, 0 failed [], 0 left unfinished at the timeout [], in" in report
    assert "with 2 workers" in report
    table = pd.read_csv(repo.path / "reports/sweep/sweep.csv")
    assert sorted(table["experiment"]) == ["max_iter-10", "max_iter-30"]
    assert sorted(table["train.hgb.max_iter"]) == [10, 30]  # the parameter's own column, for the figure
    assert table["valid roc_auc"].is_monotonic_decreasing  # ranked on validation, best first
    assert table["valid roc_auc"].nunique() == 2  # each experiment has metrics of its own
    assert (table["valid baseline roc_auc"] == table["valid baseline roc_auc"].iloc[0]).all()
    assert (repo.path / "reports/sweep/sweep.png").stat().st_size > 0
    listed = repo.dvc("exp", "list", "--name-only").stdout.split()
    assert {"max_iter-10", "max_iter-30"} <= set(listed)
    assert "Worker status: 0 active" in queue_table(repo)

    # `dvc queue stop` with no worker running: its shutdown stays in the broker, as the idle monitors'
    # do, and a new worker of the same name would obey it after one task (the third would wait)
    repo.dvc("queue", "stop")
    again = run_sweep(repo, tmp_path, [{"train.hgb.max_iter": [10, 20, 30]}], timeout_minutes=10)
    assert again.returncode == 0, again.stdout + again.stderr  # the same names on the same commit
    assert "3 finished, 0 failed" in again.stdout
    rerun = pd.read_csv(repo.path / "reports/sweep/sweep.csv")
    assert rerun[rerun["experiment"] != "max_iter-20"].reset_index(drop=True).equals(table)

    # past its timeout, with ended tasks of the same names still listed by the queue: on a new commit,
    # so that nothing comes back from the run-cache
    repo.set_params({"train.hgb.learning_rate": 0.11})
    repo.commit("another learning rate")
    stopped = run_sweep(repo, tmp_path, [{"train.hgb.max_iter": [10, 30]}], timeout_minutes=0.05)
    assert stopped.returncode == 1, stopped.stdout + stopped.stderr
    status = queue_table(repo)
    assert "Running" not in status and "Queued" not in status, status


def test_a_failed_experiment_is_reported_with_its_stages_message(pipeline_repo, tmp_path):
    """A value only its stage can judge (an outcome column to group the baseline by: the params model
    cannot know the data's columns) is queued; the sweep says why it failed instead of leaving it to
    `dvc queue logs`."""
    repo = clone_repo(pipeline_repo, tmp_path)
    result = run_sweep(repo, tmp_path, [{"baseline.group_by": [["dep_delay"]]}], timeout_minutes=10)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 finished, 1 failed" in result.stdout
    message = "error: params.yaml: baseline.group_by = ['dep_delay'] is invalid"
    assert message in result.stdout and message in (repo.path / "reports/sweep/sweep.md").read_text()

    # run again: the earlier failed task of that name is replaced, not listed beside the new one
    again = run_sweep(repo, tmp_path, [{"baseline.group_by": [["dep_delay"]]}], timeout_minutes=10)
    assert "0 finished, 1 failed" in again.stdout and message in again.stdout
    assert queue_table(repo).count("group_by-dep_delay") == 1, queue_table(repo)
    # on another commit, the failed task of the first one is that commit's, and stays
    repo.set_params({"train.hgb.learning_rate": 0.11})
    repo.commit("another learning rate")
    run_sweep(repo, tmp_path, [{"baseline.group_by": [["dep_delay"]]}], timeout_minutes=10)
    assert queue_table(repo).count("group_by-dep_delay") == 2, queue_table(repo)


def test_a_queue_past_its_timeout_is_stopped_and_reported(pipeline_repo, tmp_path):
    repo = clone_repo(pipeline_repo, tmp_path)
    result = run_sweep(repo, tmp_path, [{"train.hgb.max_iter": [11, 31]}], timeout_minutes=0.05)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 finished" in result.stdout
    assert "left unfinished at the timeout ['max_iter-11', 'max_iter-31']" in result.stdout
    status = queue_table(repo)
    assert "Running" not in status and "Queued" not in status, status
    assert "Worker status: 0 active" in status


def test_a_timed_out_sweep_leaves_the_users_own_queued_experiment_running(pipeline_repo, tmp_path):
    repo = clone_repo(pipeline_repo, tmp_path)
    repo.dvc("exp", "run", "--queue", "--name", "mine", "-S", "train.hgb.max_iter=12")
    result = run_sweep(repo, tmp_path, [{"train.hgb.max_iter": [13, 33]}], timeout_minutes=0.05)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = queue_table(repo).splitlines()[1:]  # Task, Name, Created (a time), Status
    rows = {parts[1]: parts[-1] for parts in map(str.split, lines) if len(parts) >= 4}
    try:
        assert rows.get("mine") in ("Running", "Success"), queue_table(repo)  # queued first, so started
        assert rows.get("max_iter-13") in ("Failed", None) and "max_iter-33" not in rows, rows
    finally:
        repo.dvc("queue", "stop", "--kill", check=False)
        wait_until_no_worker(repo)


def test_a_task_removed_from_the_queue_by_hand_ends_the_wait(pipeline_repo, tmp_path):
    """It counts as failed at once, not as queued until the timeout (600 s here)."""
    repo = clone_repo(pipeline_repo, tmp_path)
    code = (
        "import subprocess; from mlkit.tooling.experiment_queue import queue, run_queue; "
        "tasks = queue([{'train.hgb.max_iter': 14}]); "
        "subprocess.run(['dvc', 'queue', 'remove', *tasks.values()], check=True); "
        "outcome = run_queue(tasks, 1, 600); "
        "print(outcome.failed, outcome.left_queued, outcome.seconds < 600)"
    )
    try:
        result = repo.run("python", "-c", code)
        assert result.stdout.strip().endswith("['max_iter-14'] [] True"), result.stdout + result.stderr
    finally:
        wait_until_no_worker(repo)  # the worker started on an empty queue exits by itself
