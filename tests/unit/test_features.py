"""Unit tests of flights.model.features: clock arithmetic, learned lookups, and the leakage guard."""

import numpy as np
import pandas as pd
import pytest

from builders import AIRPORTS, DISTANCE, ORIGIN_OFFSET, flight_row, frame_of, synthetic_flights
from conftest import small_train_params
from flights.model.features import (
    CATEGORICAL_FEATURES,
    FORBIDDEN_COLUMNS,
    SCHEDULE_COLUMNS,
    ScheduleFeatures,
    feature_names,
    hhmm_to_minutes,
    model_inputs,
)
from flights.model.train import build_pipeline
from flights.shared.vocabulary import WEATHER_COLUMNS

TRAIN_PARAMS = small_train_params(max_iter=20)


@pytest.fixture(scope="module")
def training() -> pd.DataFrame:
    return synthetic_flights()


@pytest.fixture(scope="module")
def fitted(training) -> ScheduleFeatures:
    return ScheduleFeatures(weather=True).fit(training)


def test_hhmm_to_minutes():
    clock = pd.Series([0, 1, 59, 100, 515, 1230, 2359, 2400])
    expected = [0, 1, 59, 60, 315, 750, 1439, 1440]
    assert hhmm_to_minutes(clock).tolist() == expected
    assert hhmm_to_minutes(pd.Series([2400])).iloc[0] == 1440


def test_output_columns_are_the_feature_list(fitted):
    out = fitted.transform(frame_of(flight_row()))
    assert list(out.columns) == feature_names(True)
    assert list(fitted.get_feature_names_out()) == feature_names(True)
    assert list(out.columns[: len(CATEGORICAL_FEATURES)]) == CATEGORICAL_FEATURES


def test_known_flight_gets_its_lookups_and_clock_features(fitted):
    out = fitted.transform(frame_of(flight_row(sched_dep_time=515, sched_arr_time=2400)))
    row = out.iloc[0]
    assert row["dep_minute"] == 315 and row["arr_minute"] == 1440
    assert row["weekday"] == 1  # 2013-01-15 was a Tuesday (Monday is 0)
    assert (row["dest_lat"], row["dest_lon"]) == AIRPORTS["BOS"][:2]
    assert row["distance"] == DISTANCE["BOS"] + ORIGIN_OFFSET["JFK"]
    assert (row["carrier"], row["origin"], row["dest"]) == ("AA", "JFK", "BOS")


@pytest.mark.parametrize(
    ("date", "dep", "arr", "dest", "minutes"),
    [
        # Overnight in one zone: 23:00 -> 01:30 next day.
        ((2013, 1, 15), 2300, 130, "BOS", 150),
        ((2013, 7, 1), 2300, 130, "ATL", 150),
        # Arrival clock in the destination's zone: New York 09:00 -> Los Angeles 12:00 is 6 hours.
        ((2013, 7, 1), 900, 1200, "LAX", 360),
        ((2013, 1, 15), 900, 1200, "LAX", 360),
        # Hawaii has no daylight-saving time: 6 hours behind New York in July, 5 in January.
        ((2013, 7, 1), 900, 1430, "HNL", 690),
        ((2013, 1, 15), 900, 1430, "HNL", 630),
        # Overnight westward: 22:30 -> 00:45 Pacific.
        ((2013, 7, 1), 2230, 45, "LAX", 315),
        # Arrival at midnight written as 2400.
        ((2013, 1, 15), 2200, 2400, "BOS", 120),
    ],
)
def test_block_minutes(fitted, date, dep, arr, dest, minutes):
    year, month, day = date
    row = flight_row(year=year, month=month, day=day, sched_dep_time=dep, sched_arr_time=arr, dest=dest)
    assert fitted.transform(frame_of(row))["block_minutes"].iloc[0] == minutes


