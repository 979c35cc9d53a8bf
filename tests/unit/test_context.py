"""The booking-time context: history uses only days before the flight's (the leakage tests), congestion
counts the schedule, the calendar comes from the holiday library, and the saved Pipeline joins the table
it is given at load, never one of its own."""

import numpy as np
import pandas as pd
import pytest

from builders import flight_row, frame_of, synthetic_flights
from conftest import small_train_params
from flights.model.calendar import calendar_facts
from flights.model.context import (
    CONGESTION_FEATURES,
    HISTORY_FEATURES,
    attach,
    build_context,
    context_table,
    detach,
    flight_key,
    frame_keys,
    tallies,
)
from flights.model.features import FORBIDDEN_COLUMNS, ContextMissing, feature_names, model_inputs
from flights.model.train import TRUSTED_TYPES, build_pipeline
from mlkit.context import ContextTable, tally, trailing_rates
from mlkit.persistence import canonical_bytes, load_model, save_model

ALL_ON = {"weather": True, "congestion": True, "calendar": True, "history": True}
DAYS = 20


def raw_schedule(seed: int = 0) -> pd.DataFrame:
    """Raw flights of 2013-01-01..20: three carriers, two origins, four destinations, random outcomes
    (a cancelled flight has no arrival delay)."""
    rng = np.random.default_rng(seed)
    rows = 3000
    day = rng.integers(1, DAYS + 1, rows)
    delay = rng.normal(5, 30, rows).round()
    delay[rng.random(rows) < 0.05] = np.nan
    dep = rng.integers(5, 23, rows) * 100 + rng.integers(0, 6, rows) * 10
    return pd.DataFrame(
        {
            "year": 2013,
            "month": 1,
            "day": day,
            "sched_dep_time": dep,
            "sched_arr_time": (dep + 230) % 2400,
            "carrier": rng.choice(["AA", "UA", "DL"], rows),
            "origin": rng.choice(["JFK", "LGA"], rows),
            "dest": rng.choice(["BOS", "ORD", "LAX", "ATL"], rows),
            "arr_delay": delay,
        }
    )


def history_of(flights: pd.DataFrame, date: int, days: int = 3) -> pd.DataFrame:
    table = build_context(flights, history_days=days, prior_weight=5.0, delay_minutes=15)
    history = table[table["feature"].isin(HISTORY_FEATURES)]
    return history[history["period"] <= date].reset_index(drop=True)


@pytest.mark.parametrize("day", [2, 8, 15, DAYS])
def test_history_of_day_d_ignores_day_d_and_every_later_day(day):
    """Every outcome on day D and after changed (late flights on time, the rest cancelled): no history
    value of day D or before moves."""
    flights = raw_schedule()
    later = flights["day"] >= day
    changed = flights.assign(arr_delay=flights["arr_delay"].where(~later, -5.0))
    changed.loc[later & (flights["arr_delay"] < 15), "arr_delay"] = np.nan
    date = 20130100 + day
    before, after = history_of(flights, date), history_of(changed, date)
    assert (before["period"] == date).sum() > 0
    pd.testing.assert_frame_equal(before, after)


@pytest.mark.parametrize("feature", HISTORY_FEATURES)
def test_history_of_day_d_follows_day_d_minus_1(feature):
    """The day before does count: every flight of D-1 turned late moves each key flown that day."""
    flights = raw_schedule()
    day = 10
    changed = flights.assign(arr_delay=flights["arr_delay"].where(flights["day"] != day - 1, 60.0))
    table = build_context(flights, history_days=3, prior_weight=5.0, delay_minutes=15)
    moved = build_context(changed, history_days=3, prior_weight=5.0, delay_minutes=15)
    date = 20130100 + day

    def of(frame):
        rows = frame[(frame["feature"] == feature) & (frame["period"] == date)]
        return rows.set_index("key")["value"]

    flown = set(frame_keys(flights[flights["day"] == day - 1], feature))
    assert flown and (of(moved)[sorted(flown)] > of(table)[sorted(flown)]).all()


def test_history_window_and_smoothing_by_hand():
    """Window 2 over periods 1..5: period P uses P-2 and P-1 only; the prior is the rate of all rows."""
    period = pd.Series([1, 1, 2, 3, 3, 4, 5])
    key = pd.Series(["a", "b", "a", "a", "b", "a", "b"])
    outcome = pd.Series([1, 0, 1, 0, 0, 1, 1])
    tallied = tally(period, key, outcome)
    exact = trailing_rates("f", range(1, 7), tallied, window=2, prior_weight=0.0)
    rates = exact.set_index(["period", "key"])["value"]
    assert 1 not in rates.index.get_level_values("period")  # nothing before the first period
    assert rates[(2, "a")] == 1.0 and rates[(2, "b")] == 0.0
    assert rates[(4, "a")] == 0.5  # periods 2 and 3: one of two
    assert rates[(6, "b")] == 1.0  # the period after the data: its history is known
    assert rates[(4, "b")] == 0.0  # period 3: none of one
    smoothed = trailing_rates("f", range(1, 7), tallied, window=2, prior_weight=2.0)
    value = smoothed.set_index(["period", "key"])["value"][(3, "b")]  # b: 0 of 1; all: 2 of 3
    assert value == pytest.approx((0 + 2 * 2 / 3) / (1 + 2))


