"""Unit tests of mlkit.evaluation against scikit-learn's own metric functions and brute force."""

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from mlkit.evaluation import choose_threshold, curve_tables, score, slice_scores
from mlkit.metrics import METRICS, improvement, lift


def random_scores(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels that depend on the probability, so every metric is informative."""
    rng = np.random.default_rng(seed)
    proba = rng.uniform(0.01, 0.99, n)
    y = (rng.uniform(size=n) < proba).astype(int)
    return y, proba


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.72])
def test_score_matches_scikit_learn(seed, threshold):
    y, proba = random_scores(500, seed)
    predicted = (proba >= threshold).astype(int)
    expected = {
        "roc_auc": skm.roc_auc_score(y, proba),
        "average_precision": skm.average_precision_score(y, proba),
        "log_loss": skm.log_loss(y, proba),
        "brier": skm.brier_score_loss(y, proba),
        "accuracy": skm.accuracy_score(y, predicted),
        "f1": skm.f1_score(y, predicted),
        "precision": skm.precision_score(y, predicted),
        "recall": skm.recall_score(y, predicted),
    }
    got = score(y, proba, threshold)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert all(isinstance(value, float) for value in got.values())


def test_score_produces_every_metric_and_only_those():
    y, proba = random_scores(100, 3)
    assert set(score(y, proba, 0.5)) == set(METRICS)
    assert set(METRICS.values()) <= {"higher", "lower"}


def test_score_threshold_is_inclusive():
    y = np.array([0, 1, 1])
    proba = np.array([0.2, 0.5, 0.9])
    assert score(y, proba, 0.5)["recall"] == 1.0
    assert score(y, proba, 0.50001)["recall"] == 0.5


@pytest.mark.filterwarnings("ignore:No positive class found:UserWarning")
def test_score_survives_certain_probabilities_and_one_class():
    y = np.array([0, 0, 1, 1])
    proba = np.array([0.0, 1.0, 0.0, 1.0])  # confidently wrong half the time: log loss must stay finite
    assert np.isfinite(score(y, proba, 0.5)["log_loss"])
    single = score(np.zeros(4, dtype=int), np.array([0.1, 0.2, 0.3, 0.4]), 0.5)
    assert np.isnan(single["roc_auc"]) and np.isnan(single["average_precision"])
    assert np.isfinite(single["log_loss"]) and np.isfinite(single["brier"])
    assert single["accuracy"] == 1.0


def test_ranking_and_brier_use_the_probabilities_as_given():
    """Only log loss clips: clipping first would tie 0, 1e-9 and 2e-9 and change the ROC AUC."""
    y = np.array([0, 0, 1, 1, 0, 1])
    proba = np.array([0.0, 1e-9, 2e-9, 1.0, 1 - 1e-9, 1.0])
    got = score(y, proba, 0.5)
    assert got["roc_auc"] == skm.roc_auc_score(y, proba) == pytest.approx(8 / 9)
    assert got["average_precision"] == skm.average_precision_score(y, proba)
    assert got["brier"] == skm.brier_score_loss(y, proba)


def brute_force_f1(y: np.ndarray, proba: np.ndarray) -> dict[float, float]:
    return {float(t): skm.f1_score(y, (proba >= t).astype(int)) for t in np.unique(proba)}


@pytest.mark.parametrize("seed", range(8))
def test_choose_threshold_maximises_f1(seed):
    y, proba = random_scores(40, seed)
    if seed % 2:  # ties between probabilities too
        proba = np.round(proba, 1)
    f1 = brute_force_f1(y, proba)
    best = max(f1.values())
    chosen = choose_threshold(y, proba)
    assert chosen in f1, "the cut is one of the probabilities"
    assert f1[chosen] == pytest.approx(best)
    # Ties go to the lowest cut (more recall for the same F1), deterministically.
    assert chosen == min(t for t, value in f1.items() if np.isclose(value, best))


def test_choose_threshold_on_separable_data():
    y = np.array([0, 0, 0, 1, 1])
    proba = np.array([0.1, 0.3, 0.35, 0.8, 0.9])
    assert choose_threshold(y, proba) == pytest.approx(0.8)


def test_improvement_follows_each_metric_direction():
    assert improvement("roc_auc", 0.70, 0.62) == pytest.approx(0.08)
    assert improvement("roc_auc", 0.60, 0.62) == pytest.approx(-0.02)
    assert improvement("log_loss", 0.50, 0.60) == pytest.approx(0.10)  # lower is better: a drop helps
    assert improvement("log_loss", 0.65, 0.60) == pytest.approx(-0.05)
    assert improvement("brier", 0.18, 0.20) == pytest.approx(0.02)
    for metric, direction in METRICS.items():
        sign = 1 if direction == "higher" else -1
        assert improvement(metric, 0.5, 0.4) == pytest.approx(sign * 0.1)


def test_improvement_of_an_unknown_metric_fails():
    with pytest.raises(KeyError):
        improvement("not_a_metric", 1.0, 0.0)


def test_lift_is_model_minus_baseline_and_agrees_with_improvement():
    y, proba = random_scores(400, 4)
    rng = np.random.default_rng(4)
    noisy = np.clip(proba + rng.normal(0, 0.3, len(proba)), 0.01, 0.99)
    model, baseline = score(y, proba, 0.5), score(y, noisy, 0.5)
    result = lift(model, baseline)
    assert set(result) == set(METRICS)
    for metric in METRICS:
        assert result[metric] == pytest.approx(model[metric] - baseline[metric])
        # The raw difference and the direction-aware improvement agree on better vs worse.
        sign = 1 if METRICS[metric] == "higher" else -1
        assert improvement(metric, model[metric], baseline[metric]) == pytest.approx(sign * result[metric])
    # The better model: its log loss drops (negative lift), which is an improvement.
    assert result["roc_auc"] > 0 and result["log_loss"] < 0 and result["brier"] < 0
    assert improvement("log_loss", model["log_loss"], baseline["log_loss"]) > 0


def test_lift_keeps_only_metrics_present_in_both():
    result = lift({"roc_auc": 0.7, "log_loss": 0.5, "rows": 10}, {"roc_auc": 0.6, "rows": 8})
    assert result == pytest.approx({"roc_auc": 0.1})


def test_slice_scores_reports_small_slices_by_size_only():
    groups = pd.Series(["big"] * 300 + ["small"] * 50 + ["exact"] * 200)
    y, proba = random_scores(len(groups), 5)
    result = slice_scores(y, proba, groups, threshold=0.5, min_rows=200)
    assert set(result) == {"big", "small", "exact"}
    assert set(result["small"]) == {"rows", "positive_rate"}
    assert result["small"]["rows"] == 50
    assert result["small"]["positive_rate"] == pytest.approx(y[300:350].mean())
    for name, part in (("big", slice(0, 300)), ("exact", slice(350, 550))):
        assert set(result[name]) == {"rows", "positive_rate", *METRICS}
        assert result[name]["rows"] == part.stop - part.start
        expected = score(y[part], proba[part], 0.5)
        assert {k: result[name][k] for k in METRICS} == pytest.approx(expected)


def test_slice_scores_names_groups_as_strings():
    y, proba = random_scores(30, 6)
    result = slice_scores(y, proba, pd.Series([1, 2, 3] * 10), threshold=0.5, min_rows=1)
    assert list(result) == ["1", "2", "3"]


def test_curve_tables_are_thinned_and_anchored():
    y, proba = random_scores(5000, 7)
    tables = curve_tables(y, proba)
    assert set(tables) == {"roc", "precision_recall", "calibration"}
    roc = tables["roc"]
    assert list(roc.columns) == ["fpr", "tpr"]
    assert 2 <= len(roc) <= 200
    assert (roc.iloc[0]["fpr"], roc.iloc[0]["tpr"]) == (0.0, 0.0)
    assert (roc.iloc[-1]["fpr"], roc.iloc[-1]["tpr"]) == (1.0, 1.0)
    assert roc["fpr"].is_monotonic_increasing and roc["tpr"].is_monotonic_increasing
    pr = tables["precision_recall"]
    assert list(pr.columns) == ["recall", "precision"]
    assert 2 <= len(pr) <= 200
    assert pr["recall"].between(0, 1).all() and pr["precision"].between(0, 1).all()
    calibration = tables["calibration"]
    assert list(calibration.columns) == ["predicted", "observed"]
    assert 1 <= len(calibration) <= 10
    assert calibration["predicted"].is_monotonic_increasing
    # Labels drawn with these probabilities are calibrated: observed follows predicted.
    np.testing.assert_allclose(calibration["observed"], calibration["predicted"], atol=0.08)


def test_curve_tables_keep_small_curves_whole():
    y, proba = random_scores(60, 8)
    fpr, tpr, _ = skm.roc_curve(y, proba)
    roc = curve_tables(y, proba)["roc"]
    np.testing.assert_allclose(roc["fpr"], fpr)
    np.testing.assert_allclose(roc["tpr"], tpr)
