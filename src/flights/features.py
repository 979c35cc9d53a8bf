"""The model's inputs: one place for the feature list, and the transformer that derives the features.

The saved Pipeline starts with `ScheduleFeatures`, so training, batch scoring and the HTTP service
share one transformation of the raw schedule fields a user knows at booking time.
"""

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from flights.cleaning import WEATHER_COLUMNS

# What a user sends: the raw flights table's schedule fields (tailnum may be missing).
SCHEDULE_COLUMNS = [
    "year", "month", "day", "sched_dep_time", "sched_arr_time", "carrier", "flight", "origin", "dest",
    "tailnum",
]  # fmt: skip
# Known only after the flight: never a feature (the leakage guard tests this list).
FORBIDDEN_COLUMNS = ["dep_time", "dep_delay", "arr_time", "arr_delay", "air_time"]
# Attributes joined by `prepare`; the transformer learns lookups from them when it is fitted.
PLANE_LOOKUP = {"plane_year": "tailnum", "plane_seats": "tailnum", "plane_engines": "tailnum"}
AIRPORT_LOOKUP = ["dest_lat", "dest_lon", "dest_tz", "dest_dst"]
CATEGORICAL_FEATURES = ["carrier", "origin", "dest"]
SCHEDULE_FEATURES = [
    "dep_minute", "arr_minute", "weekday", "distance", "block_minutes", "plane_year", "plane_seats",
    "plane_engines", "dest_lat", "dest_lon",
]  # fmt: skip


def model_inputs(weather: bool) -> list[str]:
    """The raw columns the model reads."""
    return SCHEDULE_COLUMNS + (WEATHER_COLUMNS if weather else [])


def feature_names(weather: bool) -> list[str]:
    """The columns the estimator sees, categorical ones first."""
    return CATEGORICAL_FEATURES + SCHEDULE_FEATURES + (WEATHER_COLUMNS if weather else [])


def hhmm_to_minutes(hhmm: pd.Series) -> pd.Series:
    """Minutes after local midnight of an hhmm clock time; 2400 is the next midnight (1440)."""
    return (hhmm // 100) * 60 + hhmm % 100


def _per_date(frame: pd.DataFrame) -> pd.DataFrame:
    """Weekday and New York daylight-saving flag of each row's date, computed once per distinct date."""
    key = frame["year"] * 10000 + frame["month"] * 100 + frame["day"]
    dates = pd.Series(key.unique())
    parts = pd.DataFrame(
        {"year": dates // 10000, "month": dates // 100 % 100, "day": dates % 100, "hour": 12}
    )
    noon = pd.to_datetime(parts, errors="coerce")  # requests are validated; an impossible date gives NaN
    offset = noon.dt.tz_localize("America/New_York").dt.strftime("%z")
    table = pd.DataFrame(
        {"weekday": noon.dt.day_of_week.to_numpy(dtype=float), "dst": (offset == "-0400").to_numpy()},
        index=dates.to_numpy(),
    )
    return table.reindex(key.to_numpy()).set_index(frame.index)


def block_minutes(frame: pd.DataFrame, dst: pd.Series, dest_tz: pd.Series, dest_dst: pd.Series) -> pd.Series:
    """Scheduled gate-to-gate minutes: arrival clock is in the destination's zone, overnight wraps.

    `dst` tells whether New York (the origin) is on daylight-saving time that day.
    """
    dep = hhmm_to_minutes(frame["sched_dep_time"])
    arr = hhmm_to_minutes(frame["sched_arr_time"])
    origin_offset = -5 + dst.astype(int)
    dest_offset = dest_tz + ((dest_dst == "A") & dst).astype(int)
    local = arr - dep + np.where(arr < dep, 1440, 0)
    return local - 60 * (dest_offset - origin_offset)


def _lookup(frame: pd.DataFrame, key: str | list[str], column: str) -> dict[str, float | str]:
    """The first non-missing value of `column` for each key, as a plain dict (skops stores it as JSON)."""
    pairs = pd.DataFrame({"key": _key(frame, key).to_numpy(), "value": frame[column].to_numpy()})
    pairs = pairs.dropna().drop_duplicates("key").sort_values("key", kind="stable")
    values = pairs["value"].astype(float) if is_numeric_dtype(frame[column]) else pairs["value"]
    return dict(zip(pairs["key"].tolist(), values.tolist(), strict=True))


def _key(frame: pd.DataFrame, key: str | list[str]) -> pd.Series:
    if isinstance(key, str):
        return frame[key].astype("str").fillna("")
    return frame[key[0]].astype("str").str.cat([frame[k].astype("str") for k in key[1:]], sep="-")


class ScheduleFeatures(TransformerMixin, BaseEstimator):
    """Raw schedule fields (+ weather forecast) -> model features, with lookups learned at fit time.

    Fitting reads the joined reference columns (plane, destination airport, route distance) of the
    training rows; transforming needs only the fields of `model_inputs`, so a unseen tail number or
    destination just gets missing values.
    """

    def __init__(self, weather: bool = True):
        self.weather = weather

    def fit(self, X: pd.DataFrame, y=None) -> "ScheduleFeatures":
        self.planes_ = {column: _lookup(X, key, column) for column, key in PLANE_LOOKUP.items()}
        self.airports_ = {column: _lookup(X, "dest", column) for column in AIRPORT_LOOKUP}
        self.routes_ = _lookup(X, ["origin", "dest"], "distance")
        self.feature_names_out_ = feature_names(self.weather)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "routes_")
        missing = sorted(set(model_inputs(self.weather)) - set(X.columns))
        if missing:
            raise KeyError(f"flights lack the columns {missing}")
        tail, dest = _key(X, "tailnum"), _key(X, "dest")
        out = pd.DataFrame(index=X.index)
        for column in CATEGORICAL_FEATURES:
            out[column] = X[column].astype("object").astype(str)
        out["dep_minute"] = hhmm_to_minutes(X["sched_dep_time"]).astype(float)
        out["arr_minute"] = hhmm_to_minutes(X["sched_arr_time"]).astype(float)
        dates = _per_date(X)
        out["weekday"] = dates["weekday"]
        out["distance"] = _key(X, ["origin", "dest"]).map(self.routes_).astype(float)
        dest_tz = dest.map(self.airports_["dest_tz"]).astype(float)
        dest_dst = dest.map(self.airports_["dest_dst"])
        out["block_minutes"] = block_minutes(X, dates["dst"].astype(bool), dest_tz, dest_dst).astype(float)
        for column in PLANE_LOOKUP:
            out[column] = tail.map(self.planes_[column]).astype(float)
        for column in ("dest_lat", "dest_lon"):
            out[column] = dest.map(self.airports_[column]).astype(float)
        if self.weather:
            for column in WEATHER_COLUMNS:
                out[column] = pd.to_numeric(X[column], errors="coerce").astype(float)
        return out[self.feature_names_out_]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(self.feature_names_out_, dtype=object)
