"""Drift between a reference (training) sample and a new batch: population stability index per column.

PSI = sum over bins of (batch share - reference share) * ln(batch share / reference share), with bins
at the reference's quantiles (numbers) or its categories (text). Rules of thumb: < 0.1 stable,
0.1-0.2 moderate, >= 0.2 a shift worth a look.
"""

import numpy as np
import pandas as pd

MIN_CATEGORY_SHARE = 0.01  # a category rarer in the reference joins the 'other' bin
EPSILON = 1e-4  # share given to an empty bin, so the logarithm stays finite


def _shares(counts: np.ndarray) -> np.ndarray:
    shares = counts / max(counts.sum(), 1)
    return np.clip(shares, EPSILON, None)


def psi(reference: pd.Series, batch: pd.Series, bins: int) -> float:
    """Population stability index of `batch` against `reference`; missing values form their own bin."""
    if reference.dtype.kind in "ifub":
        # interior quantiles as upper bin edges: a point mass (precip 0) keeps a bin of its own
        quantiles = np.linspace(0, 1, bins + 1)[1:-1]
        edges = np.unique(np.nanquantile(reference.to_numpy(dtype=float), quantiles))

        def count(values: pd.Series) -> np.ndarray:
            numbers = values.to_numpy(dtype=float)
            present = ~np.isnan(numbers)
            bin_of = np.searchsorted(edges, numbers[present], side="left")
            return np.append(np.bincount(bin_of, minlength=len(edges) + 1), (~present).sum())
    else:
        shares = reference.dropna().astype(str).value_counts(normalize=True)
        categories = sorted(shares[shares >= MIN_CATEGORY_SHARE].index)  # rarer ones share one bin

        def count(values: pd.Series) -> np.ndarray:
            text = values.astype("object").where(values.notna(), None)
            known = text.isin(categories)
            found = text[known].astype(str).value_counts().reindex(categories, fill_value=0).to_numpy()
            return np.append(found, [(~known & text.notna()).sum(), text.isna().sum()])

    expected, actual = _shares(count(reference)), _shares(count(batch))
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def drift_table(reference: pd.DataFrame, batch: pd.DataFrame, bins: int, flag: float) -> dict[str, dict]:
    """PSI of every column of `reference`, and whether it reaches the flag level."""
    result = {}
    for column in reference.columns:
        value = psi(reference[column], batch[column], bins)
        result[column] = {"psi": value, "flagged": value >= flag}
    return result
