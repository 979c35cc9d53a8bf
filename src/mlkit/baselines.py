"""Baselines that every model is scored against, saved and evaluated exactly like models."""

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.utils.validation import check_is_fitted

# The majority class's yes/no is its class: a probability below one half (the prior) says no.
MAJORITY_THRESHOLD = 0.5


def majority_class() -> DummyClassifier:
    """Always the majority class; its probability is the training prior (ROC AUC 0.5)."""
    return DummyClassifier(strategy="prior")


class GroupRateClassifier(ClassifierMixin, BaseEstimator):
    """The historical positive rate of each group, shrunk toward the overall rate.

    rate(group) = (positives + smoothing * prior) / (rows + smoothing); a group never seen in training
    gets the prior. With `group_by=("store", "weekday")`: the historical rate of each store on each weekday.
    """

    def __init__(self, group_by: tuple[str, ...] = (), smoothing: float = 20.0):
        self.group_by = group_by
        self.smoothing = smoothing

    def _keys(self, X: pd.DataFrame) -> pd.Series:
        columns = [X[c].astype("str") for c in self.group_by]
        # pandas-stubs types `others` as a list of strings; pandas takes a list of Series too
        return columns[0].str.cat(columns[1:], sep="|") if len(columns) > 1 else columns[0]  # type: ignore[arg-type]

    def _groups(self, X: pd.DataFrame) -> tuple[np.ndarray, pd.Series]:
        """Each row's group number and each group's key (`_keys` of its values): a key is written once
        per group, not once per row, which on millions of rows is most of the baseline's memory."""
        grouped = X.groupby(list(self.group_by), dropna=False)
        keys = self._keys(grouped.size().index.to_frame(index=False))
        return grouped.ngroup().to_numpy(), keys

    def fit(self, X: pd.DataFrame, y: ArrayLike) -> "GroupRateClassifier":
        if not self.group_by:
            raise ValueError("GroupRateClassifier needs at least one column in group_by")
        if self.smoothing < 0:
            raise ValueError(f"smoothing must be >= 0, got {self.smoothing}")
        y = np.asarray(y, dtype=float)
        self.classes_ = np.array([0, 1])
        self.prior_ = float(y.mean())
        codes, keys = self._groups(X)
        by_group = pd.DataFrame(
            {
                "sum": np.bincount(codes, weights=y, minlength=len(keys)),
                "size": np.bincount(codes, minlength=len(keys)),
            }
        )
        stats = by_group.groupby(keys.to_numpy()).sum()  # groups with one key text pooled; no key, no rate
        rates = (stats["sum"] + self.smoothing * self.prior_) / (stats["size"] + self.smoothing)
        self.rates_ = {str(k): float(v) for k, v in rates.sort_index().items()}
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "rates_")
        codes, keys = self._groups(X)
        positive = keys.map(self.rates_).fillna(self.prior_).to_numpy(dtype=float)[codes]
        return np.column_stack([1 - positive, positive])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)
