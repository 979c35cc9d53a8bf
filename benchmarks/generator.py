"""`make new` on palmerpenguins (target sex, positive male, TIME year) with its first `dvc repro`, the
generator's own figure (target: under 60 s on this 2-core machine), its median over `repeats`. The
generated project's environment (`pip install` of its hashed lock, mlkit's wheel included, from the
package index or pip's cache) is timed once, apart. The last project's metrics are kept in
benchmarks/penguins_metrics.json: the docs' model-vs-baseline figures of the second pipeline."""

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import yaml

from benchmarks.workspace import ROOT, WORK, median, run, target

PENGUINS = (
    Path(importlib.util.find_spec("palmerpenguins").submodule_search_locations[0]) / "data/penguins.csv"
)
SNAPSHOT = ROOT / "benchmarks/penguins_metrics.json"
ARGUMENTS = ["--data", str(PENGUINS), "--target", "sex", "--positive", "male", "--time", "year"]


def snapshot(project: Path) -> dict:
    """What the docs show of the generated project: its metrics, split and data accounts."""

    def read(name: str) -> dict:
        return json.loads((project / "metrics" / f"{name}.json").read_text())

    evaluation = read("evaluate")
    split = yaml.safe_load((project / "params.yaml").read_text())["split"]
    return {
        "test": {k: evaluation[k] for k in ("model", "baseline", "majority", "lift", "test")},
        "validation": {k: evaluation["validation"][k] for k in ("model", "baseline", "lift")},
        "split": read("split"),
        "periods": {k: split[k] for k in ("train_periods", "backtest_periods", "test_periods")},
        "data_quality": read("data_quality"),
        "baseline_group_by": read("baseline")["group_by"],
        "model": read("train")["model"],
    }


def bench(repeats: int) -> dict:
    folder = WORK / "generator"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    totals, repros = [], []
    for repeat in range(repeats):
        dest, timings = folder / f"penguins-{repeat}", folder / f"timings-{repeat}.json"
        made = run(
            [
                sys.executable,
                "-m",
                "mlkit.tooling.new",
                *ARGUMENTS,
                "--dest",
                str(dest),
                "--timings",
                str(timings),
            ],
            ROOT,
        )
        totals.append(made.seconds)
        repros.append(json.loads(timings.read_text())["repro_s"])
    project = folder / f"penguins-{repeats - 1}"
    SNAPSHOT.write_text(json.dumps(snapshot(project), indent=2, sort_keys=True) + "\n")
    venv = folder / "venv"
    created = run(["python3.11", "-m", "venv", str(venv)], folder)
    installed = run(
        [
            str(venv / "bin/python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "--no-deps",
            "-r",
            "requirements.lock",
        ],
        project,
    )
    make_new = median(totals)
    return {
        "make_new_s": make_new,
        "make_new_first_repro_s": median(repros),
        "project_install_s": created.seconds + installed.seconds,
        "targets": {"make_new_s": target(make_new, "<", 60.0)},
    }
