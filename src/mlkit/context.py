"""Context tables: what one row cannot carry, taken from other rows and from earlier periods.

A model scores one row at a time, but some of what is known when the row is created lies in other rows:
how many rows share its period and key (a schedule's load), or how often rows of its key went wrong in
the periods before (recent history). A stage computes those values into one long table with a row per
(feature, period, key) and its value; the model looks them up by the row's period and key, at training,
batch scoring and serving alike, and a (period, key) the table lacks gives a missing value.

Periods are whole numbers that sort in time (a date as yyyymmdd, a month number). History is computed
over the caller's list of consecutive periods, so a period without rows still counts as one period.
"""

from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd

COLUMNS = ["feature", "period", "key", "value"]


def _long(feature: str, values: pd.Series) -> pd.DataFrame:
    """A (period, key)-indexed series as rows of the long table, in (period, key) order."""
    frame = values.rename("value").rename_axis(["period", "key"]).reset_index()
    frame = frame.dropna(subset=["value"]).sort_values(["period", "key"], kind="stable")
    frame.insert(0, "feature", feature)
    return frame.astype({"period": "int64", "key": "str", "value": "float64"})[COLUMNS]


def tally(period: pd.Series, key: pd.Series, outcome: pd.Series | None = None) -> pd.DataFrame:
    """The rows and positive `outcome`s of each (period, key), what `counts` and `trailing_rates` are
    computed from: the tallies of parts of a table with distinct periods, concatenated, are the table's,
    so that a large table is tallied a part at a time."""
    outcomes = outcome.to_numpy(dtype=float) if outcome is not None else np.zeros(len(period))
    rows = pd.DataFrame({"period": period.to_numpy(), "key": key.to_numpy(), "outcome": outcomes})
    grouped = rows.groupby(["period", "key"], sort=True)["outcome"]
    return pd.DataFrame({"rows": grouped.size().astype(float), "positive": grouped.sum()})


def counts(feature: str, tallied: pd.DataFrame) -> pd.DataFrame:
    """How many rows share each (period, key): known in advance when the rows are a plan (a schedule)."""
    return _long(feature, tallied["rows"])


def trailing_rates(
    feature: str, periods: Sequence[int], tallied: pd.DataFrame, window: int, prior_weight: float
) -> pd.DataFrame:
    """For each key and each period P of `periods`: the share of positive outcomes among the rows of that
    key in the `window` periods before P, never P itself nor any later one, smoothed toward the share of
    all rows over the same periods by `prior_weight` pseudo-rows (a key with few or no rows there gets
    about that overall share). A period whose window holds no row at all gets no value. `tallied` is
    `tally` of the rows' periods, keys and outcomes.

    `periods` lists every period in order, consecutive, including those without rows; `window` counts
    positions in it.
    """
    known = pd.Index(periods)
    if not known.is_monotonic_increasing or not known.is_unique:
        raise ValueError("periods must be distinct and in increasing order")
    if not tallied.index.get_level_values("period").unique().isin(known).all():
        raise ValueError("every row's period must be among `periods`")
    wide = {
        # pandas-stubs types unstack's fill_value as int, str or dict; pandas takes any scalar
        column: tallied[column].unstack("key", fill_value=0.0).reindex(known, fill_value=0.0)  # type: ignore[arg-type]
        for column in ("rows", "positive")
    }
    # the window ending the period before: shift(1) moves the sum of periods P-window..P-1 onto P
    past = {column: frame.rolling(window, min_periods=1).sum().shift(1) for column, frame in wide.items()}
    prior = past["positive"].sum(axis=1) / past["rows"].sum(axis=1).replace(0.0, np.nan)
    # no row at all in the window: the prior is missing, and so is every rate of that period
    rate = (past["positive"] + prior_weight * prior.to_numpy()[:, None]) / (past["rows"] + prior_weight)
    return _long(feature, cast(pd.Series, rate.stack(future_stack=True)))  # one column level: a Series


class ContextTable:
    """Looks values of a long context table up by (feature, period, key); absent pairs are missing.

    The lookup indexes are built on first use and never pickled (a forked worker's result travels back
    with the table only).
    """

    def __init__(self, table: pd.DataFrame):
        missing = sorted(set(COLUMNS) - set(table.columns))
        if missing:
            raise ValueError(f"a context table needs the columns {COLUMNS}; it lacks {missing}")
        self.table = table[COLUMNS]
        self._indexes: dict[str, tuple[pd.MultiIndex, np.ndarray]] = {}

    def __getstate__(self) -> dict:
        return {"table": self.table, "_indexes": {}}

    @property
    def features(self) -> list[str]:
        return sorted(self.table["feature"].unique().tolist())

    def periods(self, feature: str | None = None) -> tuple[int, int] | None:
        """(first, last) period the table holds values for (of one feature), None when it holds none."""
        table = self.table if feature is None else self.table[self.table["feature"] == feature]
        if table.empty:
            return None
        return int(table["period"].min()), int(table["period"].max())

    def _index(self, feature: str) -> tuple[pd.MultiIndex, np.ndarray]:
        if feature not in self._indexes:
            rows = self.table[self.table["feature"] == feature]
            index = pd.MultiIndex.from_arrays(
                [rows["period"].to_numpy(dtype="int64"), rows["key"].to_numpy(dtype=object)]
            )
            self._indexes[feature] = (index, rows["value"].to_numpy(dtype=float))
        return self._indexes[feature]

    def lookup(self, feature: str, period: pd.Series, key: pd.Series) -> np.ndarray:
        """The value of each row's (period, key), NaN where the table has none."""
        index, values = self._index(feature)
        wanted = pd.MultiIndex.from_arrays(
            [period.to_numpy(dtype="int64"), key.astype(object).to_numpy(dtype=object)]
        )
        position = index.get_indexer(wanted)  # -1 when absent: the NaN appended last
        return np.append(values, np.nan)[position]

    def mapping(self, feature: str) -> dict[tuple[int, str], float]:
        """{(period, key): value} of one feature, for looking single rows up without pandas."""
        index, values = self._index(feature)
        return dict(zip(index.tolist(), values.tolist(), strict=True))
