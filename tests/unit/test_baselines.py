"""Unit tests of mlkit.baselines: the smoothed group-rate baseline and the majority class."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from flights.shared.vocabulary import LABEL
from mlkit.backtest import fit_backtested, walk_forward
from mlkit.baselines import GroupRateClassifier, majority_class
from mlkit.errors import DataError

# Group a: 2 of 3 positive, b: 0 of 2, c: 1 of 1; overall 3 of 6, so the prior is 0.5.
TINY = pd.DataFrame({"g": ["a", "a", "a", "b", "b", "c"], "y": [1, 1, 0, 0, 0, 1]})


def positive(model, frame: pd.DataFrame) -> np.ndarray:
    return model.predict_proba(frame)[:, 1]


def test_smoothed_rates_by_hand():
    model = GroupRateClassifier(group_by=("g",), smoothing=2).fit(TINY, TINY["y"])
    assert model.prior_ == pytest.approx(0.5)
    # (positives + smoothing * prior) / (rows + smoothing)
    expected = {
        "a": (2 + 2 * 0.5) / (3 + 2),
        "b": (0 + 2 * 0.5) / (2 + 2),
        "c": (1 + 2 * 0.5) / (1 + 2),
    }
    assert model.rates_ == pytest.approx(expected)
    query = pd.DataFrame({"g": ["c", "a", "b", "a"]})
    np.testing.assert_allclose(positive(model, query), [2 / 3, 0.6, 0.25, 0.6])


def test_probabilities_are_two_columns_summing_to_one():
    model = GroupRateClassifier(group_by=("g",), smoothing=2).fit(TINY, TINY["y"])
    proba = model.predict_proba(TINY)
    assert proba.shape == (len(TINY), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.classes_, [0, 1])


def test_smoothing_zero_gives_raw_rates():
    model = GroupRateClassifier(group_by=("g",), smoothing=0).fit(TINY, TINY["y"])
    query = pd.DataFrame({"g": ["a", "b", "c"]})
    np.testing.assert_allclose(positive(model, query), [2 / 3, 0.0, 1.0])


def test_large_smoothing_pulls_every_group_to_the_prior():
    model = GroupRateClassifier(group_by=("g",), smoothing=1e9).fit(TINY, TINY["y"])
    np.testing.assert_allclose(positive(model, TINY), 0.5, atol=1e-6)


def test_unseen_group_gets_the_prior():
    model = GroupRateClassifier(group_by=("g",), smoothing=2).fit(TINY, TINY["y"])
    query = pd.DataFrame({"g": ["zzz", "a"]})
    np.testing.assert_allclose(positive(model, query), [0.5, 0.6])


def test_two_columns_unseen_value_of_one_column_gets_the_prior():
    frame = pd.DataFrame(
        {
            "carrier": ["AA", "AA", "AA", "UA", "UA", "UA", "UA", "UA"],
            "hour": [6, 6, 18, 6, 18, 18, 18, 18],
            "y": [0, 0, 1, 0, 1, 1, 0, 1],
        }
    )
    model = GroupRateClassifier(group_by=("carrier", "hour"), smoothing=0).fit(frame, frame["y"])
    prior = 4 / 8
    query = pd.DataFrame(
        {
            "carrier": ["AA", "UA", "AA", "DL", "DL"],
            "hour": [6, 18, 12, 6, 12],  # seen, seen, unseen hour, unseen carrier, both unseen
        }
    )
    np.testing.assert_allclose(positive(model, query), [0.0, 3 / 4, prior, prior, prior])
    # The pair is the group, not each column: AA at 18 is its own group (one flight, disrupted).
    assert positive(model, pd.DataFrame({"carrier": ["AA"], "hour": [18]}))[0] == pytest.approx(1.0)


def test_missing_group_value_gets_the_prior():
    model = GroupRateClassifier(group_by=("g",), smoothing=2).fit(TINY, TINY["y"])
    query = pd.DataFrame({"g": [None, "b"]}, dtype="object")
    np.testing.assert_allclose(positive(model, query), [0.5, 0.25])


def test_predict_cuts_at_one_half():
    model = GroupRateClassifier(group_by=("g",), smoothing=0).fit(TINY, TINY["y"])
    np.testing.assert_array_equal(model.predict(pd.DataFrame({"g": ["a", "b", "c"]})), [1, 0, 1])


@pytest.mark.parametrize("group_by", [(), []])
def test_empty_group_by_is_rejected(group_by):
    with pytest.raises(ValueError, match="group_by"):
        GroupRateClassifier(group_by=group_by).fit(TINY, TINY["y"])


def test_negative_smoothing_is_rejected():
    with pytest.raises(ValueError, match="smoothing"):
        GroupRateClassifier(group_by=("g",), smoothing=-1).fit(TINY, TINY["y"])


def test_unfitted_model_refuses_to_predict():
    with pytest.raises(NotFittedError):
        GroupRateClassifier(group_by=("g",)).predict_proba(TINY)


def test_clone_keeps_the_settings():
    model = clone(GroupRateClassifier(group_by=("g",), smoothing=3))
    assert model.get_params() == {"group_by": ("g",), "smoothing": 3}


@pytest.mark.parametrize(("labels", "majority"), [([1, 1, 1, 0], 1), ([0, 0, 0, 1, 1], 0)])
def test_majority_class_predicts_majority_with_prior_probability(labels, majority):
    X = pd.DataFrame({"anything": np.arange(len(labels))})
    model = majority_class().fit(X, labels)
    query = pd.DataFrame({"anything": [100, -5, 7]})
    np.testing.assert_array_equal(model.predict(query), [majority] * 3)
    np.testing.assert_allclose(model.predict_proba(query)[:, 1], np.mean(labels))


def test_the_backtest_refuses_training_months_of_one_class():
    """A label setting under which no flight is disrupted leaves nothing to learn: named before any fit,
    not an IndexError from predict_proba's missing second column."""
    train = pd.DataFrame({"carrier": ["UA", "AA", "UA", "DL"], "month": [1, 1, 2, 2], LABEL: [0, 0, 0, 0]})
    plan = walk_forward("month", [1, 2], [2])
    with pytest.raises(DataError, match=r"the training data holds one class only \(disrupted = \[0\]\)"):
        fit_backtested(majority_class, train, LABEL, plan)
