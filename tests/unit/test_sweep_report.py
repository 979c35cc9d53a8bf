"""The sweep's spec check, comparison table and metric-vs-parameter figure (no experiment is run)."""

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import PROJECT
from flights.shared.paths import SWEEP_SPEC
from flights.tooling.sweep import comparison, main, read_spec, swept_parameters, with_settings
from mlkit.config import ParamError
from mlkit.plots import metric_by_parameter
from mlkit.tooling.sweep_grid import expand, experiment_name

PNG = b"\x89PNG\r\n\x1a\n"
GRID = [
    {"train.hgb.learning_rate": [0.05, 0.1], "train.hgb.max_leaf_nodes": [15, 63]},
    {"features.weather": [False]},
]


def results(runs: list[dict]) -> tuple[list, dict]:
    """(found, settings) as `make sweep` collects them: valid ROC AUC falls with the learning rate."""
    found, settings = [], {}
    for index, run in enumerate(runs):
        name = experiment_name(run)
        auc = 0.70 - run.get("train.hgb.learning_rate", 0.2) / 10 + index / 1000
        validation = {"model": {"roc_auc": auc, "log_loss": 0.5}, "baseline": {"roc_auc": 0.62}}
        evaluate = {"validation": validation | {"lift": {"roc_auc": auc - 0.62}}, "model": {"roc_auc": auc}}
        found.append((name, {}, {"metrics/evaluate.json": evaluate}))
        settings[name] = run
    return found, settings


@pytest.mark.parametrize(
    ("settings", "name"),
    [
        ({"train.model": "hgb", "train.hgb.learning_rate": 0.05}, "model-hgb_learning_rate-0.05"),
        ({"split.train_months": [4, 5, 6]}, "train_months-4-5-6"),  # no brackets, commas or spaces in a ref
        ({"features.weather": False}, "weather-false"),
    ],
)
def test_experiment_names_are_readable_git_refs(settings, name):
    assert experiment_name(settings) == name


def test_comparison_ranks_on_validation_and_keeps_a_column_per_parameter():
    found, settings = results(expand(GRID))
    table = comparison(found, settings, "roc_auc")
    assert table["valid roc_auc"].is_monotonic_decreasing
    assert table["experiment"].iloc[0] == "learning_rate-0.05_max_leaf_nodes-63"
    assert table["train.hgb.max_leaf_nodes"].tolist()[:2] == [63, 15]  # whole numbers stay whole
    assert table["train.hgb.max_leaf_nodes"].isna().sum() == 1  # the weather run leaves it alone
    assert table.loc[table["features.weather"].notna(), "experiment"].tolist() == ["weather-false"]


def test_each_row_carries_its_lift_interval_where_the_experiment_has_one():
    found, settings = results(expand(GRID))
    name, params, metrics = found[0]
    interval = {"roc_auc": {"delta": 0.03, "low": 0.01, "high": 0.05}}
    found[0] = (name, params, metrics | {"metrics/intervals.json": {"validation": {"lift": interval}}})
    table = comparison(found, settings, "roc_auc").set_index("experiment")
    assert table.loc[name, ["valid lift roc_auc low", "valid lift roc_auc high"]].tolist() == [0.01, 0.05]
    assert table.drop(index=name)["valid lift roc_auc low"].isna().all()  # an older run: shown empty


def test_a_failed_experiment_without_metrics_is_left_out():
    found, settings = results(expand(GRID))
    found[0] = (found[0][0], {}, {})
    assert len(comparison(found, settings, "roc_auc")) == len(found) - 1


def test_metric_by_parameter_is_a_byte_stable_png(tmp_path: Path):
    found, settings = results(expand(GRID))
    table = comparison(found, settings, "roc_auc")
    parameters = swept_parameters(settings.values())
    for name in ("a.png", "b.png"):
        metric_by_parameter(table, parameters, "valid roc_auc", 0.62, "baseline", "t", tmp_path / name)
    assert (tmp_path / "a.png").read_bytes().startswith(PNG)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    one = pd.DataFrame({"valid roc_auc": [0.7], "train.hgb.max_iter": pd.array([50], dtype="Int64")})
    path = tmp_path / "c.png"
    metric_by_parameter(one, ["train.hgb.max_iter"], "valid roc_auc", 0.6, "baseline", "t", path)
    assert path.read_bytes().startswith(PNG)  # one experiment: still a figure


