"""The rolling-origin backtest (mlkit.backtest) on small synthetic frames."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from mlkit.backtest import FOLD, PROBA, ROW, compared, fit_backtested, out_of_fold, walk_forward
from mlkit.baselines import MAJORITY_THRESHOLD, majority_class
from mlkit.errors import DataError, ParamError
from mlkit.evaluation import choose_threshold, score
from mlkit.runtime import JOBS_VARIABLE

TARGET = "y"
TRAIN, BACKTEST, TEST = [1, 2, 3, 4, 5, 6], [2, 4, 6], [7, 8]


def synthetic(periods: list[int], rows: int = 60, seed: int = 0) -> pd.DataFrame:
    """`rows` per period; y depends on x, with a drift over periods."""
    rng = np.random.default_rng(seed)
    period = np.repeat(periods, rows)
    x = rng.normal(size=len(period))
    y = (x + 0.1 * period + rng.normal(size=len(period)) > 0.5).astype(int)
    return pd.DataFrame({"period": period, "x": x, TARGET: y})


class Recorder(ClassifierMixin, BaseEstimator):
    """Remembers the periods it was fitted on; its probability is the mean of x, a constant per fit."""

    def fit(self, X, y):
        self.periods_ = sorted(set(X["period"]))
        self.classes_ = np.array([0, 1])
        self.level_ = float(np.clip(X["x"].mean() + 0.5, 0.01, 0.99))
        return self

    def predict_proba(self, X):
        p = np.full(len(X), self.level_)
        return np.column_stack([1 - p, p])


class OnX(LogisticRegression):
    """Logistic regression on column x alone (a module-level class: results travel between processes)."""

    def fit(self, X, y):
        return super().fit(X[["x"]], y)

    def predict_proba(self, X):
        return super().predict_proba(X[["x"]])


def logistic() -> OnX:
    return OnX()


def test_each_fold_is_fitted_on_the_training_periods_strictly_before_it():
    plan = walk_forward("period", TRAIN, BACKTEST)
    assert [(f.period, f.fit_periods) for f in plan.folds] == [
        (2, (1,)),
        (4, (1, 2, 3)),
        (6, (1, 2, 3, 4, 5)),
    ]
    assert [f.name for f in plan.folds] == ["period_2", "period_4", "period_6"]
    assert plan.describe()[1] == {"period": 4, "fit_periods": [1, 2, 3]}


@pytest.mark.parametrize(
    ("backtest", "min_fit", "message"),
    [
        ([1, 3], 1, "backtest period 1 has 0 training periods before it"),
        ([3], 3, "backtest period 3 has 2 training periods before it, fewer than the 3"),
        ([7], 1, "backtest period 7 is not a training period"),
        ([3, 3], 1, "list a period twice"),
        ([], 1, "at least one period"),
    ],
)
def test_a_bad_plan_is_named(backtest, min_fit, message):
    with pytest.raises(ParamError, match=message):
        walk_forward("period", TRAIN, backtest, min_fit)


def test_no_fit_sees_its_own_period_a_later_one_or_a_test_period(monkeypatch):
    monkeypatch.setenv(JOBS_VARIABLE, "1")  # the fitted estimators stay in this process
    frame = synthetic(TRAIN + TEST)
    fitted = []

    def make():
        fitted.append(Recorder())
        return fitted[-1]

    result = fit_backtested(make, frame, TARGET, walk_forward("period", TRAIN, BACKTEST))
    final, *folds = fitted
    assert final.periods_ == TRAIN  # the final model: every training period, no test period
    assert [model.periods_ for model in folds] == [[1, 2, 3, 4, 5], [1, 2, 3], [1]]  # longest first
    assert result.model is final
    assert not set(result.predictions[FOLD]) & set(TEST)


def test_out_of_fold_predictions_are_row_aligned_with_their_fold():
    frame = synthetic(TRAIN + TEST).sample(frac=1.0, random_state=1)  # any index, any order
    result = fit_backtested(logistic, frame, TARGET, walk_forward("period", TRAIN, BACKTEST))
    predictions = result.predictions
    assert set(predictions.index) == set(frame.index[frame["period"].isin(BACKTEST)])
    assert (frame.loc[predictions.index, "period"] == predictions[FOLD]).all()
    # each fold's probabilities are those of a model fitted on the earlier periods alone
    fit = frame[frame["period"] < 4]
    expected = (
        logistic().fit(fit, fit[TARGET]).predict_proba(frame.loc[predictions.index[predictions[FOLD] == 4]])
    )
    np.testing.assert_allclose(predictions.loc[predictions[FOLD] == 4, PROBA], expected[:, 1])
    table = out_of_fold(result)
    assert list(table.columns) == [ROW, FOLD, PROBA] and table[ROW].tolist() == predictions.index.tolist()


def test_the_threshold_is_chosen_on_the_pooled_out_of_fold_predictions_and_folds_are_averaged():
    frame = synthetic(TRAIN + TEST)
    result = fit_backtested(logistic, frame, TARGET, walk_forward("period", TRAIN, BACKTEST))
    y = frame.loc[result.predictions.index, TARGET].to_numpy()
    assert result.threshold == choose_threshold(y, result.predictions[PROBA].to_numpy())
    for fold in (2, 4, 6):
        rows = (result.predictions[FOLD] == fold).to_numpy()
        assert result.folds[f"period_{fold}"] == score(
            y[rows], result.predictions[PROBA].to_numpy()[rows], result.threshold
        )
    for metric in ("roc_auc", "log_loss"):
        assert result.mean[metric] == pytest.approx(np.mean([f[metric] for f in result.folds.values()]))
    assert result.metrics() == {
        "threshold": result.threshold,
        "validation": result.mean,
        "folds": result.folds,
    }


def test_test_periods_do_not_change_anything():
    """Rows of periods outside the training periods (the test months) are never read."""
    plan = walk_forward("period", TRAIN, BACKTEST)
    frame = synthetic(TRAIN + TEST)
    other = frame.copy()
    test_rows = other["period"].isin(TEST)
    other.loc[test_rows, TARGET] = 1 - other.loc[test_rows, TARGET]  # a different future
    other.loc[test_rows, "x"] *= -3
    one, two = (fit_backtested(logistic, f, TARGET, plan) for f in (frame, other))
    assert one.threshold == two.threshold and one.folds == two.folds
    np.testing.assert_array_equal(one.model.coef_, two.model.coef_)


def test_a_given_threshold_is_kept():
    frame = synthetic(TRAIN)
    result = fit_backtested(
        majority_class, frame, TARGET, walk_forward("period", TRAIN, BACKTEST), MAJORITY_THRESHOLD
    )
    assert result.threshold == MAJORITY_THRESHOLD
    assert all(fold["roc_auc"] == 0.5 for fold in result.folds.values())


def test_a_fold_fit_of_one_class_is_named():
    frame = synthetic(TRAIN)
    frame.loc[frame["period"] == 1, TARGET] = 0
    with pytest.raises(
        DataError, match=r"the fit of backtest period 2 \(periods \[1\]\) holds one class only"
    ):
        fit_backtested(logistic, frame, TARGET, walk_forward("period", TRAIN, BACKTEST))


def test_a_backtest_period_without_rows_is_named():
    frame = synthetic([1, 2, 3, 5, 6])
    with pytest.raises(DataError, match="backtest period 4 has no rows"):
        fit_backtested(logistic, frame, TARGET, walk_forward("period", TRAIN, BACKTEST))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_backtest_is_identical_run_to_run_and_in_one_or_two_processes(monkeypatch, jobs):
    plan = walk_forward("period", TRAIN, BACKTEST)
    frame = synthetic(TRAIN + TEST)
    monkeypatch.setenv(JOBS_VARIABLE, "1")
    reference = fit_backtested(logistic, frame, TARGET, plan)
    monkeypatch.setenv(JOBS_VARIABLE, jobs)
    again = fit_backtested(logistic, frame, TARGET, plan)
    assert pickle.dumps(again.model) == pickle.dumps(reference.model)
    pd.testing.assert_frame_equal(again.predictions, reference.predictions)
    assert again.metrics() == reference.metrics()


def test_compared_gives_the_mean_and_each_fold_with_the_lift():
    frame = synthetic(TRAIN)
    plan = walk_forward("period", TRAIN, BACKTEST)
    model = fit_backtested(logistic, frame, TARGET, plan).metrics()
    baseline = fit_backtested(majority_class, frame, TARGET, plan, MAJORITY_THRESHOLD).metrics()
    section = compared(model, baseline)
    assert section["lift"]["roc_auc"] == pytest.approx(model["validation"]["roc_auc"] - 0.5)
    assert list(section["folds"]) == ["period_2", "period_4", "period_6"]
    fold = section["folds"]["period_4"]
    assert fold["lift"]["log_loss"] == fold["model"]["log_loss"] - fold["baseline"]["log_loss"]
    with pytest.raises(DataError, match="different folds"):
        compared(model, baseline | {"folds": {"period_2": baseline["folds"]["period_2"]}})
