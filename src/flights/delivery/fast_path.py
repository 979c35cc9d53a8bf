"""A lean path to the same answers as the saved Pipeline, for single flights over HTTP.

The Pipeline on a one-row DataFrame spends milliseconds in pandas; here the same features are computed
from plain dicts with the fitted lookups and encoder categories, and only the fitted estimator runs.
A test proves the answers equal the Pipeline's. `scorer_for` picks it for the HistGradientBoosting
family and the Pipeline itself for any other, so `train.model: logreg` is served too.
"""

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

from flights.model.calendar import calendar_facts
from flights.model.context import flight_key
from flights.model.features import CATEGORICAL_FEATURES, ContextMissing, hhmm_to_minutes
from flights.shared.vocabulary import WEATHER_COLUMNS

NEW_YORK = ZoneInfo("America/New_York")
NAN = float("nan")


@lru_cache(maxsize=4096)
def _date_facts(year: int, month: int, day: int) -> tuple[int, bool]:
    """(weekday, New York on daylight-saving time), as ScheduleFeatures computes them."""
    noon = datetime(year, month, day, 12, tzinfo=NEW_YORK)
    return date(year, month, day).weekday(), noon.utcoffset().total_seconds() == -4 * 3600


class LeanScorer:
    """Scores flights given as dicts of the request fields with a fitted HistGradientBoosting Pipeline."""

    def __init__(self, pipeline: Pipeline):
        schedule, encode, estimator = (step for _, step in pipeline.steps)
        if not isinstance(estimator, HistGradientBoostingClassifier):
            raise TypeError(f"the lean path serves HistGradientBoosting, not {type(estimator).__name__}")
        encoder = encode.named_transformers_["categories"]
        self.codes = {
            column: {value: float(code) for code, value in enumerate(categories)}
            for column, categories in zip(CATEGORICAL_FEATURES, encoder.categories_, strict=True)
        }
        self.lookups = {
            column: dict(zip(keys.tolist(), values.tolist(), strict=True))
            for column, (keys, values) in schedule.lookups_.items()
        }
        self.weather = schedule.weather
        self.calendar = schedule.calendar
        self.context_features = schedule.joined_features()
        context = getattr(schedule, "context_table", None)
        if self.context_features and context is None:
            raise ContextMissing("the lean path needs the context table the model joins: attach it first")
        self.context = {feature: context.mapping(feature) for feature in self.context_features}
        self.estimator = estimator

    def features(self, flight: dict) -> list[float]:
        lookups = self.lookups
        dest, origin = flight["dest"], flight["origin"]
        weekday, dst = _date_facts(flight["year"], flight["month"], flight["day"])
        dep, arr = hhmm_to_minutes(flight["sched_dep_time"]), hhmm_to_minutes(flight["sched_arr_time"])
        dest_tz = lookups["dest_tz"].get(dest, NAN)
        dest_offset = dest_tz + (lookups["dest_dst"].get(dest) == 1 and dst)
        local = arr - dep + (1440 if arr < dep else 0)
        row = [self.codes[column].get(flight[column], NAN) for column in CATEGORICAL_FEATURES]
        row += [
            float(dep), float(arr), float(weekday),
            lookups["distance"].get(f"{origin}-{dest}", NAN),
            local - 60 * (dest_offset - (-5 + dst)),
            lookups["dest_lat"].get(dest, NAN),
            lookups["dest_lon"].get(dest, NAN),
        ]  # fmt: skip
        if self.calendar:
            row += calendar_facts(flight["year"], flight["month"], flight["day"])
        if self.context_features:
            date = flight["year"] * 10000 + flight["month"] * 100 + flight["day"]
            row += [self.context[f].get((date, flight_key(flight, f)), NAN) for f in self.context_features]
        if self.weather:
            row += [NAN if flight.get(c) is None else float(flight[c]) for c in WEATHER_COLUMNS]
        return row

    def predict_proba(self, flights: list[dict]) -> np.ndarray:
        """Probability of the positive class for each flight."""
        features = np.array([self.features(flight) for flight in flights], dtype=float)
        return self.estimator.predict_proba(features)[:, 1]


class PipelineScorer:
    """Scores flights given as dicts with the whole saved Pipeline, for families the lean path lacks."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline

    def predict_proba(self, flights: list[dict]) -> np.ndarray:
        """Probability of the positive class for each flight."""
        return self.pipeline.predict_proba(pd.DataFrame.from_records(flights))[:, 1]


def scorer_for(pipeline: Pipeline) -> LeanScorer | PipelineScorer:
    """The lean path where it exists (HistGradientBoosting), else the Pipeline."""
    if isinstance(pipeline.steps[-1][1], HistGradientBoostingClassifier):
        return LeanScorer(pipeline)
    return PipelineScorer(pipeline)
