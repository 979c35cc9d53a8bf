"""Confidence intervals on a metric's delta: a seeded, paired bootstrap over groups.

Two probability vectors scored on the same rows (a change and its base, a model and its baseline) are
compared on the same resamples, so their shared luck cancels out. The unit resampled is a group (rows
that share their fate: a day, a period, or each row alone); a resample draws groups with replacement,
which becomes a weight per row (how many times its group was drawn, `row_weights`), and every metric
is a weighted metric: no row is copied. The weighted ROC AUC, average precision, log loss and Brier
score equal scikit-learn's with `sample_weight` (a test checks it); they are computed from one sort per
vector and sums per (score, group) cell, so 200 resamples of 50,000 rows take well under a second
(scikit-learn's own functions, called per resample, would take half a minute).

The interval is the percentile interval of the resampled deltas; everything is seeded, so a run gives
the same numbers to the last bit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from mlkit.metrics import METRICS

PROBABILITY_METRICS: tuple[str, ...] = ("roc_auc", "average_precision", "log_loss", "brier")
CLIP = 1e-7  # log loss clips probabilities as mlkit.evaluation.score does
CELLS_PER_CHUNK = 2_000_000  # resamples x rows held in memory at once

assert set(PROBABILITY_METRICS) <= set(METRICS)


@dataclass(frozen=True)
class Interval:
    """A delta (change minus base, in the metric's own sign) and its percentile interval."""

    delta: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"delta": self.delta, "low": self.low, "high": self.high}


# ------------------------------------------------------------------------------------------ groups
def group_codes(groups: pd.DataFrame | pd.Series | np.ndarray | None, rows: int) -> np.ndarray:
    """One integer code per row, 0..G-1, from a column, a frame of columns (their combinations) or
    None (every row its own group)."""
    if groups is None:
        return np.arange(rows)
    if isinstance(groups, pd.DataFrame):
        if len(groups.columns) == 0:
            raise ValueError("the group columns are empty: name at least one column")
        codes = groups.groupby(list(groups.columns), sort=True, dropna=False).ngroup().to_numpy()
    else:
        codes = pd.factorize(np.asarray(groups), sort=True)[0]
    if len(codes) != rows:
        raise ValueError(f"the groups have {len(codes)} rows, the scores {rows}: they must be the same rows")
    if (codes < 0).any():
        raise ValueError("the group column holds missing values: every row needs a group")
    return codes.astype(np.int64)


def resample_counts(n_groups: int, resamples: int, seed: int) -> np.ndarray:
    """(resamples, n_groups): how many times each group is drawn in each resample (multinomial, each
    resample draws n_groups groups with replacement); seeded. The same draws serve both vectors: the
    bootstrap is paired."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=resamples)


def row_weights(codes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(resamples, rows): each row weighs as many times as its group was drawn."""
    return counts[:, codes].astype(float)


# ----------------------------------------------------------------------------------------- metrics
class WeightedScorer:
    """The probability metrics of one vector under many draws of group counts. Rows are summed once
    into (score, group) cells, so a resample costs a sparse product, whatever the number of rows."""

    def __init__(self, y: np.ndarray, proba: np.ndarray, codes: np.ndarray, n_groups: int | None = None):
        n_groups = int(codes.max()) + 1 if n_groups is None else n_groups
        order = np.argsort(-proba, kind="stable")
        ranked = proba[order]
        bucket = np.empty(len(proba), dtype=np.int64)  # one bucket per distinct score, highest first
        bucket[order] = np.cumsum(np.r_[True, ranked[1:] != ranked[:-1]]) - 1
        shape = (int(bucket.max()) + 1, n_groups)
        self.positive = sparse.csr_matrix((y, (bucket, codes)), shape=shape)
        self.negative = sparse.csr_matrix((1 - y, (bucket, codes)), shape=shape)
        clipped = np.clip(proba, CLIP, 1 - CLIP)
        log_loss = -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))
        self.rows = np.bincount(codes, minlength=n_groups).astype(float)
        self.log_loss = np.bincount(codes, log_loss, minlength=n_groups)
        self.squared = np.bincount(codes, (proba - y) ** 2, minlength=n_groups)

    def scores(self, counts: np.ndarray) -> dict[str, np.ndarray]:
        """Each metric of PROBABILITY_METRICS for each row of `counts` (resamples, groups): every row
        of the data weighs its group's count. NaN where a draw leaves one class only (ranking metrics)."""
        drawn = np.ascontiguousarray(np.asarray(counts, dtype=float).T)  # (groups, resamples)
        pos = np.asarray(self.positive @ drawn)  # (buckets, resamples): weight per score bucket
        neg = np.asarray(self.negative @ drawn)
        tp, fp = np.cumsum(pos, axis=0), np.cumsum(neg, axis=0)
        total_pos, total_neg = tp[-1], fp[-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            # trapezoids of the ROC curve (ties count half); precision at each distinct score
            auc = (neg * (tp - 0.5 * pos)).sum(axis=0) / (total_pos * total_neg)
            precision = tp / np.maximum(tp + fp, np.finfo(float).tiny)  # 0 before any weight
            average_precision = (pos * precision).sum(axis=0) / total_pos
        both = (total_pos > 0) & (total_neg > 0)
        total = self.rows @ drawn
        return {
            "roc_auc": np.where(both, auc, np.nan),
            "average_precision": np.where(both, average_precision, np.nan),
            "log_loss": self.log_loss @ drawn / total,
            "brier": self.squared @ drawn / total,
        }


def weighted_scores(y: np.ndarray, proba: np.ndarray, weight: np.ndarray | None = None) -> dict[str, float]:
    """Each metric of PROBABILITY_METRICS under one row weighting (None: every row once): equal to
    scikit-learn's metrics with `sample_weight`."""
    y, proba = _labels(y), _probabilities("proba", proba, len(y))
    weight = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=float)
    found = WeightedScorer(y, proba, np.arange(len(y))).scores(weight[None, :])
    return {name: float(values[0]) for name, values in found.items()}


