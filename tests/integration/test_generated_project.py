"""A second real pipeline: `make new` on palmerpenguins (target sex, positive male, TIME year) makes ONE
project per session, its DVC remote an S3 bucket on the session's moto server (`make bench` runs the
default, a folder beside DEST), in which its own Makefile contract runs with this repository's environment
(NO_SETUP=1: the installs are timed by hand and by `make bench`). Also: a failing first `dvc repro`
leaves no DEST, and `copier update` brings a later template change into a generated project."""

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd
import pytest
import yaml

from mlkit.service_process import free_port, service_process
from mlkit.tooling import new

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent
TIMEOUT = 600
PENGUINS = (
    Path(importlib.util.find_spec("palmerpenguins").submodule_search_locations[0]) / "data/penguins.csv"
)
ROW = {
    "species": "Adelie",
    "island": "Torgersen",
    "bill_length_mm": 39.1,
    "bill_depth_mm": 18.7,
    "flipper_length_mm": 181.0,
    "body_mass_g": 3750.0,
}


@dataclass(frozen=True)
class Generated:
    dest: Path
    bucket: str
    env: dict

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            command, cwd=self.dest, env=self.env, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
        if check and result.returncode:
            raise AssertionError(
                f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def make(self, *targets: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("make", *targets, "NO_SETUP=1", f"VENV={VENV}", check=check)


def environment(dest: Path) -> dict:
    return (
        os.environ
        | new.GIT_IDENTITY
        | {
            "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": f"{dest / 'src'}{os.pathsep}{REPO / 'src'}",
            "DVC_NO_ANALYTICS": "1",
            "PYTHONHASHSEED": "0",
        }
    )


def make_new(dest: Path, data: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "mlkit.tooling.new", "--data", str(data), "--dest", str(dest), *extra]
    return subprocess.run(
        command,
        cwd=REPO,
        env=env or environment(dest),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.fixture(scope="session")
def penguins(tmp_path_factory: pytest.TempPathFactory, s3_server) -> Generated:
    """One generated project per session: its first `dvc repro` ran inside `make new`, which pushed the
    data, the outputs and the run-cache to an S3 bucket (REMOTE=s3://...)."""
    dest = tmp_path_factory.mktemp("generated") / "penguins"
    env = environment(dest) | s3_server.env
    remote = s3_server.bucket("penguins") + "/project"
    made = make_new(
        dest, PENGUINS, "--target", "sex", "--positive", "male", "--time", "year", "--remote", remote, env=env
    )
    assert made.returncode == 0, made.stderr
    return Generated(dest, "penguins", env)


def test_the_project_is_one_commit_that_stands_alone(penguins):
    assert penguins.run("git", "rev-list", "--count", "HEAD").stdout.strip() == "1"
    assert penguins.run("git", "status", "--porcelain").stdout == ""
    tracked = penguins.run("git", "ls-files").stdout.split()
    assert {"dvc.lock", "metrics/evaluate.json", "data/penguins.csv.dvc", "src/penguins/schema.py"} <= set(
        tracked
    )
    wheel = next(name for name in tracked if name.startswith("vendor/mlkit-"))
    assert f"./{wheel} \\" in (penguins.dest / "requirements.lock").read_text()
    # no path back into this repository, but the template's source that `copier update` reads
    for name in set(tracked) - {".copier-answers.yml", wheel}:
        assert str(REPO) not in (penguins.dest / name).read_text(errors="replace"), name


def test_a_clone_of_dest_pulls_its_data_and_outputs_from_the_s3_remote(penguins, s3_server, tmp_path):
    assert any(key.startswith("project/files/md5/") for key in s3_server.keys(penguins.bucket))
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(penguins.dest), str(clone)], check=True, timeout=TIMEOUT)
    teammate = Generated(clone, penguins.bucket, penguins.env)
    assert teammate.run("dvc", "remote", "list").stdout.split()[:2] == ["storage", "s3://penguins/project"]
    teammate.run("dvc", "pull", "--quiet")
    assert (clone / "data/penguins.csv").read_bytes() == (penguins.dest / "data/penguins.csv").read_bytes()
    assert "up to date" in teammate.run("dvc", "status").stdout


def test_make_lint_passes_on_the_generated_code_and_workflows(penguins):
    penguins.make("lint")


def test_make_repro_finds_everything_up_to_date(penguins):
    penguins.make("repro")
    assert penguins.run("git", "status", "--porcelain").stdout == ""


def test_the_projects_own_tests_pass(penguins):
    output = penguins.make("test").stdout
    assert " passed" in output and "failed" not in output


def test_make_verify_reproduces_the_commit(penguins):
    assert "verify: OK" in penguins.make("verify").stdout


def test_the_data_rows_without_a_target_are_counted_and_the_split_is_by_year(penguins):
    quality = json.loads((penguins.dest / "metrics/data_quality.json").read_text())
    assert quality["ingest"]["rows_out"] == 344
    assert quality["target"]["rows_without_target"] == 11
    split = json.loads((penguins.dest / "metrics/split.json").read_text())
    assert split["method"] == "time"
    assert split["train"]["rows"] + split["test"]["rows"] == 333
    assert list(split["backtest"]) == ["period_2008"]


def test_make_serve_answers_predict_and_names_a_misspelt_field(penguins, tmp_path):
    port = free_port()
    env = penguins.env | {"PORT": str(port)}
    command = ["make", "serve", "NO_SETUP=1", f"VENV={VENV}"]
    with service_process(command, penguins.dest, env, tmp_path / "serve.log", port) as service:
        answer = httpx.post(f"{service.url}/predict", json={"rows": [ROW]}, timeout=30)
        assert answer.status_code == 200, answer.text
        assert 0 <= answer.json()["predictions"][0]["probability"] <= 1
        misspelt = {**{k: v for k, v in ROW.items() if k != "body_mass_g"}, "body_mas_g": 3750.0}
        refused = httpx.post(f"{service.url}/predict", json={"rows": [misspelt]}, timeout=30)
        assert refused.status_code == 422
        assert "'body_mas_g'" in refused.text and "'body_mass_g'" in refused.text


def test_make_predict_quarantines_a_bad_row(penguins, tmp_path):
    rows = pd.DataFrame([ROW, ROW | {"body_mass_g": "heavy"}, ROW | {"species": "Emperor"}, ROW])
    rows.to_csv(tmp_path / "rows.csv", index=False)
    penguins.make(
        "predict",
        f"INPUT={tmp_path / 'rows.csv'}",
        f"OUTPUT={tmp_path / 'scored.csv'}",
        "MAX_REJECTED_SHARE=0.5",
    )
    scored = pd.read_csv(tmp_path / "scored.csv")
    quarantined = pd.read_csv(tmp_path / "scored.quarantine.csv")
    assert len(scored) == 2 and scored["probability"].between(0, 1).all()
    assert len(quarantined) == 2
    assert quarantined["reason"].str.contains("body_mass_g").any()
    assert quarantined["reason"].str.contains("species").any()


def test_dvc_exp_run_tries_the_other_model_family(penguins):
    try:
        penguins.run("dvc", "exp", "run", "-S", "train.model=hgb")
        trained = json.loads((penguins.dest / "metrics/train.json").read_text())
        evaluation = json.loads((penguins.dest / "metrics/evaluate.json").read_text())
        assert trained["model"] == "hgb"
        assert evaluation["model"]["roc_auc"] > evaluation["baseline"]["roc_auc"]
    finally:
        penguins.run("git", "reset", "--hard", "--quiet")
        penguins.run("dvc", "checkout", "--force", "--quiet")


def commit_branch(penguins: Generated, branch: str, edit) -> None:
    penguins.run("git", "checkout", "--quiet", "-b", branch, "main")
    edit()
    penguins.run("dvc", "repro", "--quiet")
    penguins.run("git", "add", "--all")
    penguins.run("git", "commit", "--quiet", "-m", branch)


def back_to_main(penguins: Generated) -> None:
    penguins.run("git", "checkout", "--quiet", "main")
    penguins.run("dvc", "checkout", "--force", "--quiet")


def test_pr_report_fails_on_a_worse_model_and_passes_on_a_change_outside_the_pipeline(penguins):
    params = penguins.dest / "params.yaml"

    def worse() -> None:  # a model starved of its numbers: little better than the baseline
        data = yaml.safe_load(params.read_text())
        data["features"]["numeric"] = ["flipper_length_mm"]
        params.write_text(yaml.safe_dump(data, sort_keys=False))

    try:
        commit_branch(penguins, "worse-model", worse)
        failed = penguins.make("pr-report", "BASE=main", "REUSE=1", check=False)
        report = (penguins.dest / "reports/pr-report.md").read_text()
        assert failed.returncode != 0 and "pr-report: FAIL: regression vs base" in failed.stderr, (
            failed.stderr
        )
        assert "REGRESSION" in report
        assert report.startswith("# Pull-request report: penguins: sex = male")
        assert "344" in report and "336,776" not in report  # the project's own row counts
        back_to_main(penguins)
        commit_branch(
            penguins, "readme", lambda: (penguins.dest / "README.md").open("a").write("\nA note.\n")
        )
        passed = penguins.make("pr-report", "BASE=main", "REUSE=1", check=False)
        assert passed.returncode == 0, passed.stderr + (penguins.dest / "reports/pr-report.md").read_text()
    finally:
        back_to_main(penguins)


def test_a_failing_first_repro_leaves_no_dest(tmp_path):
    # the first year holds one class only: the backtest's fold 2002 has nothing to learn from
    rows = pd.DataFrame(
        {
            "year": [2001] * 8 + [2002] * 8 + [2003] * 8,
            "kind": ["a", "b"] * 12,
            "size": [i % 5 for i in range(24)],
            "outcome": ["no"] * 8 + ["yes", "no"] * 8,
        }
    )
    rows.to_csv(tmp_path / "rows.csv", index=False)
    dest = tmp_path / "project"
    made = make_new(dest, tmp_path / "rows.csv", "--target", "outcome", "--positive", "yes", "--time", "year")
    assert made.returncode == 2
    assert "the first dvc repro failed" in made.stderr and "holds one class only" in made.stderr
    assert not dest.exists() and not (tmp_path / "project-dvc-remote").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.csv"]


def test_copier_update_brings_a_template_change(penguins, tmp_path):
    import copier

    source = tmp_path / "repo"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(source)], check=True, timeout=TIMEOUT)
    answers = yaml.safe_load((penguins.dest / ".copier-answers.yml").read_text())
    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    project = tmp_path / "project"
    copier.run_copy(str(source), project, data=data, defaults=True, unsafe=True, quiet=True, vcs_ref="HEAD")
    git = Generated(project, tmp_path, environment(project)).run
    git("git", "add", "--all")
    git("git", "commit", "--quiet", "-m", "generated")
    readme = source / "template/README.md.jinja"
    readme.write_text(readme.read_text() + "\nA later template change.\n")
    subprocess.run(
        ["git", "-C", str(source), "commit", "--quiet", "-am", "template change"],
        check=True,
        env=environment(project),
    )
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"]
    copier.run_update(project, defaults=True, unsafe=True, quiet=True, overwrite=True, vcs_ref="HEAD")
    assert "A later template change." in (project / "README.md").read_text()
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] != recorded
    assert git("git", "rev-list", "--count", "HEAD").stdout.strip() == "1"  # the git-init task ran once