GOOD = {"workers": 2, "timeout_minutes": 40, "rank_by": "roc_auc", "grid": [{"train.hgb.max_iter": [50]}]}


def test_the_committed_spec_passes(monkeypatch):
    monkeypatch.chdir(PROJECT)
    assert read_spec(SWEEP_SPEC)["rank_by"] == "roc_auc"


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        (["a list"], "spec.yaml: expected a mapping of sections, got list"),
        ({k: v for k, v in GOOD.items() if k != "rank_by"}, "spec.yaml has missing keys ['rank_by']"),
        (GOOD | {"workers": "two"}, "spec.yaml: workers = 'two' is invalid"),
        (GOOD | {"timeout_minutes": 0}, "spec.yaml: timeout_minutes = 0 is invalid"),
        (GOOD | {"rank_by": "auc"}, "spec.yaml: rank_by = 'auc' is invalid"),
        (GOOD | {"grid": {"train.hgb.max_iter": [50]}}, "spec.yaml: grid = {'train.hgb.max_iter': [50]}"),
        (GOOD | {"grid": [{"train.hgb.max_iter": 50}]}, "grid[0].train.hgb.max_iter = 50 is invalid"),
        (
            GOOD | {"grid": [{"train.hgb.max_iter": [50]}, {"train.hgb.max_iters": [60]}]},
            "grid[1].train.hgb.max_iters = 'train.hgb.max_iters' is invalid: expected a parameter",
        ),
        (GOOD | {"grid": [{"train.hgb": [1]}]}, "grid[0].train.hgb = 'train.hgb' is invalid"),  # a section
        (
            GOOD | {"grid": [{"train.hgb.seed": [1]}, {"evaluate.seed": [1]}]},
            "grid = {'evaluate.seed': 1} is invalid: expected a run named apart from {'train.hgb.seed': 1} "
            "(both are 'seed-1')",
        ),
        (
            GOOD | {"grid": [{"train.hgb.max_iter": [50]}, {"train.model": ["hgb", "xgb"]}]},
            "spec.yaml: the run {'train.model': 'xgb'}: params.yaml: train.model = 'xgb' is invalid",
        ),
        (
            GOOD | {"grid": [{"train.hgb.learning_rate": [0.1, -1e-3]}]},
            "train.hgb.learning_rate = -0.001 is invalid",  # YAML 1.2, as DVC reads -S values
        ),
        (GOOD | {"grid": [{"label.delay_minutes": [15.5]}]}, "label.delay_minutes = 15.5 is invalid"),
    ],
    ids=["list", "no-rank_by", "workers-text", "no-time", "unknown-metric", "grid-mapping", "values-not-list",
         "typo-in-second-block", "a-section", "two-runs-one-name", "unknown-model", "negative-rate",
         "fractional-minutes"],
)  # fmt: skip
def test_a_bad_spec_is_named_and_nothing_is_queued(monkeypatch, tmp_path, capsys, spec, named):
    monkeypatch.chdir(PROJECT)  # the project's params.yaml; main returns before any dvc command
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(ParamError, match=re.escape(named)):
        read_spec(path)
    assert main(["--spec", str(path)]) == 2
    assert "error: " in capsys.readouterr().err


def test_a_runs_settings_change_a_copy_of_params():
    params = {"train": {"model": "hgb", "hgb": {"max_iter": 200}}, "features": {"weather": True}}
    changed = with_settings(params, {"train.hgb.max_iter": 50, "features.weather": False})
    assert changed == {"train": {"model": "hgb", "hgb": {"max_iter": 50}}, "features": {"weather": False}}
    assert params["train"]["hgb"]["max_iter"] == 200 and params["features"]["weather"] is True


def test_a_missing_spec_file_is_named(tmp_path, capsys):
    assert main(["--spec", str(tmp_path / "absent.yaml")]) == 2
    assert f"{tmp_path / 'absent.yaml'} does not exist" in capsys.readouterr().err
