"""Walk-forward backtest: the validation protocol of every model and baseline.

The training periods are ordered in time; some of them are chosen as backtest periods. Fold k scores
period p_k with a model fitted only on the training periods strictly before p_k, so no fold sees its
own period or a later one. The out-of-fold predictions of all folds are pooled to choose the yes/no
threshold, each fold is scored with it, and the validation metrics are the mean over folds (every
fold's metrics beside it). The model that is kept is refitted on all training periods. Periods that
are not training periods (the test periods) are never read.

With periods = months 1..10 and backtest periods [3, 7, 10]: fold 3 is fitted on months 1-2, fold 7
on 1-6, fold 10 on 1-9, and the final model on 1-10.
"""

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin

from mlkit.errors import DataError, ParamError
from mlkit.evaluation import choose_threshold, positive_proba, score
from mlkit.metrics import lift
from mlkit.runtime import in_parallel

ROW = "row"  # the columns of the out-of-fold predictions: the row of the frame it was given,
FOLD = "fold"  # the fold (its period)
PROBA = "proba"  # and the probability


@dataclass(frozen=True)
class Fold:
    """One fold: `period` is scored by a model fitted on `fit_periods` (all earlier training periods)."""

    period: Hashable
    fit_periods: tuple

    column: str = "period"

    @property
    def name(self) -> str:
        """The fold's key in metrics files: the period it scores, as `month_3`."""
        return f"{self.column}_{self.period}"


@dataclass(frozen=True)
class Plan:
    """Which rows each fit sees: the `column` holding the period, the training periods (the final
    model's) and the folds, in time order."""

    column: str
    train_periods: tuple
    folds: tuple[Fold, ...]

    def describe(self) -> list[dict]:
        """The folds as plain data, for a model card: each fold's scored period and fitted periods."""
        return [
            {self.column: fold.period, f"fit_{self.column}s": list(fold.fit_periods)} for fold in self.folds
        ]


def walk_forward(
    column: str, train_periods: Sequence, backtest_periods: Sequence, min_fit_periods: int = 1
) -> Plan:
    """The plan of a walk-forward backtest. Raises ParamError when a backtest period is not a
    training period, is listed twice, or has fewer than `min_fit_periods` training periods before it."""
    train = tuple(sorted(train_periods))
    if len(set(train)) != len(train):
        raise ParamError(f"the training {column}s {list(train_periods)} list a {column} twice")
    if not backtest_periods:
        raise ParamError(f"a backtest needs at least one {column} to score")
    if len(set(backtest_periods)) != len(backtest_periods):
        raise ParamError(f"the backtest {column}s {list(backtest_periods)} list a {column} twice")
    folds = []
    for period in sorted(backtest_periods):
        if period not in train:
            raise ParamError(
                f"backtest {column} {period} is not a training {column} ({list(train)}): a fold scores "
                f"a training {column}, never a held-out one"
            )
        before = tuple(p for p in train if p < period)
        if len(before) < max(min_fit_periods, 1):
            raise ParamError(
                f"backtest {column} {period} has {len(before)} training {column}s before it, fewer "
                f"than the {max(min_fit_periods, 1)} a fold is fitted on"
            )
        folds.append(Fold(period, before, column))
    return Plan(column, train, tuple(folds))


@dataclass(frozen=True)
class Backtest:
    """The outcome of `fit_backtested`."""

    model: ClassifierMixin  # fitted on every training period
    threshold: float  # chosen on the pooled out-of-fold predictions (or given)
    predictions: pd.DataFrame  # out-of-fold: the scored rows' index, their fold and probability
    folds: dict[str, dict[str, float]]  # each fold's metrics, by Fold.name, in time order
    mean: dict[str, float]  # the validation metrics: the mean over folds

    def metrics(self) -> dict:
        """The metrics file's content: threshold, validation (the fold mean) and folds."""
        return {"threshold": self.threshold, "validation": self.mean, "folds": self.folds}


def _check_fit_rows(labels: pd.Series, what: str) -> None:
    """A fit's labels (the column alone: no copy of its rows) must hold two classes."""
    classes = labels.unique().tolist()
    if len(classes) < 2:
        raise DataError(
            f"{what} holds one class only ({labels.name} = {classes}): nothing to learn; "
            "check the label's parameters and the split"
        )


@dataclass(frozen=True)
class RowCap:
    """At most `max_rows` rows per fit: a fit on more is given a uniform sample drawn with `seed`, kept
    in the data's order, so that a fit's memory stays bounded as the data grow. Every scored row is
    still scored."""

    max_rows: int
    seed: int = 0

    def apply(self, positions: np.ndarray) -> np.ndarray:
        """The positions (of a fit's rows, in the data's order) that a fit on them is given."""
        if len(positions) <= self.max_rows:
            return positions
        chosen = np.random.default_rng(self.seed).choice(len(positions), self.max_rows, replace=False)
        return positions[np.sort(chosen)]

    def describe(self, rows: int) -> dict:
        """What a fit on `rows` rows was given, for a model card."""
        return {"max_rows": self.max_rows, "seed": self.seed, "sampled": rows > self.max_rows}