def test_unseen_destination_gets_missing_values(fitted):
    rows = frame_of(flight_row(), flight_row(dest="SJU"))
    out = fitted.transform(rows)
    known, unseen = out.iloc[0], out.iloc[1]
    assert known[["dest_lat", "distance", "block_minutes"]].notna().all()
    for column in ("dest_lat", "dest_lon", "distance"):
        assert np.isnan(unseen[column]), column
    assert np.isnan(unseen["block_minutes"])  # the destination's time zone is unknown
    assert unseen["dest"] == "SJU"
    assert unseen["dep_minute"] == known["dep_minute"]


def test_an_unseen_route_to_a_known_destination_gets_the_mean_of_its_routes(training):
    """BOS is flown from JFK (187 miles) and EWR (175) in training, never from LGA: an LGA-BOS flight gets
    181, the mean of the two routes, not a missing distance."""
    without_lga_bos = training[~((training["origin"] == "LGA") & (training["dest"] == "BOS"))]
    fitted = ScheduleFeatures(weather=True).fit(without_lga_bos)
    out = fitted.transform(
        frame_of(flight_row(origin="LGA"), flight_row(origin="EWR"), flight_row(dest="SJU"))
    )
    assert out["distance"].iloc[0] == (DISTANCE["BOS"] * 2 + ORIGIN_OFFSET["JFK"] + ORIGIN_OFFSET["EWR"]) / 2
    assert out["distance"].iloc[1] == DISTANCE["BOS"] + ORIGIN_OFFSET["EWR"]  # a known route: its own
    assert np.isnan(out["distance"].iloc[2])  # an unseen destination: nothing to go on


def test_the_tail_number_changes_no_feature(fitted):
    """Blank only for cancelled flights in 2013: any feature of it would leak the outcome."""
    without = fitted.transform(frame_of(flight_row(), flight_row(dest="LAX")))
    for tail in (None, np.nan, "N1", "N999XX"):
        rows = frame_of(flight_row(tailnum=tail), flight_row(dest="LAX", tailnum=tail))
        pd.testing.assert_frame_equal(fitted.transform(rows), without)


def test_pipeline_scores_unseen_and_missing_values(training):
    model = build_pipeline(TRAIN_PARAMS, {"weather": True}).fit(training, training["disrupted"])
    rows = frame_of(
        flight_row(),
        flight_row(dest="SJU", carrier="ZZ"),
        flight_row(temp=np.nan, precip=np.nan),
    )
    proba = model.predict_proba(rows)[:, 1]
    assert proba.shape == (3,) and np.isfinite(proba).all() and ((proba > 0) & (proba < 1)).all()


def test_weather_false_drops_the_weather_columns(training):
    names = feature_names(False)
    assert not set(WEATHER_COLUMNS) & set(names)
    assert not set(WEATHER_COLUMNS) & set(model_inputs(False))
    assert set(WEATHER_COLUMNS) <= set(feature_names(True))
    assert set(WEATHER_COLUMNS) <= set(model_inputs(True))
    transformer = ScheduleFeatures(weather=False).fit(training)
    # A booking-time request has no weather at all.
    out = transformer.transform(frame_of(flight_row()).drop(columns=WEATHER_COLUMNS))
    assert list(out.columns) == names


def test_expected_weather_is_what_most_training_flights_had(training, fitted):
    """wind_gust is blank for 80% of the synthetic flights (75% in 2013): not expected of a request."""
    assert fitted.expected_weather_ == [column for column in WEATHER_COLUMNS if column != "wind_gust"]
    for blank_share, expected in ((0.005, True), (0.02, False)):  # the threshold is 99% present
        blank = training.index < blank_share * len(training)
        some_blank = training.assign(humid=training["humid"].mask(blank))
        assert ("humid" in ScheduleFeatures(weather=True).fit(some_blank).expected_weather_) == expected
    assert ScheduleFeatures(weather=False).fit(training).expected_weather_ == []


