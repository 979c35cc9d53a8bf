"""Fit with a validation protocol: choose on the fit part, score on the validation part, refit on both."""

from collections.abc import Callable

import pandas as pd
from sklearn.base import ClassifierMixin

from mlkit.errors import DataError
from mlkit.evaluation import choose_threshold, score
from mlkit.runtime import in_parallel


def fit_validated(
    make: Callable[[], ClassifierMixin],
    fit: pd.DataFrame,
    valid: pd.DataFrame,
    target: str,
    threshold: float | None = None,
) -> tuple:
    """(final model refit on fit + valid, threshold, validation metrics).

    The threshold is chosen on valid unless given: a majority-class model has no threshold to choose,
    its yes/no is its class (0.5), or its constant probability would flip sides between the two fits.
    The two fits are independent, so they run side by side when a second core is free.
    """
    classes = fit[target].unique().tolist()
    if len(classes) < 2:
        raise DataError(
            f"the fit part holds one class only ({target} = {classes}): nothing to learn; "
            "check the label's parameters and the split"
        )
    both = pd.concat([fit, valid], ignore_index=True)
    candidate, final = in_parallel(
        [lambda: make().fit(fit, fit[target]), lambda: make().fit(both, both[target])]
    )
    proba = candidate.predict_proba(valid)[:, 1]
    if threshold is None:
        threshold = choose_threshold(valid[target].to_numpy(), proba)
    validation = score(valid[target].to_numpy(), proba, threshold)
    return final, threshold, validation