def test_the_tallies_of_parts_give_the_table_of_the_whole():
    """The stage tallies whole months one at a time; halves of the test's month, by date, give the
    table of the month in one part."""
    flights = raw_schedule()
    halves = [tallies(flights[(flights["day"] <= 15) == first], 15) for first in (True, False)]
    tallied = {feature: pd.concat([half[feature] for half in halves]) for feature in halves[0]}
    pd.testing.assert_frame_equal(context_table(tallied, 3, 5.0), build_context(flights, 3, 5.0, 15))


def test_congestion_counts_the_schedule():
    flights = raw_schedule()
    table = build_context(flights, 3, 5.0, 15).set_index(["feature", "period", "key"])["value"]
    one = flights.iloc[0]
    date = 20130100 + int(one["day"])
    same_day = flights[flights["day"] == one["day"]]
    dep_hour, arr_hour = same_day["sched_dep_time"] // 100, same_day["sched_arr_time"] // 100
    expected = {
        "origin_hour_flights": (
            (same_day["origin"] == one["origin"]) & (dep_hour == one["sched_dep_time"] // 100)
        ).sum(),
        "carrier_day_flights": (same_day["carrier"] == one["carrier"]).sum(),
        "dest_hour_flights": (
            (same_day["dest"] == one["dest"]) & (arr_hour == one["sched_arr_time"] // 100)
        ).sum(),
    }
    for feature in CONGESTION_FEATURES:
        assert table[(feature, date, flight_key(one.to_dict(), feature))] == expected[feature], feature


def test_frame_and_single_flight_keys_agree():
    flights = raw_schedule().head(200)
    for feature in CONGESTION_FEATURES + HISTORY_FEATURES:
        single = [flight_key(row, feature) for row in flights.to_dict("records")]
        assert frame_keys(flights, feature).tolist() == single, feature


@pytest.mark.parametrize(
    ("ymd", "facts"),
    [
        ((2013, 11, 28), (1.0, 0.0, 0.0)),  # Thanksgiving
        ((2013, 11, 27), (0.0, 1.0, 16.0)),  # the day before; Veterans Day was Nov 11
        ((2013, 12, 31), (0.0, 1.0, 6.0)),  # New Year's Day next
        ((2013, 2, 30), (np.nan,) * 3),  # no such date
    ],
)
def test_calendar_facts(ymd, facts):
    np.testing.assert_array_equal(calendar_facts(*ymd), facts)


@pytest.fixture(scope="module")
def context() -> ContextTable:
    """A context table for the synthetic training flights (2013 dates of builders.synthetic_flights)."""
    training = synthetic_flights()
    return ContextTable(
        build_context(training.assign(arr_delay=np.where(training["disrupted"], 30.0, 0.0)), 3, 5.0, 15)
    )


@pytest.fixture(scope="module")
def fitted(context):
    training = synthetic_flights()
    return build_pipeline(small_train_params(20), ALL_ON, context).fit(training, training["disrupted"])


def test_no_post_departure_column_is_a_feature_with_every_group_on():
    names = feature_names(**ALL_ON)
    assert set(CONGESTION_FEATURES + HISTORY_FEATURES) <= set(names)
    assert not set(FORBIDDEN_COLUMNS) & set(names + model_inputs(True))


def test_a_model_joining_the_context_refuses_to_score_without_it(fitted, context):
    detach(fitted)
    try:
        with pytest.raises(ContextMissing, match="attach"):
            fitted.predict_proba(frame_of(flight_row()))
    finally:
        attach(fitted, context)


def test_a_date_the_table_lacks_gives_missing_context_features(fitted):
    out = fitted[:-1].transform(frame_of(flight_row(), flight_row(year=2014)))
    names = list(fitted[:-1].get_feature_names_out())
    for feature in CONGESTION_FEATURES + HISTORY_FEATURES:
        assert np.isnan(out[1, names.index(feature)]), feature
    assert not np.isnan(out[1, names.index("days_to_holiday")])  # the calendar needs no table
    assert np.isfinite(fitted.predict_proba(frame_of(flight_row(year=2014)))[:, 1]).all()


def test_the_saved_model_holds_no_table_and_saves_byte_stably(fitted, context, tmp_path):
    rows = frame_of(flight_row(), flight_row(dest="LAX", day=20))
    expected = fitted.predict_proba(rows)[:, 1]
    detach(fitted)
    try:
        assert canonical_bytes(fitted) == canonical_bytes(fitted)
        save_model(fitted, tmp_path / "model.skops")
    finally:
        attach(fitted, context)
    loaded = load_model(tmp_path / "model.skops", TRUSTED_TYPES)  # ContextTable is no trusted type
    assert not hasattr(loaded.named_steps["schedule"], "context_table")
    np.testing.assert_array_equal(attach(loaded, context).predict_proba(rows)[:, 1], expected)