def fit_backtested(
    make: Callable[[], ClassifierMixin],
    frame: pd.DataFrame,
    target: str,
    plan: Plan,
    threshold: float | None = None,
    cap: RowCap | None = None,
) -> Backtest:
    """Fit `make()` once per fold and once on all training periods; score the folds.

    Only rows of `frame` whose period is a training period are read. The threshold is chosen on the
    pooled out-of-fold predictions unless given: a majority-class model has no threshold to choose,
    its yes/no is its class (0.5). The fits are independent, so they run side by side in forked
    processes (`mlkit.runtime.in_parallel`), each fold predicting its own period there. With a `cap`,
    each fit sees at most its number of rows (`RowCap`), and training data beyond it are fitted one fit
    at a time.
    """
    periods = frame[plan.column]
    in_train = periods.isin(plan.train_periods).to_numpy()
    train = frame if in_train.all() else frame[in_train]  # no copy of a frame of training rows only
    _check_fit_rows(train[target], "the training data")
    for fold in plan.folds:
        if not (periods == fold.period).any():
            raise DataError(f"backtest {plan.column} {fold.period} has no rows in the training data")
        _check_fit_rows(
            train.loc[train[plan.column].isin(fold.fit_periods), target],
            f"the fit of backtest {plan.column} {fold.period} ({plan.column}s {list(fold.fit_periods)})",
        )

    def fit_rows(fit_periods: tuple) -> pd.DataFrame:
        """The rows a fit on `fit_periods` is given, copied once (capped first)."""
        positions = np.flatnonzero(train[plan.column].isin(fit_periods).to_numpy())
        return train.iloc[cap.apply(positions) if cap is not None else positions]

    def fold_proba(fold: Fold) -> np.ndarray:
        fit = fit_rows(fold.fit_periods)
        scored = train[train[plan.column] == fold.period]
        return positive_proba(make().fit(fit, fit[target]), scored)

    def final_fit() -> ClassifierMixin:
        rows = fit_rows(plan.train_periods)
        return make().fit(rows, rows[target])

    # longest first (the final fit, then the folds by how many periods they fit on): the processes pair
    # long fits with short ones and end nearly together. Results come back in call order.
    by_length = sorted(plan.folds, key=lambda fold: -len(fold.fit_periods))
    calls: list[Callable[[], Any]] = [final_fit]
    calls += [partial(fold_proba, fold) for fold in by_length]
    # beyond the cap the data are large: the fits run one after another, so that one fit's memory is
    # added to the table's, not one per process
    capped = cap is not None and len(train) > cap.max_rows
    final, *longest_first = in_parallel(calls, most=1 if capped else None)
    probas = dict(zip([fold.period for fold in by_length], longest_first, strict=True))

    parts = []
    for fold in plan.folds:
        proba = probas[fold.period]
        index = train.index[train[plan.column] == fold.period]
        parts.append(pd.DataFrame({FOLD: fold.period, PROBA: proba}, index=index))
    predictions = pd.concat(parts)
    y = train.loc[predictions.index, target].to_numpy()
    if threshold is None:
        threshold = choose_threshold(y, predictions[PROBA].to_numpy())
    folds = {}
    for fold in plan.folds:
        rows = (predictions[FOLD] == fold.period).to_numpy()
        folds[fold.name] = score(y[rows], predictions[PROBA].to_numpy()[rows], threshold)
    return Backtest(final, threshold, predictions, folds, fold_mean(folds))


def fold_mean(folds: dict[str, dict[str, float]]) -> dict[str, float]:
    """Each metric's mean over the folds (NaN when a fold has none, as ROC AUC on one class)."""
    names = next(iter(folds.values())).keys()
    return {name: float(np.mean([metrics[name] for metrics in folds.values()])) for name in names}


def out_of_fold(result: Backtest) -> pd.DataFrame:
    """The out-of-fold predictions as a table to write: columns ROW (the row's index label in the frame
    given to `fit_backtested`), FOLD and PROBA, in fold order."""
    return result.predictions.rename_axis(ROW).reset_index()


def compared(model: dict, baseline: dict) -> dict:
    """The validation section of an evaluation from the `Backtest.metrics()` of a model and of its
    baseline: `model`, `baseline` and `lift` as the fold mean, and under `folds` the same three for
    each fold."""
    if list(model["folds"]) != list(baseline["folds"]):
        raise DataError(
            f"model and baseline were backtested on different folds: {list(model['folds'])} and "
            f"{list(baseline['folds'])}; re-run both"
        )
    return {
        "model": model["validation"],
        "baseline": baseline["validation"],
        "lift": lift(model["validation"], baseline["validation"]),
        "folds": {
            name: {
                "model": scores,
                "baseline": baseline["folds"][name],
                "lift": lift(scores, baseline["folds"][name]),
            }
            for name, scores in model["folds"].items()
        },
    }
