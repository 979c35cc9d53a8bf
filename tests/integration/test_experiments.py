"""Experiments and sharing with real DVC: `dvc exp run -S`, exactly the downstream stages re-run,
and a teammate's clone that pulls outputs and experiments from a local-folder remote."""

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import Repo, clone_repo, tool_env

pytestmark = pytest.mark.slow


def downstream(dvc_yaml: Path, stage: str) -> set[str]:
    """`stage` and every stage that depends, directly or not, on one of its outputs or metrics."""
    stages = yaml.safe_load(dvc_yaml.read_text())["stages"]

    def paths(entries: list) -> set[str]:
        return {next(iter(e)) if isinstance(e, dict) else e for e in entries or []}

    produced = {
        name: paths(s.get("outs")) | paths(s.get("metrics")) | paths(s.get("plots"))
        for name, s in stages.items()
    }
    found, frontier = {stage}, [stage]
    while frontier:
        current = frontier.pop()
        for name, spec in stages.items():
            if name not in found and paths(spec.get("deps")) & produced[current]:
                found.add(name)
                frontier.append(name)
    return found


def ran(output: str) -> set[str]:
    return set(re.findall(r"Running stage '([^']+)'", output))


@pytest.fixture(scope="module")
def experiment(pipeline_repo: Repo, tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, str, str]:
    """A clone of the pipeline repo with one experiment run on it: (repo, its name, its output). Its value
    is one no other test runs: the session's DVC cache is shared, and a run-cache hit runs no stage."""
    repo = clone_repo(pipeline_repo, tmp_path_factory.mktemp("experiment"))
    result = repo.dvc("exp", "run", "-S", "train.hgb.max_iter=17", "--name", "fewer-trees")
    return repo, "fewer-trees", result.stdout + result.stderr


def test_a_train_param_reruns_exactly_the_stages_downstream_of_train(experiment):
    repo, _, output = experiment
    expected = downstream(repo.path / "dvc.yaml", "train")
    assert expected == {"train", "evaluate", "score", "monitor", "report"}
    assert ran(output) == expected


def test_the_experiment_has_its_own_metrics(experiment, pipeline_repo: Repo):
    repo, name, _ = experiment
    committed = json.loads((pipeline_repo.path / "metrics/evaluate.json").read_text())
    shown = json.loads(repo.dvc("exp", "show", "--json").stdout)
    revs = [rev for commit in shown for exp in commit.get("experiments") or [] for rev in exp["revs"]]
    found = next(rev for rev in revs if rev.get("name") == name)
    metrics = found["data"]["metrics"]["metrics/evaluate.json"]["data"]
    params = found["data"]["params"]["params.yaml"]["data"]
    assert params["train"]["hgb"]["max_iter"] == 17
    assert metrics["model"]["roc_auc"] != committed["model"]["roc_auc"]
    assert set(metrics) >= {"model", "baseline", "lift", "validation"}
    assert metrics["baseline"] == committed["baseline"]  # the baseline did not re-run


def test_a_teammate_pulls_outputs_and_experiments_from_a_local_remote(experiment, tmp_path: Path):
    repo, name, _ = experiment
    repo.restore()  # the committed outputs in the workspace; the experiment lives in its ref
    outside = Repo(tmp_path, tool_env(tmp_path))
    outside.run("git", "init", "-q", "--bare", "origin.git")
    store = tmp_path / "store"
    repo.run("git", "remote", "add", "origin", str(tmp_path / "origin.git"))
    repo.dvc("remote", "add", "--local", "-d", "store", str(store))
    repo.run("git", "push", "-q", "origin", "HEAD:refs/heads/main")
    repo.dvc("push")
    repo.dvc("exp", "push", "origin", name)  # the experiment's ref to git, its outputs to the store
    experiment_metrics = json.loads(
        repo.run("git", "show", f"refs/exps/{_exp_ref(repo, name)}:metrics/evaluate.json").stdout
    )

    outside.run("git", "clone", "-q", "-b", "main", "origin.git", "teammate")
    teammate = Repo(tmp_path / "teammate", tool_env(tmp_path / "teammate"))
    assert str(store) not in (teammate.path / ".dvc/config").read_text()  # no machine path committed
    teammate.dvc("remote", "add", "--local", "-d", "store", str(store))
    teammate.dvc("pull")
    outputs = ("data/split", "models/model.skops", "models/baseline.skops", "reports/index.html")
    assert teammate.hashes(*outputs) == repo.hashes(*outputs)
    assert json.loads(teammate.dvc("status", "--json").stdout) == {}

    teammate.dvc("exp", "pull", "origin", name)
    assert name in teammate.dvc("exp", "list", "--name-only").stdout.split()
    teammate.dvc("exp", "apply", name)
    applied = json.loads((teammate.path / "metrics/evaluate.json").read_text())
    assert applied == experiment_metrics
    assert json.loads(teammate.dvc("status", "--json").stdout) == {}  # outputs came with it


def _exp_ref(repo: Repo, name: str) -> str:
    """The path of the experiment's ref under refs/exps/."""
    refs = repo.run("git", "for-each-ref", "--format=%(refname)", "refs/exps/").stdout.split()
    return next(ref for ref in refs if ref.endswith(f"/{name}")).removeprefix("refs/exps/")
