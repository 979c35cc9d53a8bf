"""A sweep sharded over two machines, for real: one bare git remote, the moto S3 remote, two clones with
their own workspaces and DVC caches running their share as separate processes, and a third clone that
collects. Its ranking must be the one-machine sweep's, value for value, and a share run again must leave
every experiment once on the remote, none lost."""

import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import Repo, clone_repo, tool_env
from mlkit.tooling.experiment_sharing import experiment_refs

pytestmark = pytest.mark.slow

# Two grid points, one a machine: each experiment run costs ~15 s of stage imports on the sample, and the
# partition, the ranking and the re-run are the same checks with two points as with more.
GRID = [{"train.hgb.max_iter": [10, 20], "train.hgb.max_leaf_nodes": [7]}]
NAMES = [
    "max_iter-10_max_leaf_nodes-7",
    "max_iter-20_max_leaf_nodes-7",
]  # by hand: what the collector must find


def sweep(repo: Repo, spec: Path, *args: str) -> subprocess.CompletedProcess:
    return repo.run("python", "-m", "flights.tooling.sweep", "--spec", str(spec), *args, check=False)


def start_sweep(repo: Repo, spec: Path, *args: str) -> subprocess.Popen:
    """The same as `sweep`, left running: the two machines work at the same time."""
    command = ["python", "-m", "flights.tooling.sweep", "--spec", str(spec), *args]
    return subprocess.Popen(
        command, cwd=repo.path, env=repo.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finished(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output
    return output


def git_clone(origin: Path, folder: Path, env: dict[str, str], *options: str) -> Repo:
    """A colleague's machine: a clone of the git remote with its own workspace and DVC cache."""
    root = folder / "repo"
    subprocess.run(
        ["git", "clone", "-q", "--branch", "main", *options, origin.as_uri(), str(root)],
        check=True,
        timeout=120,
    )
    repo = Repo(root, tool_env(root) | env)
    repo.run("git", "config", "user.email", "tests@example.invalid")
    repo.run("git", "config", "user.name", "sweep tests")
    return repo


def remote_refs(origin: Path) -> dict[str, dict[str, str]]:
    """name -> {baseline: experiment commit} as the bare remote holds them."""
    listed = subprocess.run(["git", "ls-remote", str(origin)], capture_output=True, text=True, check=True)
    return experiment_refs(listed.stdout)


def report(repo: Repo) -> tuple[pd.DataFrame, str]:
    folder = repo.path / "reports/sweep"
    return pd.read_csv(folder / "sweep.csv"), (folder / "sweep.md").read_text()


def agreement_line(markdown: str) -> str:
    return next(line for line in markdown.splitlines() if line.startswith("Agreement"))


def test_a_sweep_sharded_over_two_clones_collects_as_one_machine_ranks(pipeline_repo, s3_server, tmp_path):
    spec = tmp_path / "sweep.yaml"
    spec.write_text(yaml.safe_dump({"workers": 1, "timeout_minutes": 10, "rank_by": "roc_auc", "grid": GRID}))
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)

    # the team's repository: the project with the S3 remote as its DVC default, its outputs pushed
    seed = clone_repo(pipeline_repo, tmp_path / "seed")
    seed.env |= s3_server.env
    seed.dvc("remote", "add", "--default", "team", s3_server.bucket("sweep-shards"))
    seed.commit("the team's remote")
    seed.run("git", "push", "-q", origin.as_uri(), "HEAD:refs/heads/main")
    seed.dvc("push")

    # one machine: the whole grid, the reference ranking
    alone = sweep(seed, spec)
    assert alone.returncode == 0, alone.stdout + alone.stderr
    one_table, one_report = report(seed)
    assert sorted(one_table["experiment"]) == NAMES

    # two machines, their own workspaces and caches, at the same time
    machines = [git_clone(origin, tmp_path / name, s3_server.env) for name in ("first", "second")]
    for machine in machines:
        machine.dvc("pull")  # the upstream stages' outputs, from the S3 remote
    running = [start_sweep(m, spec, "--shard", f"{i}/2") for i, m in enumerate(machines, start=1)]
    outputs = [finished(process) for process in running]
    baseline = seed.run("git", "rev-parse", "HEAD").stdout.strip()
    pushed = remote_refs(origin)
    assert sorted(pushed) == NAMES, outputs
    assert all(list(commits) == [baseline] for commits in pushed.values())
    shares = [set(experiment_refs(m.run("git", "show-ref").stdout)) for m in machines]
    assert shares[0] & shares[1] == set() and sorted(shares[0] | shares[1]) == NAMES  # a partition
    assert all(len(share) == 1 for share in shares), shares
    assert not (machines[0].path / "reports/sweep/sweep.csv").exists()  # a share writes no ranking

    # the collector: every experiment from the remotes, the one-machine ranking, value for value
    collector = git_clone(origin, tmp_path / "collector", s3_server.env)
    collected = sweep(collector, spec, "--collect")
    assert collected.returncode == 0, collected.stdout + collected.stderr
    table, markdown = report(collector)
    pd.testing.assert_frame_equal(table, one_table, check_exact=True)
    assert agreement_line(markdown) == agreement_line(one_report)
    assert f"2 of 2 grid points collected from 'origin' on {baseline[:7]}, 0 missing []" in markdown

    # the first machine runs its share again: its experiments are replaced on the remote, not added
    again = finished(start_sweep(machines[0], spec, "--shard", "1/2"))
    assert "has diverged" not in again
    rerun = remote_refs(origin)
    assert sorted(rerun) == NAMES and all(list(commits) == [baseline] for commits in rerun.values())
    local = experiment_refs(machines[0].run("git", "show-ref").stdout)
    for name in shares[0]:
        assert rerun[name] == local[name] != pushed[name]  # the new commits, forced over the old ones
    recollected = sweep(collector, spec, "--collect")
    assert recollected.returncode == 0, recollected.stdout + recollected.stderr
    pd.testing.assert_frame_equal(report(collector)[0], one_table, check_exact=True)
    assert experiment_refs(collector.run("git", "show-ref").stdout) == rerun  # the replaced ones pulled

    # a grid point no share ran is named in the report, and the collection fails
    bigger = tmp_path / "bigger.yaml"
    grid = [GRID[0] | {"train.hgb.max_leaf_nodes": [7, 31]}]
    bigger.write_text(yaml.safe_dump(yaml.safe_load(spec.read_text()) | {"grid": grid}))
    partial = sweep(collector, bigger, "--collect")
    assert partial.returncode == 1, partial.stdout + partial.stderr
    missing = "2 of 4 grid points collected from 'origin' on"
    assert missing in report(collector)[1] and "'max_iter-10_max_leaf_nodes-31'" in report(collector)[1]

    # a collector on another commit than the shards: a clear error, nothing written
    collector.run("git", "commit", "-q", "--allow-empty", "-m", "a later commit")
    (collector.path / "reports/sweep/sweep.md").unlink()
    elsewhere = sweep(collector, spec, "--collect")
    assert elsewhere.returncode == 2, elsewhere.stdout + elsewhere.stderr
    assert "must share one baseline commit" in elsewhere.stderr and baseline[:7] in elsewhere.stderr
    assert not (collector.path / "reports/sweep/sweep.md").exists()

    # the outputs came through the S3 remote: the collector's own cache restores the best experiment whole
    collector.dvc("exp", "apply", one_table["experiment"].iloc[0])
    assert "up to date" in collector.dvc("status").stdout, collector.dvc("status").stdout

    # a shallow clone cannot run `dvc exp`: said before anything runs
    shallow = git_clone(origin, tmp_path / "shallow", s3_server.env, "--depth", "1")
    refused = sweep(shallow, spec, "--shard", "1/2")
    assert refused.returncode == 2 and "shallow" in refused.stderr, refused.stdout + refused.stderr
