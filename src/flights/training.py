"""Fit with the validation protocol: choose on Jan-Sep -> October, then refit on all training months."""

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin

from flights.cleaning import LABEL
from mlkit.errors import DataError
from mlkit.evaluation import choose_threshold, score
from mlkit.runtime import in_parallel


def fit_validated(
    make: Callable[[], ClassifierMixin],
    fit: pd.DataFrame,
    valid: pd.DataFrame,
    threshold: float | None = None,
) -> tuple:
    """(final model refit on fit + valid, threshold, validation metrics).

    The threshold is chosen on valid unless given: a majority-class model has no threshold to choose,
    its yes/no is its class (0.5), or its constant probability would flip sides between the two fits.
    The two fits are independent, so they run side by side when a second core is free.
    """
    classes = fit[LABEL].unique().tolist()
    if len(classes) < 2:
        raise DataError(
            f"the fit months hold one class only ({LABEL} = {classes}): nothing to learn; "
            "check label.policy, label.delay_minutes and split.fit_months"
        )
    both = pd.concat([fit, valid], ignore_index=True)
    candidate, final = in_parallel(
        [lambda: make().fit(fit, fit[LABEL]), lambda: make().fit(both, both[LABEL])]
    )
    proba = candidate.predict_proba(valid)[:, 1]
    if threshold is None:
        threshold = choose_threshold(valid[LABEL].to_numpy(), proba)
    validation = score(valid[LABEL].to_numpy(), proba, threshold)
    return final, threshold, validation


def training_summary(fit: pd.DataFrame, valid: pd.DataFrame) -> dict:
    both = np.concatenate([fit[LABEL].to_numpy(), valid[LABEL].to_numpy()])
    return {"rows": len(both), "positive_rate": float(both.mean())}
