"""Unit tests of mlkit.bootstrap: weighted metrics equal scikit-learn's, intervals cover a known
difference at about their level, groups move together, runs repeat exactly, bad inputs are named."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from mlkit.bootstrap import (
    CLIP,
    PROBABILITY_METRICS,
    delta_record,
    group_codes,
    intervals_dict,
    paired_bootstrap,
    resample_counts,
    row_weights,
    weighted_scores,
)
from mlkit.evaluation import score
from mlkit.metrics import METRICS


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def population(rng: np.random.Generator, groups: int, per_group: int) -> tuple[np.ndarray, ...]:
    """Labels with a shared effect per group (a day's weather), a weaker base model and a better
    change (it also sees the second cause), and the group of every row."""
    shared = np.repeat(rng.normal(0, 0.7, groups), per_group)
    x, z = rng.normal(0, 1, (2, groups * per_group))
    y = (rng.random(groups * per_group) < sigmoid(-1 + x + 0.7 * z + shared)).astype(int)
    return y, sigmoid(-1 + 0.6 * x), sigmoid(-1.2 + x + 0.7 * z), np.repeat(np.arange(groups), per_group)


def scores(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, ...]:
    return population(np.random.default_rng(seed), n // 20, 20)


def test_metrics_are_registered():
    assert set(PROBABILITY_METRICS) <= set(METRICS)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("ties", [False, True])
def test_weighted_scores_equal_scikit_learn_with_sample_weight(seed, ties):
    rng = np.random.default_rng(seed)
    y, base, _, _ = scores(1500, seed)
    proba = base.round(2) if ties else base  # rounding makes ties, which count half
    weight = rng.poisson(1.0, len(y)).astype(float)  # zeros included, as in a resample
    found = weighted_scores(y, proba, weight)
    expected = {
        "roc_auc": skm.roc_auc_score(y, proba, sample_weight=weight),
        "average_precision": skm.average_precision_score(y, proba, sample_weight=weight),
        "log_loss": skm.log_loss(y, np.clip(proba, CLIP, 1 - CLIP), sample_weight=weight),
        "brier": skm.brier_score_loss(y, proba, sample_weight=weight),
    }
    assert found == pytest.approx(expected, abs=1e-12)


def test_point_delta_is_the_difference_of_the_evaluation_scores():
    y, base, change, days = scores()
    found = paired_bootstrap(y, base, change, days, resamples=20)
    old, new = score(y, base, 0.5), score(y, change, 0.5)
    for name in PROBABILITY_METRICS:
        assert found[name].delta == pytest.approx(new[name] - old[name], abs=1e-12)
        assert found[name].low <= found[name].delta <= found[name].high


def test_strata_give_the_mean_of_each_strata_delta():
    y, base, change, days = scores(3000)
    folds = days * 3 // (days.max() + 1)  # three folds of whole days, as a backtest's months
    found = paired_bootstrap(y, base, change, days, resamples=50, strata=folds)
    for name in PROBABILITY_METRICS:
        per_fold = [
            score(y[folds == f], change[folds == f], 0.5)[name]
            - score(y[folds == f], base[folds == f], 0.5)[name]
            for f in range(3)
        ]
        assert found[name].delta == pytest.approx(np.mean(per_fold), abs=1e-12)
        assert found[name].low <= found[name].delta <= found[name].high
    pooled = paired_bootstrap(y, base, change, days, resamples=50)
    assert found["roc_auc"].delta != pytest.approx(pooled["roc_auc"].delta, abs=1e-9)  # not the pooled one
    frame = pd.DataFrame({"day": days, "fold": folds})
    record = delta_record(y, base, change, frame, ["day"], 50, 0.95, 0, strata="fold")
    assert record["bootstrap"]["strata"] == "fold"
    assert record["delta"] == intervals_dict(found)
    with pytest.raises(ValueError, match="period"):
        delta_record(y, base, change, frame, ["day"], 50, 0.95, 0, strata="period")


def test_intervals_cover_the_population_difference_at_about_their_level():
    """200 datasets of 60 groups drawn from one population: the 95% interval of each metric's delta
    covers the population's delta in about 95% of them (percentile intervals on 60 groups run a little
    short; +-0.05 is about three standard errors of 200 draws)."""
    rng = np.random.default_rng(1)
    y, base, change, _ = population(rng, 4000, 50)  # 200,000 rows stand for the population
    old, new = weighted_scores(y, base), weighted_scores(y, change)
    truth = {name: new[name] - old[name] for name in PROBABILITY_METRICS}
    assert truth["roc_auc"] > 0.03  # a real difference, not a tie
    datasets = 200
    covered = dict.fromkeys(PROBABILITY_METRICS, 0)
    for seed in range(datasets):
        y, base, change, groups = population(rng, 60, 10)
        found = paired_bootstrap(y, base, change, groups, resamples=100, seed=seed)
        for name in PROBABILITY_METRICS:
            covered[name] += found[name].low <= truth[name] <= found[name].high
    coverage = {name: hits / datasets for name, hits in covered.items()}
    assert all(0.90 <= rate <= 0.99 for rate in coverage.values()), coverage


def test_identical_inputs_give_a_zero_width_interval_at_zero():
    y, base, _, days = scores()
    found = paired_bootstrap(y, base, base.copy(), days, resamples=50)
    for interval in found.values():
        assert (interval.delta, interval.low, interval.high) == (0.0, 0.0, 0.0)


def test_runs_repeat_to_the_byte_and_the_seed_matters():
    y, base, change, days = scores()

    def text(seed: int) -> str:
        return json.dumps(intervals_dict(paired_bootstrap(y, base, change, days, 50, seed=seed)))

    assert text(3) == text(3)
    assert text(3) != text(4)


def test_level_widens_the_interval():
    y, base, change, days = scores()
    narrow = paired_bootstrap(y, base, change, days, 200, level=0.5)
    wide = paired_bootstrap(y, base, change, days, 200, level=0.99)
    for name in PROBABILITY_METRICS:
        assert wide[name].low < narrow[name].low < narrow[name].high < wide[name].high


def test_rows_of_a_group_move_together():
    groups = pd.DataFrame({"month": [11, 11, 11, 12, 12, 11], "day": [1, 1, 2, 1, 1, 2]})
    codes = group_codes(groups, 6)
    assert codes.tolist() == [0, 0, 1, 2, 2, 1]
    weights = row_weights(codes, resample_counts(3, 500, seed=0))
    assert (weights[:, 0] == weights[:, 1]).all() and (weights[:, 2] == weights[:, 5]).all()
    assert (weights[:, 3] == weights[:, 4]).all()
    assert (resample_counts(3, 500, seed=0).sum(axis=1) == 3).all()  # each resample draws 3 groups


def test_groups_are_the_unit():
    """Repeating every row inside its own group changes nothing (a group weighs as a whole), while
    treating each row as its own unit narrows the interval of correlated rows."""
    y, base, change, days = scores()
    once = paired_bootstrap(y, base, change, days, 100)
    twice = paired_bootstrap(np.tile(y, 2), np.tile(base, 2), np.tile(change, 2), np.tile(days, 2), 100)
    for name in PROBABILITY_METRICS:
        assert twice[name].low == pytest.approx(once[name].low, abs=1e-12)
        assert twice[name].high == pytest.approx(once[name].high, abs=1e-12)
    # the change is better on every row of half the groups and worse on every row of the others
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(40), 50)
    y = rng.integers(0, 2, len(groups))
    sign = np.where(groups % 2 == 0, 1.0, -1.0)
    base, change = np.full(len(y), 0.5), 0.5 + 0.3 * sign * (y - 0.5)
    by_group = paired_bootstrap(y, base, change, groups, 200)["brier"]
    by_row = paired_bootstrap(y, base, change, None, 200)["brier"]
    assert by_row.high - by_row.low < (by_group.high - by_group.low) / 3


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda p: p[:-1], "the same rows"),
        (lambda p: np.where(np.arange(len(p)) == 0, np.nan, p), "not probabilities"),
        (lambda p: p + 1.5, "not probabilities"),
    ],
)
def test_bad_scores_are_named(change, message):
    y, base, _, days = scores()
    with pytest.raises(ValueError, match=message):
        paired_bootstrap(y, base, change(base), days, 10)


def test_bad_labels_groups_and_settings_are_named():
    y, base, change, days = scores()
    with pytest.raises(ValueError, match="one class only"):
        paired_bootstrap(np.ones_like(y), base, change, days, 10)
    with pytest.raises(ValueError, match="expected 0 and 1"):
        paired_bootstrap(y * 2, base, change, days, 10)
    with pytest.raises(ValueError, match="groups have 1999 rows"):
        paired_bootstrap(y, base, change, days[:-1], 10)
    with pytest.raises(ValueError, match="missing values"):
        paired_bootstrap(y, base, change, pd.Series(days, dtype=float).where(days > 0), 10)
    with pytest.raises(ValueError, match="resamples = 0"):
        paired_bootstrap(y, base, change, days, 0)
    with pytest.raises(ValueError, match="level = 95"):
        paired_bootstrap(y, base, change, days, 10, level=95)