# --------------------------------------------------------------------------------------- bootstrap
def paired_bootstrap(
    y: np.ndarray,
    base: np.ndarray,
    change: np.ndarray,
    groups: pd.DataFrame | pd.Series | np.ndarray | None = None,
    resamples: int = 200,
    level: float = 0.95,
    seed: int = 0,
    strata: pd.Series | np.ndarray | None = None,
) -> dict[str, Interval]:
    """For each metric of PROBABILITY_METRICS, `change` minus `base` on all rows and its `level`
    percentile interval over `resamples` paired resamples of the groups (see `group_codes`).

    With `strata` (one value per row, e.g. the fold of a backtest) the delta is the mean over strata of
    each stratum's metric delta, as a backtest's fold mean is; every resample draws one weight per
    group and scores each stratum under it.

    Raises ValueError on rows that do not line up, labels other than 0/1 or of one class only,
    probabilities outside [0, 1], fewer than one resample or a level outside (0, 1).
    """
    y = _labels(y)
    base, change = _probabilities("base", base, len(y)), _probabilities("change", change, len(y))
    if isinstance(resamples, bool) or not isinstance(resamples, int | np.integer) or resamples < 1:
        raise ValueError(f"resamples = {resamples!r}: expected a whole number >= 1")
    if not 0 < level < 1:
        raise ValueError(f"level = {level!r}: expected a number between 0 and 1, such as 0.95")
    codes = group_codes(groups, len(y))
    n_groups = int(codes.max()) + 1
    counts = resample_counts(n_groups, resamples, seed)
    layers = (
        np.zeros(len(y), np.int64) if strata is None else group_codes(pd.Series(np.asarray(strata)), len(y))
    )
    scorers = []
    for layer in range(int(layers.max()) + 1):
        rows = layers == layer
        _labels(y[rows])  # each stratum needs both classes
        scorers.append(
            tuple(WeightedScorer(y[rows], proba[rows], codes[rows], n_groups) for proba in (base, change))
        )

    def deltas(drawn: np.ndarray) -> dict[str, np.ndarray]:
        found = {name: np.zeros(len(drawn)) for name in PROBABILITY_METRICS}
        for old_scorer, new_scorer in scorers:
            old, new = old_scorer.scores(drawn), new_scorer.scores(drawn)
            for name in PROBABILITY_METRICS:
                found[name] += (new[name] - old[name]) / len(scorers)
        return found

    point = deltas(np.ones((1, n_groups)))  # every group once: every row once
    chunk = max(1, CELLS_PER_CHUNK // len(y))
    parts = [deltas(counts[i : i + chunk]) for i in range(0, resamples, chunk)]
    tail = (1 - level) / 2
    result = {}
    for name in PROBABILITY_METRICS:
        drawn = np.concatenate([part[name] for part in parts])
        low, high = np.nanquantile(drawn, [tail, 1 - tail]) if np.isfinite(drawn).any() else (np.nan, np.nan)
        result[name] = Interval(float(point[name][0]), float(low), float(high))
    return result


def intervals_dict(intervals: Mapping[str, Interval]) -> dict[str, dict[str, float]]:
    """{metric: {delta, low, high}}, for a metrics file."""
    return {name: interval.as_dict() for name, interval in intervals.items()}


def delta_record(
    y: np.ndarray,
    base: np.ndarray,
    change: np.ndarray,
    frame: pd.DataFrame,
    group_by: Sequence[str],
    resamples: int,
    level: float,
    seed: int,
    strata: str | None = None,
) -> dict[str, Any]:
    """`paired_bootstrap` over the `group_by` columns of `frame` (the rows of y), as a metrics file
    holds it: {"bootstrap": the settings and the number of groups, "delta": {metric: {delta, low,
    high}}}; `strata` names a column of `frame` whose strata's mean delta is wanted (a backtest's
    folds). A column missing from `frame` is a ValueError that names it."""
    missing = [column for column in [*group_by, *[strata][: bool(strata)]] if column not in frame.columns]
    if missing:
        raise ValueError(f"bootstrap.group_by names {missing}, which the data lacks: {list(frame.columns)}")
    groups = frame[list(group_by)]
    layers = None if strata is None else frame[strata]
    found = paired_bootstrap(y, base, change, groups, resamples, level, seed, layers)
    settings = {"group_by": list(group_by), "resamples": resamples, "level": level, "seed": seed}
    settings |= {"strata": strata} if strata else {}
    return {
        "bootstrap": settings | {"groups": int(group_codes(groups, len(groups)).max()) + 1},
        "delta": intervals_dict(found),
    }


# ------------------------------------------------------------------------------------------ checks
def _labels(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    values = set(np.unique(y).tolist())
    if not values <= {0, 1}:
        raise ValueError(f"the labels hold {sorted(values)[:5]}: expected 0 and 1")
    if len(values) < 2:
        raise ValueError(f"the labels hold one class only ({sorted(values)}): the metrics need both")
    return y.astype(float)


def _probabilities(name: str, proba: np.ndarray, rows: int) -> np.ndarray:
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 1 or len(proba) != rows:
        raise ValueError(
            f"{name} has {proba.shape[0] if proba.ndim else 0} values, the labels {rows} rows: "
            "they must be the same rows"
        )
    if not np.isfinite(proba).all() or (proba < 0).any() or (proba > 1).any():
        raise ValueError(f"{name} holds values that are not probabilities (missing, or outside [0, 1])")
    return proba
