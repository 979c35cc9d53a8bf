"""Tables for exploratory figures: the rate of a binary target by group or by bins of a number."""

import numpy as np
import pandas as pd


def rate_by(
    frame: pd.DataFrame, by: str, target: str, top: int | None = None, min_rows: int = 1
) -> pd.DataFrame:
    """Rows and target rate per value of `by`, ordered by value; `top` keeps the most frequent values,
    `min_rows` drops values too rare for their rate to mean anything (one row makes a rate of 0 or 1)."""
    table = frame.groupby(by, observed=True, dropna=False)[target].agg(rows="size", rate="mean")
    table = table[table["rows"] >= min_rows].reset_index()
    if top is not None:
        table = table.sort_values(["rows", by], ascending=[False, True], kind="stable").head(top)
    return table.sort_values(by, kind="stable").reset_index(drop=True)


def rate_by_bins(frame: pd.DataFrame, column: str, edges: list[float], target: str) -> pd.DataFrame:
    """Rows and target rate per bin of `column` (right-closed bins), missing values as a last row."""
    bins = pd.cut(frame[column], bins=edges, include_lowest=True)
    table = frame[target].groupby(bins, observed=True).agg(rows="size", rate="mean").reset_index()
    table[column] = table[column].astype("str")
    missing = frame.loc[bins.isna(), target]
    if len(missing):
        extra = pd.DataFrame({column: ["missing"], "rows": [len(missing)], "rate": [missing.mean()]})
        table = pd.concat([table, extra], ignore_index=True)
    return table


def histogram(values: pd.Series, edges: np.ndarray) -> pd.DataFrame:
    """Counts of `values` in fixed bins (values outside are clipped into the end bins)."""
    clipped = values.dropna().clip(edges[0], edges[-1])
    counts, _ = np.histogram(clipped, bins=edges)
    return pd.DataFrame({"bin_start": edges[:-1], "rows": counts})
