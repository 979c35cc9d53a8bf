"""Unit tests of flights.data.prepare on small hand-made tables with the raw columns and dtypes."""

import re

import numpy as np
import pandas as pd
import pytest

from conftest import PROJECT
from flights.data.prepare import (
    clean_weather,
    flight_status,
    join_reference,
    label,
    prepare,
)
from flights.data.tables import dtypes_only
from flights.shared.params import check_params
from flights.shared.vocabulary import LABEL
from mlkit.config import ParamError, load_params
from mlkit.validation import enforce

DISRUPTED = {"policy": "disrupted", "delay_minutes": 15}
COMPLETED = {"policy": "completed", "delay_minutes": 15}
NAN = np.nan

FLIGHT_COLUMNS = [
    "year", "month", "day", "dep_time", "sched_dep_time", "dep_delay", "arr_time", "sched_arr_time",
    "arr_delay", "carrier", "flight", "tailnum", "origin", "dest", "air_time", "distance", "hour",
    "minute", "time_hour",
]  # fmt: skip


def flight(
    flight_no,
    date,
    sched_dep,
    time_hour,
    dep_time,
    arr_time,
    sched_arr,
    arr_delay,
    tailnum="N1",
    dest="IAH",
    carrier="UA",
    origin="EWR",
):
    """One row of the raw flights table (hhmm clock times, local date, UTC `time_hour`)."""
    year, month, day = (int(x) for x in date.split("-"))
    dep_delay = NAN if np.isnan(dep_time) else 0.0
    air_time = NAN if np.isnan(arr_delay) else 200.0
    return {
        "year": year,
        "month": month,
        "day": day,
        "dep_time": dep_time,
        "sched_dep_time": sched_dep,
        "dep_delay": dep_delay,
        "arr_time": arr_time,
        "sched_arr_time": sched_arr,
        "arr_delay": arr_delay,
        "carrier": carrier,
        "flight": flight_no,
        "tailnum": tailnum,
        "origin": origin,
        "dest": dest,
        "air_time": air_time,
        "distance": 1400,
        "hour": sched_dep // 100,
        "minute": sched_dep % 100,
        "time_hour": time_hour,
    }


# Flight numbers identify the rows in the assertions; the comment says what makes each row tricky.
ROWS = [
    flight(1, "2013-01-01", 515, "2013-01-01T10:00:00Z", 517.0, 830.0, 819, 11.0),  # on time
    flight(2, "2013-01-01", 600, "2013-01-01T11:00:00Z", 610.0, 900.0, 840, 20.0),  # late
    flight(3, "2013-01-01", 600, "2013-01-01T11:00:00Z", 600.0, 855.0, 840, 15.0),  # exactly 15
    flight(4, "2013-01-01", 2359, "2013-01-02T04:00:00Z", 2400.0, 305.0, 300, 5.0),  # dep 2400
    # overnight: sched_arr_time < sched_dep_time, arrives at 2400
    flight(5, "2013-01-01", 2250, "2013-01-02T03:00:00Z", 2330.0, 2400.0, 2330, 30.0),
    flight(6, "2013-01-01", 700, "2013-01-01T12:00:00Z", NAN, NAN, 1000, NAN, tailnum=None),  # cancelled
    flight(7, "2013-01-01", 800, "2013-01-01T13:00:00Z", 805.0, NAN, 1100, NAN),  # diverted
    flight(8, "2013-01-01", 900, "2013-01-01T14:00:00Z", 900.0, 1150.0, 1200, -10.0, tailnum=None),
    flight(9, "2013-01-01", 900, "2013-01-01T14:00:00Z", 915.0, 1330.0, 1320, 10.0, dest="SJU"),
    # the DST fall-back hour: 01:30 local happens twice on 2013-11-03 (EDT, then EST)
    flight(10, "2013-11-03", 130, "2013-11-03T05:00:00Z", 130.0, 430.0, 430, 0.0, tailnum="N2"),
    flight(11, "2013-11-03", 130, "2013-11-03T06:00:00Z", 130.0, 500.0, 430, 30.0, tailnum="N2"),
    # after the end of the weather table
    flight(12, "2013-12-31", 2000, "2014-01-01T01:00:00Z", 2000.0, 2300.0, 2300, 0.0),
    flight(13, "2013-01-01", 600, "2013-01-01T11:00:00Z", 600.0, 855.0, 840, 14.0, carrier="ZZ"),
]


def typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """The dtypes `ingest` gives the raw table (UTC `time_hour`, pandas' string dtype, ...)."""
    return enforce(frame, dtypes_only(table), table)


