"""The sweep's comparison table and its metric-vs-parameter figure, on made-up experiment results."""

from pathlib import Path

import pandas as pd

from flights.sweep import comparison
from mlkit.experiments import expand, experiment_name
from mlkit.plots import metric_by_parameter

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


def test_comparison_ranks_on_validation_and_keeps_a_column_per_parameter():
    found, settings = results(expand(GRID))
    table = comparison(found, settings, "roc_auc")
    assert table["valid roc_auc"].is_monotonic_decreasing
    assert table["experiment"].iloc[0] == "learning_rate-0.05_max_leaf_nodes-63"
    assert table["train.hgb.max_leaf_nodes"].tolist()[:2] == [63, 15]  # whole numbers stay whole
    assert table["train.hgb.max_leaf_nodes"].isna().sum() == 1  # the weather run leaves it alone
    assert table.loc[table["features.weather"].notna(), "experiment"].tolist() == ["weather-false"]


def test_a_failed_experiment_without_metrics_is_left_out():
    found, settings = results(expand(GRID))
    found[0] = (found[0][0], {}, {})
    assert len(comparison(found, settings, "roc_auc")) == len(found) - 1


def test_metric_by_parameter_is_a_byte_stable_png(tmp_path: Path):
    found, settings = results(expand(GRID))
    table = comparison(found, settings, "roc_auc")
    parameters = list(dict.fromkeys(key for run in settings.values() for key in run))
    for name in ("a.png", "b.png"):
        metric_by_parameter(table, parameters, "valid roc_auc", 0.62, "baseline", "t", tmp_path / name)
    assert (tmp_path / "a.png").read_bytes().startswith(PNG)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    one = pd.DataFrame({"valid roc_auc": [0.7], "train.hgb.max_iter": pd.array([50], dtype="Int64")})
    path = tmp_path / "c.png"
    metric_by_parameter(one, ["train.hgb.max_iter"], "valid roc_auc", 0.6, "baseline", "t", path)
    assert path.read_bytes().startswith(PNG)  # one experiment: still a figure
