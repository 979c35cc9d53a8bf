"""Drift between a reference (training) sample and a new batch: population stability index per column.

PSI = sum over bins of (batch share - reference share) * ln(batch share / reference share), with bins
at the reference's quantiles (numbers) or its categories (text). Rules of thumb: < 0.1 stable,
0.1-0.2 moderate, >= 0.2 a shift worth a look.
"""

import numpy as np
import pandas as pd

EPSILON = 1e-4  # share given to an empty bin, so the logarithm stays finite


def _shares(counts: np.ndarray) -> np.ndarray:
    shares = counts / max(counts.sum(), 1)
    return np.clip(shares, EPSILON, None)


def psi(reference: pd.Series, batch: pd.Series, bins: int) -> float:
    """Population stability index of `batch` against `reference`; missing values form their own bin."""
    if reference.dtype.kind in "ifub":
        edges = np.unique(np.nanquantile(reference.to_numpy(dtype=float), np.linspace(0, 1, bins + 1)))
        edges[0], edges[-1] = -np.inf, np.inf

        def count(values: pd.Series) -> np.ndarray:
            numbers = values.to_numpy(dtype=float)
            found = np.histogram(numbers[~np.isnan(numbers)], bins=edges)[0]
            return np.append(found, np.isnan(numbers).sum())
    else:
        categories = sorted(reference.dropna().astype(str).unique())

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