def flights_table(rows=ROWS) -> pd.DataFrame:
    return typed(pd.DataFrame(rows, columns=FLIGHT_COLUMNS), "flights")


def weather_table() -> pd.DataFrame:
    """EWR weather for the flights' hours but the last; local hour 1 of 2013-11-03 twice."""
    hours = [
        # (local date, local hour, UTC instant, temp, wind_speed)
        ("2013-01-01", 5, "2013-01-01T10:00:00Z", 30.0, 10.0),
        ("2013-01-01", 6, "2013-01-01T11:00:00Z", 31.0, 100.0),  # at the limit: kept
        ("2013-01-01", 7, "2013-01-01T12:00:00Z", 32.0, 1048.0),  # instrument error: blanked
        ("2013-01-01", 8, "2013-01-01T13:00:00Z", 33.0, NAN),
        ("2013-01-01", 9, "2013-01-01T14:00:00Z", 34.0, 5.0),
        ("2013-01-01", 22, "2013-01-02T03:00:00Z", 35.0, 5.0),
        ("2013-01-01", 23, "2013-01-02T04:00:00Z", 36.0, 5.0),
        ("2013-11-03", 1, "2013-11-03T05:00:00Z", 50.0, 5.0),  # 01:00 EDT
        ("2013-11-03", 1, "2013-11-03T06:00:00Z", 40.0, 5.0),  # 01:00 EST, same local keys
    ]
    rows = []
    for date, hour, instant, temp, wind in hours:
        year, month, day = (int(x) for x in date.split("-"))
        rows.append(
            {
                "origin": "EWR",
                "year": year,
                "month": month,
                "day": day,
                "hour": hour,
                "temp": temp,
                "dewp": 20.0,
                "humid": 50.0,
                "wind_dir": 270.0,
                "wind_speed": wind,
                "wind_gust": NAN,
                "precip": 0.0,
                "pressure": 1012.0,
                "visib": 10.0,
                "time_hour": instant,
            }
        )
    return typed(pd.DataFrame(rows), "weather")


def reference_tables() -> dict[str, pd.DataFrame]:
    planes = pd.DataFrame(
        {
            "tailnum": ["N1", "N2"],
            "year": [2004.0, NAN],
            "type": ["Fixed wing", "Fixed wing"],
            "manufacturer": ["EMBRAER", "BOEING"],
            "model": ["EMB-145XR", "737"],
            "engines": [2, 2],
            "seats": [55, 150],
            "speed": [NAN, NAN],
            "engine": ["Turbo-fan", "Turbo-fan"],
        }
    )
    airports = pd.DataFrame(
        {
            "faa": ["IAH", "EWR"],
            "name": ["Houston", "Newark"],
            "lat": [29.98, 40.69],
            "lon": [-95.34, -74.17],
            "alt": [97, 18],
            "tz": [-6, -5],
            "dst": ["A", "A"],
            "tzone": ["America/Chicago", "America/New_York"],
        }
    )
    airlines = pd.DataFrame({"carrier": ["UA", "AA"], "name": ["United Air Lines Inc.", "American"]})
    tables = {"planes": planes, "airports": airports, "airlines": airlines}
    return {name: typed(frame, name) for name, frame in tables.items()}


def all_tables() -> dict[str, pd.DataFrame]:
    return {"flights": flights_table(), "weather": weather_table(), **reference_tables()}


def by_flight(frame: pd.DataFrame, column: str) -> dict:
    return dict(zip(frame["flight"], frame[column], strict=True))


# --- flight_status -----------------------------------------------------------------------------


def test_flight_status_cancelled_diverted_completed():
    status = by_flight(flights_table().assign(status=flight_status(flights_table())), "status")
    assert status[6] == "cancelled"
    assert status[7] == "diverted"
    completed = {f for f, s in status.items() if s == "completed"}
    assert completed == set(range(1, 14)) - {6, 7}


def test_flight_status_keeps_index_and_clock_times_2400_are_completed():
    flights = flights_table().set_axis(range(100, 100 + len(ROWS)))
    status = flight_status(flights)
    assert status.index.equals(flights.index)
    assert status[flights["dep_time"] == 2400].tolist() == ["completed"]
    assert status[flights["arr_time"] == 2400].tolist() == ["completed"]


def test_flight_status_cancelled_wins_over_missing_arrival():
    # a cancelled flight also has no arr_delay: it must not be counted as diverted
    flights = flights_table([ROWS[5]])
    assert flight_status(flights).tolist() == ["cancelled"]


