"""A flight's booking-time context: the schedule around it and the recent record of its carrier, route
and origin, which the flight's own fields (a `/predict` request) cannot carry.

The stage `context` computes them from the raw flights table into one versioned Parquet file,
data/context/context.parquet (mlkit.context's long table: feature, period = date as yyyymmdd, key,
value):
- congestion, from the schedule itself (known at booking): flights scheduled at the origin in the
  departure hour, at the destination in the arrival hour, and by the carrier that day;
- history known the evening before: the disruption rate of the carrier, the route, the origin and the
  destination over the
  `features.history_days` days before the flight's day (never that day nor a later one, whatever the
  split), smoothed toward the rate of all flights over those days by `features.history_prior` flights.
  A disruption is the label's `disrupted` outcome: `label.delay_minutes` late, cancelled or diverted.
  The table goes one day past the data: the history of "tomorrow" is known tonight.

How the saved Pipeline gets the table: explicitly, never from a path of its own. `ScheduleFeatures` joins
it by date and key when the table has been attached (`attach(pipeline, read_context(path))`): the train
stage attaches it before fitting and `detach`es it before saving, so the model file holds no table; the
evaluate, score and monitor stages, `make predict` and the service attach the same file after loading
the model. A model that uses these features refuses to transform without a table; a date (or key) that
the table lacks gives missing values, which the model was trained to handle.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from mlkit.context import ContextTable, counts, tally, trailing_rates
from mlkit.io import read_parquet

CONGESTION_FEATURES = ["origin_hour_flights", "dest_hour_flights", "carrier_day_flights"]
HISTORY_FEATURES = ["carrier_history", "route_history", "origin_history", "dest_history"]
# The raw fields each feature's key is made of; hours are local clock hours (arrival: destination's).
KEY_FIELDS = {
    "origin_hour_flights": ("origin", "dep_hour"),
    "dest_hour_flights": ("dest", "arr_hour"),
    "carrier_day_flights": ("carrier",),
    "carrier_history": ("carrier",),
    "route_history": ("origin", "dest"),
    "origin_history": ("origin",),
    "dest_history": ("dest",),
}
HOUR_OF = {"dep_hour": "sched_dep_time", "arr_hour": "sched_arr_time"}
# The raw fields `build_context` reads: the date, the keys' fields and the arrival delay (the outcome)
CONTEXT_FIELDS = ["year", "month", "day", "carrier", "origin", "dest", *HOUR_OF.values(), "arr_delay"]


def flight_date(frame: pd.DataFrame) -> pd.Series:
    """Each flight's date as a yyyymmdd number: the context table's period."""
    return frame["year"] * 10000 + frame["month"] * 100 + frame["day"]


def _part(frame: pd.DataFrame, field: str) -> pd.Series:
    if field in HOUR_OF:  # the clock hour of an hhmm time; 2400 is hour 0
        hhmm = pd.to_numeric(frame[HOUR_OF[field]], errors="coerce")
        return (hhmm // 100 % 24).astype("Int64").astype("str")
    return frame[field].astype("str")


def frame_keys(frame: pd.DataFrame, feature: str) -> pd.Series:
    """Each flight's key for `feature`: its fields joined by a space ("JFK 7", "JFK LAX", "UA")."""
    parts = [_part(frame, field) for field in KEY_FIELDS[feature]]
    return parts[0].str.cat(parts[1:], sep=" ") if len(parts) > 1 else parts[0]


def flight_key(flight: dict, feature: str) -> str:
    """One flight's key (a request's fields), as `frame_keys` gives it."""
    parts = [
        str(int(flight[HOUR_OF[field]]) // 100 % 24) if field in HOUR_OF else str(flight[field])
        for field in KEY_FIELDS[feature]
    ]
    return " ".join(parts)


def _every_date(first: int, last: int) -> list[int]:
    """Every calendar date from `first` to the day after `last`, as yyyymmdd."""
    days = pd.date_range(pd.to_datetime(str(first)), pd.to_datetime(str(last)) + pd.Timedelta(days=1))
    return (days.year * 10000 + days.month * 100 + days.day).tolist()


def tallies(flights: pd.DataFrame, delay_minutes: int) -> dict[str, pd.DataFrame]:
    """Each feature's `mlkit.context.tally` of raw flights (every scheduled flight, cancelled ones
    included); the tallies of whole months, concatenated, are those of the months together."""
    date = flight_date(flights)
    # the `disrupted` label: late by delay_minutes or more, or no arrival delay (cancelled or diverted)
    disrupted = ~(flights["arr_delay"] < delay_minutes)
    return {
        feature: tally(date, frame_keys(flights, feature), disrupted if feature in HISTORY_FEATURES else None)
        for feature in CONGESTION_FEATURES + HISTORY_FEATURES
    }


def context_table(tallied: dict[str, pd.DataFrame], history_days: int, prior_weight: float) -> pd.DataFrame:
    """The context table from the `tallies` of every flight."""
    dates = tallied[CONGESTION_FEATURES[0]].index.get_level_values("period")
    every = _every_date(int(dates.min()), int(dates.max())) if len(dates) else []
    tables = [counts(feature, tallied[feature]) for feature in CONGESTION_FEATURES]
    tables += [
        trailing_rates(feature, every, tallied[feature], history_days, prior_weight)
        for feature in HISTORY_FEATURES
    ]
    return pd.concat(tables, ignore_index=True)


def build_context(
    flights: pd.DataFrame, history_days: int, prior_weight: float, delay_minutes: int
) -> pd.DataFrame:
    """The context table of the raw flights table, in one part."""
    return context_table(tallies(flights, delay_minutes), history_days, prior_weight)


def read_context(path: Path) -> ContextTable:
    return ContextTable(read_parquet(path))


def attach(pipeline: Pipeline, context: ContextTable) -> Pipeline:
    """The pipeline, its feature step given the context table (in place)."""
    pipeline.named_steps["schedule"].use_context(context)
    return pipeline


def detach(pipeline: Pipeline) -> Pipeline:
    """The pipeline without its context table (in place), ready to save."""
    pipeline.named_steps["schedule"].use_context(None)
    return pipeline


def context_features(congestion: bool, history: bool) -> list[str]:
    return (CONGESTION_FEATURES if congestion else []) + (HISTORY_FEATURES if history else [])


def joined(context: ContextTable, frame: pd.DataFrame, features: list[str]) -> dict[str, np.ndarray]:
    """The context values of each flight of `frame`, per feature."""
    date = flight_date(frame)
    return {feature: context.lookup(feature, date, frame_keys(frame, feature)) for feature in features}
