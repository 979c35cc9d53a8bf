"""The model's inputs: one place for the feature list, and the transformer that derives the features.

The saved Pipeline starts with `ScheduleFeatures`, so training, batch scoring and the HTTP service
share one transformation of the raw schedule fields a user knows at booking time.
"""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from flights.vocabulary import WEATHER_COLUMNS

# What a user sends: the raw flights table's schedule fields.
SCHEDULE_COLUMNS = [
    "year", "month", "day", "sched_dep_time", "sched_arr_time", "carrier", "flight", "origin", "dest",
]  # fmt: skip
# Never a feature (the leakage guard tests this list): what is known only after the flight, and the tail
# number, which the 2013 data leave blank only for cancelled flights (2,512 of the 8,255), so the plane
# attributes looked up from it would tell the model which flights were cancelled.
FORBIDDEN_COLUMNS = ["dep_time", "dep_delay", "arr_time", "arr_delay", "air_time", "tailnum"]
# Attributes joined by `prepare`; the transformer learns lookups from them when it is fitted.
AIRPORT_LOOKUP = dict.fromkeys(["dest_lat", "dest_lon", "dest_tz", "dest_dst"], "dest")
LOOKUP_KEYS = {**AIRPORT_LOOKUP, "distance": "route"}
# A weather field that nearly every training flight had (in 2013 all but wind_dir, wind_gust and pressure,
# blank for 3%, 75% and 11% of flights): without it a flight is scored on a missing-value branch learned
# from the few hours the weather table lacks, which moves its probability (README, "Delivery to end users").
EXPECTED_WEATHER_COVERAGE = 0.99
CATEGORICAL_FEATURES = ["carrier", "origin", "dest"]
SCHEDULE_FEATURES = [
    "dep_minute",
    "arr_minute",
    "weekday",
    "distance",
    "block_minutes",
    "dest_lat",
    "dest_lon",
]


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

    `dst` tells whether New York (the origin) is on daylight-saving time that day; `dest_dst` is 1 where
    the destination follows US daylight-saving time.
    """
    dep = hhmm_to_minutes(frame["sched_dep_time"])
    arr = hhmm_to_minutes(frame["sched_arr_time"])
    origin_offset = -5 + dst.astype(int)
    dest_offset = dest_tz + ((dest_dst == 1) & dst).astype(int)
    local = arr - dep + np.where(arr < dep, 1440, 0)
    return local - 60 * (dest_offset - origin_offset)


def _learn(frame: pd.DataFrame, key: str, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(sorted keys, float values): the first non-missing value of `column` for each key.

    Two plain arrays, because skops stores arrays as .npy members, where a dict of thousands of keys
    becomes thousands of JSON nodes (a schema that takes seconds to save and load).
    """
    values = frame[column].to_numpy(dtype=float, na_value=np.nan)
    pairs = pd.DataFrame({"key": _key(frame, key).to_numpy(), "value": values})
    pairs = pairs.dropna().drop_duplicates("key").sort_values("key", kind="stable")
    return pairs["key"].to_numpy(dtype=str), pairs["value"].to_numpy(dtype=float)


def _key(frame: pd.DataFrame, key: str) -> pd.Series:
    """Each row's lookup key: its destination, or its route "origin-dest"."""
    if key == "route":
        return frame["origin"].astype("str").str.cat(frame["dest"].astype("str"), sep="-")
    return frame[key].astype("str").fillna("")


def _every_route(routes: np.ndarray, distances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The learned route lookup completed to every origin x destination of training: a route not flown
    there, to a destination that was, gets the mean of that destination's routes, not a gap (in 2013 they
    differ by at most 21 miles from the three New York airports). Sorted keys, as `_learn` gives."""
    flown = pd.Series(distances, index=routes)
    origins, dests = zip(*(route.split("-", 1) for route in routes), strict=True)
    mean_by_dest = flown.groupby(list(dests)).mean()
    every = [f"{origin}-{dest}" for origin in sorted(set(origins)) for dest in mean_by_dest.index]
    values = [flown.get(route, mean_by_dest[route.split("-", 1)[1]]) for route in every]
    return np.asarray(every, dtype=str), np.asarray(values, dtype=float)


class ScheduleFeatures(TransformerMixin, BaseEstimator):
    """Raw schedule fields (+ weather forecast) -> model features, with lookups learned at fit time.

    Fitting reads the joined reference columns (destination airport, route distance) of the training
    rows; transforming needs only the fields of `model_inputs`, so an unseen destination just gets
    missing values.
    """

    def __init__(self, weather: bool = True):
        self.weather = weather

    def fit(self, X: pd.DataFrame, y=None) -> "ScheduleFeatures":
        # the airports table's "A" marks a destination that follows US daylight-saving time: 1, else 0
        follows_dst = (X["dest_dst"] == "A").astype(float).where(X["dest_dst"].notna())
        X = X.assign(dest_dst=follows_dst)
        self.lookups_ = {column: _learn(X, key, column) for column, key in LOOKUP_KEYS.items()}
        self.lookups_["distance"] = _every_route(*self.lookups_["distance"])
        self.feature_names_out_ = feature_names(self.weather)
        self.expected_weather_ = [
            column
            for column in (WEATHER_COLUMNS if self.weather else [])
            if X[column].notna().mean() >= EXPECTED_WEATHER_COVERAGE
        ]
        return self

    def _looked_up(self, column: str, keys: pd.Series) -> pd.Series:
        known, values = self.lookups_[column]
        position = pd.Index(known).get_indexer(keys)  # -1 for an unknown key: the NaN appended last
        return pd.Series(np.append(values, np.nan)[position], index=keys.index)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "lookups_")
        missing = sorted(set(model_inputs(self.weather)) - set(X.columns))
        if missing:
            raise KeyError(f"flights lack the columns {missing}")
        keys = {key: _key(X, key) for key in dict.fromkeys(LOOKUP_KEYS.values())}
        looked_up = {column: self._looked_up(column, keys[key]) for column, key in LOOKUP_KEYS.items()}
        out = pd.DataFrame(index=X.index)
        for column in CATEGORICAL_FEATURES:
            out[column] = X[column].astype("object").astype(str)
        out["dep_minute"] = hhmm_to_minutes(X["sched_dep_time"]).astype(float)
        out["arr_minute"] = hhmm_to_minutes(X["sched_arr_time"]).astype(float)
        dates = _per_date(X)
        out["weekday"] = dates["weekday"]
        out["distance"] = looked_up["distance"]
        block = block_minutes(X, dates["dst"].astype(bool), looked_up["dest_tz"], looked_up["dest_dst"])
        out["block_minutes"] = block.astype(float)
        for column in ("dest_lat", "dest_lon"):
            out[column] = looked_up[column]
        if self.weather:
            for column in WEATHER_COLUMNS:
                out[column] = pd.to_numeric(X[column], errors="coerce").astype(float)
        return out[self.feature_names_out_]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(self.feature_names_out_, dtype=object)