# --- label ---------------------------------------------------------------------------------------


def test_label_disrupted_keeps_every_flight():
    flights = flights_table()
    kept, target = label(flights, flight_status(flights), DISRUPTED)
    assert len(kept) == len(flights)
    assert kept.index.equals(target.index)
    labels = by_flight(kept.assign(y=target), "y")
    # late by 15 or more, or cancelled, or diverted
    assert {f for f, y in labels.items() if y == 1} == {2, 3, 5, 6, 7, 11}
    assert target.dtype == "int8"


def test_label_completed_drops_cancelled_and_diverted_only():
    flights = flights_table()
    kept, target = label(flights, flight_status(flights), COMPLETED)
    assert set(kept["flight"]) == set(range(1, 14)) - {6, 7}
    labels = by_flight(kept.assign(y=target), "y")
    assert {f for f, y in labels.items() if y == 1} == {2, 3, 5, 11}


@pytest.mark.parametrize("minutes, late", [(0, {1, 2, 3, 4, 5, 9, 10, 11, 12, 13}), (30, {5, 11})])
def test_label_threshold_is_inclusive(minutes, late):
    flights = flights_table()
    params = {"policy": "completed", "delay_minutes": minutes}
    kept, target = label(flights, flight_status(flights), params)
    assert {f for f, y in by_flight(kept.assign(y=target), "y").items() if y == 1} == late


@pytest.mark.parametrize(
    "settings, name, rule",
    [
        ({"policy": "arrived", "delay_minutes": 15}, "label.policy", "one of ['completed', 'disrupted']"),
        ({"policy": "disrupted", "delay_minutes": -1}, "label.delay_minutes", "a whole number >= 0"),
        ({"policy": "disrupted", "delay_minutes": 15.5}, "label.delay_minutes", "a whole number >= 0"),
    ],
)
def test_label_params_are_refused(settings, name, rule):
    """By the params models, as the prepare stage starts (flights.shared.params.Label)."""
    params = load_params(PROJECT / "params.yaml") | {"label": settings}
    value = settings[name.split(".")[1]]
    with pytest.raises(
        ParamError, match=re.escape(f"params.yaml: {name} = {value!r} is invalid: expected {rule}")
    ):
        check_params(params)


# --- clean_weather -------------------------------------------------------------------------------


def test_clean_weather_blanks_impossible_wind_only():
    weather = weather_table()
    original = weather.copy()
    cleaned, blanked = clean_weather(weather)
    assert blanked == 1
    wind = dict(zip(cleaned["time_hour"].astype(str), cleaned["wind_speed"], strict=True))
    assert np.isnan(wind["2013-01-01 12:00:00+00:00"])  # 1048 mph
    assert wind["2013-01-01 11:00:00+00:00"] == 100.0  # the limit itself is plausible
    assert cleaned["wind_speed"].isna().sum() == 2  # the blanked one and the one already missing
    pd.testing.assert_frame_equal(weather, original)  # the input is not modified
    assert len(cleaned) == len(weather)


# --- join_reference ------------------------------------------------------------------------------


def test_join_reference_keeps_every_flight_once_in_order():
    tables = all_tables()
    joined = join_reference(tables["flights"], tables)
    assert len(joined) == len(ROWS)
    assert joined["flight"].tolist() == [r["flight"] for r in ROWS]
    pd.testing.assert_frame_equal(
        joined[FLIGHT_COLUMNS], tables["flights"][FLIGHT_COLUMNS], check_index_type=False
    )


def test_join_reference_weather_on_utc_instant_at_dst_fall_back():
    tables = all_tables()
    weather = tables["weather"]
    # the trap is real: local keys collide in this table
    assert weather.duplicated(["origin", "year", "month", "day", "hour"]).sum() == 1
    joined = join_reference(tables["flights"], tables)
    temp = by_flight(joined, "temp")
    assert temp[10] == 50.0  # 01:30 EDT: the 05:00 UTC observation
    assert temp[11] == 40.0  # 01:30 EST: the 06:00 UTC observation


def test_join_reference_misses_leave_missing_values():
    tables = all_tables()
    joined = join_reference(tables["flights"], tables)
    temp, seats = by_flight(joined, "temp"), by_flight(joined, "plane_seats")
    dest_lat, airline = by_flight(joined, "dest_lat"), by_flight(joined, "carrier_name")
    assert np.isnan(temp[12])  # after the weather table ends
    assert temp[1] == 30.0 and temp[5] == 35.0
    assert np.isnan(seats[6]) and np.isnan(seats[8])  # missing tailnum
    assert seats[1] == 55 and seats[10] == 150
    assert np.isnan(dest_lat[9])  # SJU is not in the airports table
    assert dest_lat[1] == pytest.approx(29.98)
    assert pd.isna(airline[13]) and airline[1] == "United Air Lines Inc."
    assert joined.loc[joined["flight"] == 10, "plane_year"].isna().all()
    assert {"plane_year", "plane_seats", "plane_engines", "dest_tz", "dest_alt"} <= set(joined.columns)


