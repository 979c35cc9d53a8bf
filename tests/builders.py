"""Shared builders of flights-shaped test data: a prepared-table look-alike and single flights.

The real tables are read by `conftest.small_flights` and `conftest.ingested`; these synthetic ones keep
unit tests independent of the data and fast.
"""

import numpy as np
import pandas as pd

# Destination airports as `prepare` joins them: lat, lon, tz (hours from UTC in winter), dst flag.
AIRPORTS = {
    "LAX": (33.94, -118.41, -8.0, "A"),
    "BOS": (42.36, -71.01, -5.0, "A"),
    "ATL": (33.64, -84.43, -5.0, "A"),
    "HNL": (21.32, -157.92, -10.0, "N"),  # Hawaii keeps standard time all year
}
DISTANCE = {"LAX": 2475, "BOS": 187, "ATL": 760, "HNL": 4983}
ORIGIN_OFFSET = {"JFK": 0, "LGA": 3, "EWR": -12}
PLANES = {"N1": (2004.0, 200.0, 2.0), "N2": (1998.0, 150.0, 2.0), "N3": (2010.0, 55.0, 2.0)}


def minutes_to_hhmm(minutes: np.ndarray) -> np.ndarray:
    minutes = np.asarray(minutes) % 1440
    return (minutes // 60) * 100 + minutes % 60


def synthetic_flights(rows: int = 600, seed: int = 0) -> pd.DataFrame:
    """A prepared-table look-alike: schedule, joined references, weather, outcomes, label."""
    rng = np.random.default_rng(seed)
    dest = rng.choice(list(AIRPORTS), rows)
    origin = rng.choice(list(ORIGIN_OFFSET), rows)
    dep = rng.integers(5 * 12, 23 * 12, rows) * 5
    block = np.array([DISTANCE[d] // 8 + 30 for d in dest])
    arr_local = dep + block + 60 * (np.array([AIRPORTS[d][2] for d in dest]) + 5).astype(int)
    precip = np.where(rng.uniform(size=rows) < 0.2, rng.exponential(0.2, rows), 0.0)
    risk = -1.5 + 1.5 * (dep > 17 * 60) + 4 * precip + rng.normal(0, 0.5, rows)
    disrupted = (rng.uniform(size=rows) < 1 / (1 + np.exp(-risk))).astype("int8")
    # As in 2013: the tail number is blank for cancelled flights, here for every disrupted one.
    tail = np.where(disrupted == 1, None, rng.choice(list(PLANES), rows))
    plane = [PLANES.get(t, (np.nan, np.nan, np.nan)) for t in tail]
    frame = pd.DataFrame(
        {
            "year": 2013,
            "month": rng.integers(1, 13, rows),
            "day": rng.integers(1, 29, rows),
            "sched_dep_time": minutes_to_hhmm(dep),
            "sched_arr_time": minutes_to_hhmm(arr_local),
            "carrier": rng.choice(["AA", "UA", "DL", "B6"], rows),
            "flight": rng.integers(1, 3000, rows),
            "origin": origin,
            "dest": dest,
            "tailnum": pd.array(tail, dtype="str"),
            "distance": [DISTANCE[d] + ORIGIN_OFFSET[o] for d, o in zip(dest, origin, strict=True)],
            "temp": rng.normal(55, 15, rows),
            "dewp": rng.normal(40, 15, rows),
            "humid": rng.uniform(20, 100, rows),
            "wind_dir": rng.integers(0, 36, rows) * 10.0,
            "wind_speed": rng.gamma(2, 5, rows),
            "wind_gust": np.where(rng.uniform(size=rows) < 0.8, np.nan, rng.gamma(4, 6, rows)),
            "precip": precip,
            "pressure": rng.normal(1015, 7, rows),
            "visib": np.where(precip > 0, rng.uniform(1, 10, rows), 10.0),
            "plane_year": [p[0] for p in plane],
            "plane_seats": [p[1] for p in plane],
            "plane_engines": [p[2] for p in plane],
            "dest_lat": [AIRPORTS[d][0] for d in dest],
            "dest_lon": [AIRPORTS[d][1] for d in dest],
            "dest_tz": [AIRPORTS[d][2] for d in dest],
            "dest_dst": [AIRPORTS[d][3] for d in dest],
        }
    )
    # What is only known after the flight, made to predict the label perfectly: a leak would show.
    delay = np.where(disrupted == 1, rng.uniform(20, 200, rows), rng.uniform(-20, 10, rows))
    frame["dep_delay"] = delay
    frame["arr_delay"] = delay + rng.normal(0, 5, rows)
    frame["dep_time"] = minutes_to_hhmm(dep + delay.astype(int)).astype(float)
    frame["arr_time"] = minutes_to_hhmm(arr_local + delay.astype(int)).astype(float)
    frame["air_time"] = block - 20.0
    frame["disrupted"] = disrupted
    return frame


def flight_row(**fields) -> dict:
    """One scheduled flight with every model input; `fields` override the defaults."""
    row = {
        "year": 2013, "month": 1, "day": 15, "sched_dep_time": 900, "sched_arr_time": 1030,
        "carrier": "AA", "flight": 100, "origin": "JFK", "dest": "BOS",
        "temp": 40.0, "dewp": 30.0, "humid": 60.0, "wind_dir": 270.0, "wind_speed": 10.0,
        "wind_gust": np.nan, "precip": 0.0, "pressure": 1015.0, "visib": 10.0,
    }  # fmt: skip
    return row | fields


def frame_of(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))