def test_weather_model_requires_the_weather_columns(fitted):
    with pytest.raises(KeyError, match="precip"):
        fitted.transform(frame_of(flight_row()).drop(columns=["precip"]))


def test_model_inputs_are_schedule_fields_plus_weather():
    assert model_inputs(False) == SCHEDULE_COLUMNS
    assert model_inputs(True) == SCHEDULE_COLUMNS + WEATHER_COLUMNS


# Leakage guard: what is known only after the flight, or tells it, never reaches the model.


@pytest.mark.parametrize("weather", [True, False])
def test_forbidden_columns_are_never_inputs_or_features(weather):
    assert set(FORBIDDEN_COLUMNS) == {"dep_time", "dep_delay", "arr_time", "arr_delay", "air_time", "tailnum"}
    for forbidden in FORBIDDEN_COLUMNS:
        assert forbidden not in feature_names(weather)
        assert forbidden not in model_inputs(weather)
    # Nor anything derived from the label or the cancellation status.
    assert not {"disrupted", "status"} & set(model_inputs(weather) + feature_names(weather))


@pytest.mark.parametrize(("model", "weather"), [("hgb", True), ("hgb", False), ("logreg", True)])
def test_outcome_columns_do_not_change_predictions(training, model, weather):
    fit = training.iloc[:450]
    test = training.iloc[450:].reset_index(drop=True)
    pipeline = build_pipeline(TRAIN_PARAMS | {"model": model}, {"weather": weather})
    pipeline.fit(fit, fit["disrupted"])
    reference = pipeline.predict_proba(test)[:, 1]
    assert reference.std() > 0, "a constant model would pass this test trivially"

    rng = np.random.default_rng(1)
    shuffled = test.copy()
    for column in FORBIDDEN_COLUMNS:
        shuffled[column] = rng.permutation(shuffled[column].to_numpy())
    garbled = test.assign(**{column: -99999.0 for column in FORBIDDEN_COLUMNS})
    dropped = test.drop(columns=[*FORBIDDEN_COLUMNS, "disrupted"])
    for variant in (shuffled, garbled, dropped):
        np.testing.assert_array_equal(pipeline.predict_proba(variant)[:, 1], reference)


def test_transform_reads_only_the_model_inputs(fitted, training):
    """Whatever else a request carries (joined references, outcomes, the label) is ignored."""
    sample = training.iloc[:50]
    only_inputs = sample[model_inputs(True)]
    pd.testing.assert_frame_equal(fitted.transform(sample), fitted.transform(only_inputs))


def test_logreg_pools_the_destinations_rarer_than_min_category_rows(training):
    counts = training["dest"].value_counts()
    cut = int(counts.median()) + 1
    assert 0 < (counts < cut).sum() < len(counts)
    logreg = TRAIN_PARAMS["logreg"] | {"min_category_rows": cut}
    pipeline = build_pipeline(TRAIN_PARAMS | {"model": "logreg", "logreg": logreg}, {"weather": True})
    pipeline.fit(training, training["disrupted"])
    encoder = pipeline.named_steps["encode"].named_transformers_["categories"]
    pooled = encoder.infrequent_categories_[CATEGORICAL_FEATURES.index("dest")]
    assert set(pooled) == set(counts[counts < cut].index)


@pytest.mark.parametrize("impute", ["median", "mean"])
def test_logreg_fills_missing_numbers_as_train_logreg_impute_says(training, impute):
    logreg = TRAIN_PARAMS["logreg"] | {"impute": impute}
    pipeline = build_pipeline(TRAIN_PARAMS | {"model": "logreg", "logreg": logreg}, {"weather": True})
    pipeline.fit(training, training["disrupted"])
    imputer = pipeline.named_steps["encode"].named_transformers_["numbers"].steps[0][1]
    features = pipeline.named_steps["schedule"].transform(training)[imputer.feature_names_in_]
    expected = features.median() if impute == "median" else features.mean()
    np.testing.assert_allclose(imputer.statistics_, expected.to_numpy())