@pytest.mark.parametrize("table, key", [("planes", "tailnum"), ("airports", "faa"), ("airlines", "carrier")])
def test_join_reference_refuses_duplicate_reference_keys(table, key):
    tables = all_tables()
    tables[table] = pd.concat([tables[table], tables[table].iloc[[0]]], ignore_index=True)
    with pytest.raises(pd.errors.MergeError):
        join_reference(tables["flights"], tables)


def test_join_reference_refuses_duplicate_weather_hours():
    tables = all_tables()
    tables["weather"] = pd.concat([tables["weather"], tables["weather"].iloc[[0]]], ignore_index=True)
    with pytest.raises(pd.errors.MergeError):
        join_reference(tables["flights"], tables)


# --- prepare -------------------------------------------------------------------------------------


def test_prepare_disrupted_accounting():
    tables = all_tables()
    table, accounting = prepare(tables, DISRUPTED)
    assert sorted(table["flight"]) == list(range(1, 14))
    assert accounting["rows_in"] == 13
    assert accounting["rows_out"] == 13
    assert accounting["rows_excluded_by_label_policy"] == 0
    assert accounting["label_policy"] == "disrupted"
    assert accounting["status_counts"] == {"completed": 11, "cancelled": 1, "diverted": 1}
    assert accounting["label_rate"] == pytest.approx(6 / 13)
    assert accounting["label_rate_completed_only"] == pytest.approx(4 / 11)
    assert accounting["weather_values_blanked"] == {"wind_speed_above_100_mph": 1}
    # weather: flight 12 (after the table ends); plane: 6 and 8 (no tailnum); airport: 9 (SJU)
    assert accounting["rows_without"] == {"weather_temp": 1, "plane": 2, "dest_airport": 1}


def test_prepare_completed_accounting():
    table, accounting = prepare(all_tables(), COMPLETED)
    assert sorted(table["flight"]) == sorted(set(range(1, 14)) - {6, 7})
    assert accounting["rows_in"] == 13
    assert accounting["rows_out"] == 11
    assert accounting["rows_excluded_by_label_policy"] == 2
    assert accounting["status_counts"] == {"completed": 11, "cancelled": 1, "diverted": 1}
    assert accounting["label_rate"] == pytest.approx(4 / 11)
    assert accounting["label_rate_completed_only"] == pytest.approx(4 / 11)
    assert accounting["rows_without"] == {"weather_temp": 1, "plane": 1, "dest_airport": 1}
    assert set(table["status"]) == {"completed"}


def test_prepare_labels_follow_their_flights_through_the_sort():
    table, _ = prepare(all_tables(), DISRUPTED)
    labels = by_flight(table, LABEL)
    assert {f for f, y in labels.items() if y == 1} == {2, 3, 5, 6, 7, 11}
    status = by_flight(table, "status")
    assert status[6] == "cancelled" and status[7] == "diverted" and status[1] == "completed"
    # weather of the DST hour survives the whole of prepare too
    temp = by_flight(table, "temp")
    assert (temp[10], temp[11]) == (50.0, 40.0)
    # the impossible wind speed reached no flight
    wind = by_flight(table, "wind_speed")
    assert np.isnan(wind[6])  # 12:00 UTC, blanked from 1048
    assert table["wind_speed"].max() <= 100


def test_prepare_is_sorted_and_independent_of_input_order():
    tables = all_tables()
    table, accounting = prepare(tables, DISRUPTED)
    keys = ["time_hour", "origin", "carrier", "flight"]
    assert table[keys].equals(table[keys].sort_values(keys).reset_index(drop=True))
    assert table.index.equals(pd.RangeIndex(len(table)))
    shuffled = {**tables, "flights": tables["flights"].sample(frac=1, random_state=0)}
    table2, accounting2 = prepare(shuffled, DISRUPTED)
    pd.testing.assert_frame_equal(table, table2)
    assert accounting == accounting2


def test_prepare_does_not_modify_its_inputs():
    tables = all_tables()
    copies = {name: frame.copy() for name, frame in tables.items()}
    prepare(tables, DISRUPTED)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, copies[name])
