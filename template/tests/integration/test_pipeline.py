"""One real `dvc repro` on a sample of the data, in a copy of the project: every stage runs and the
model is scored against its baseline."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = 0.8  # of the rows: every period and both classes stay present


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=True)


def test_the_pipeline_runs_on_a_sample(tmp_path):
    tracked = run("git", "ls-files", cwd=ROOT).stdout.split()
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    source = ROOT / params["data"]["source"]
    assert source.exists(), f"{source} is missing: `dvc pull` fetches it"
    for name in [*tracked, params["data"]["source"]]:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    for out in ("metrics", "plots"):  # the run writes its own
        shutil.rmtree(tmp_path / out, ignore_errors=True)
    params["data"]["sample_fraction"] = SAMPLE
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run("git", "init", "--quiet", cwd=tmp_path)
    run("dvc", "repro", "--quiet", cwd=tmp_path)
    evaluation = json.loads((tmp_path / "metrics/evaluate.json").read_text())
    for section in ("model", "baseline", "lift"):
        assert {"roc_auc", "average_precision", "log_loss", "brier"} <= set(evaluation[section])
    assert (tmp_path / "reports/index.html").stat().st_size > 10_000
    assert json.loads((tmp_path / "metrics/ingest.json").read_text())["rows_out"] < \
        json.loads((ROOT / "metrics/ingest.json").read_text())["rows_out"]
