"""The model's inputs: one place for the feature list, and the transformer that derives the features.

The saved Pipeline starts with `ScheduleFeatures`, so training, batch scoring and the HTTP service
share one transformation of the raw schedule fields a user knows at booking time. Each feature group
beyond the schedule has a switch in params.yaml's `features` section: the calendar (computed from the
date), congestion and history (joined from the context table, flights.model.context, which says how the
Pipeline is given it), and the weather (sent with the flight, a forecast stand-in).
"""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from flights.model.calendar import CALENDAR_FEATURES, calendar_facts
from flights.model.context import context_features, joined
from flights.shared.vocabulary import WEATHER_COLUMNS

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


# The switches of params.yaml's `features` section that choose feature groups (the others are settings).
GROUPS = ("weather", "congestion", "calendar", "history")


def switches(features: dict) -> dict[str, bool]:
    """The feature-group switches of a `features` section (a group it does not name is off)."""
    return {group: bool(features.get(group, False)) for group in GROUPS}


def model_inputs(weather: bool) -> list[str]:
    """The raw columns the model reads (the context table adds no input field)."""
    return SCHEDULE_COLUMNS + (WEATHER_COLUMNS if weather else [])


def fit_columns(weather: bool) -> list[str]:
    """The columns of the prepared table that fitting reads: the model's inputs and the joined reference
    columns it learns its lookups from (a stage reads only these, not the whole table)."""
    return list(dict.fromkeys([*model_inputs(weather), *LOOKUP_KEYS]))


def feature_names(
    weather: bool, congestion: bool = False, calendar: bool = False, history: bool = False
) -> list[str]:
    """The columns the estimator sees, categorical ones first."""
    return (
        CATEGORICAL_FEATURES
        + SCHEDULE_FEATURES
        + (CALENDAR_FEATURES if calendar else [])
        + context_features(congestion, history)
        + (WEATHER_COLUMNS if weather else [])
    )


def hhmm_to_minutes(hhmm: pd.Series) -> pd.Series:
    """Minutes after local midnight of an hhmm clock time; 2400 is the next midnight (1440)."""
    return (hhmm // 100) * 60 + hhmm % 100


def _per_date(frame: pd.DataFrame) -> pd.DataFrame:
    """Weekday, New York daylight-saving flag and calendar features of each row's date, computed once per
    distinct date."""
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
    facts = [calendar_facts(*ymd) for ymd in zip(parts["year"], parts["month"], parts["day"], strict=True)]
    table[CALENDAR_FEATURES] = np.array(facts, dtype=float).reshape(len(facts), len(CALENDAR_FEATURES))
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


class ContextMissing(RuntimeError):
    """A model that joins the context table was asked to transform without one."""


class ScheduleFeatures(TransformerMixin, BaseEstimator):
    """Raw schedule fields (+ weather forecast) -> model features, with lookups learned at fit time.

    Fitting reads the joined reference columns (destination airport, route distance) of the training
    rows; transforming needs only the fields of `model_inputs`, so an unseen destination just gets
    missing values. With `congestion` or `history` on, the context table must have been given first
    (`use_context`, through flights.model.context.attach); it is not part of the fitted state.
    """

    def __init__(
        self, weather: bool = True, congestion: bool = False, calendar: bool = False, history: bool = False
    ):
        self.weather = weather
        self.congestion = congestion
        self.calendar = calendar
        self.history = history

    def use_context(self, context) -> "ScheduleFeatures":
        """Give (a ContextTable) or take back (None) the context table the context features come from."""
        if context is None:
            self.__dict__.pop("context_table", None)
        else:
            self.context_table = context
        return self

    def joined_features(self) -> list[str]:
        """The features this model joins from the context table, in their order."""
        return context_features(self.congestion, self.history)

    def fit(self, X: pd.DataFrame, y=None) -> "ScheduleFeatures":
        # the airports table's "A" marks a destination that follows US daylight-saving time: 1, else 0
        follows_dst = (X["dest_dst"] == "A").astype(float).where(X["dest_dst"].notna())
        X = X.assign(dest_dst=follows_dst)
        self.lookups_ = {column: _learn(X, key, column) for column, key in LOOKUP_KEYS.items()}
        self.lookups_["distance"] = _every_route(*self.lookups_["distance"])
        self.feature_names_out_ = feature_names(self.weather, self.congestion, self.calendar, self.history)
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
        if self.calendar:
            for column in CALENDAR_FEATURES:
                out[column] = dates[column]
        wanted = self.joined_features()
        if wanted:
            context = getattr(self, "context_table", None)
            if context is None:
                raise ContextMissing(
                    f"this model joins the context features {wanted}: attach the context table first "
                    "(flights.model.context.attach(model, read_context(paths.CONTEXT)))"
                )
            for column, values in joined(context, X, wanted).items():
                out[column] = values
        if self.weather:
            for column in WEATHER_COLUMNS:
                out[column] = pd.to_numeric(X[column], errors="coerce").astype(float)
        return out[self.feature_names_out_]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(self.feature_names_out_, dtype=object)
