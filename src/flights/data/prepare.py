"""Cleaning and joins: one row per scheduled flight, its status, its label, and what was known at booking."""

from collections import Counter

import numpy as np
import pandas as pd

from flights.shared.vocabulary import (
    AIRPORT_COLUMNS,
    LABEL,
    MAX_WIND_SPEED_MPH,
    PLANE_COLUMNS,
    STATUSES,
    WEATHER_COLUMNS,
)


def flight_status(flights: pd.DataFrame) -> pd.Series:
    """Cancelled flights never departed; diverted ones departed but have no arrival delay."""
    status = pd.Series("completed", index=flights.index, dtype="str")
    status[flights["dep_time"].isna()] = "cancelled"
    status[flights["dep_time"].notna() & flights["arr_delay"].isna()] = "diverted"
    return status


def label(flights: pd.DataFrame, status: pd.Series, params: dict) -> tuple[pd.DataFrame, pd.Series]:
    """Rows kept and their label under `label.policy`.

    `disrupted` (default) keeps every flight: late by `delay_minutes` or more, cancelled or diverted is
    a 1. A booking-time product must keep flights that will be cancelled. `completed` is the BTS
    convention: only flights that arrived, late by `delay_minutes` or more.
    """
    late = flights["arr_delay"] >= params["delay_minutes"]
    if params["policy"] == "completed":
        keep = status == "completed"
        return flights[keep], late[keep].astype("int8")
    return flights, (late | (status != "completed")).astype("int8")


def clean_weather(weather: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Impossible wind speeds become missing; returns the table and how many values were blanked."""
    weather = weather.copy()
    bad = weather["wind_speed"] > MAX_WIND_SPEED_MPH
    weather.loc[bad, "wind_speed"] = np.nan
    return weather, int(bad.sum())


def join_reference(flights: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Left joins that never drop or duplicate a flight: weather at origin and the UTC scheduled hour
    (local keys collide at the DST change), the plane, the destination airport, the airline."""
    weather = tables["weather"][["origin", "time_hour", *WEATHER_COLUMNS]]
    planes = tables["planes"][["tailnum", *PLANE_COLUMNS]].rename(columns=PLANE_COLUMNS)
    airports = tables["airports"][["faa", *AIRPORT_COLUMNS]].rename(
        columns={"faa": "dest", **AIRPORT_COLUMNS}
    )
    airlines = tables["airlines"].rename(columns={"name": "carrier_name"})
    joined = (
        flights.merge(weather, on=["origin", "time_hour"], how="left", validate="many_to_one")
        .merge(planes, on="tailnum", how="left", validate="many_to_one")
        .merge(airports, on="dest", how="left", validate="many_to_one")
        .merge(airlines, on="carrier", how="left", validate="many_to_one")
    )
    if len(joined) != len(flights):
        raise AssertionError("a reference join changed the number of flights")
    return joined


def prepare_part(
    flights: pd.DataFrame, reference: dict[str, pd.DataFrame], label_params: dict
) -> tuple[pd.DataFrame, Counter]:
    """The modelling table of some flights (whole days: it is sorted by scheduled hour) joined with the
    cleaned `reference` tables, and its row counts for `account`."""
    status = flight_status(flights)
    kept, target = label(flights, status, label_params)
    table = join_reference(kept.assign(status=status[kept.index]), reference)
    table[LABEL] = target.to_numpy()
    table = table.sort_values(["time_hour", "origin", "carrier", "flight"], kind="stable")
    table = table.reset_index(drop=True)
    completed = status == "completed"
    counts = Counter(
        rows_in=len(flights),
        rows_out=len(table),
        positive=int(table[LABEL].sum()),
        completed_late=int((flights.loc[completed, "arr_delay"] >= label_params["delay_minutes"]).sum()),
        without_weather_temp=int(table["temp"].isna().sum()),
        without_plane=int(table["plane_seats"].isna().sum()),
        without_dest_airport=int(table["dest_lat"].isna().sum()),
    )
    counts.update({f"status_{name}": int(rows) for name, rows in status.value_counts().items()})
    return table, counts


def account(counts: Counter, blanked: int, label_params: dict) -> dict:
    """The row accounting for data_quality.json from the summed counts of every part."""
    completed = counts["status_completed"]
    return {
        "rows_in": counts["rows_in"],
        "rows_out": counts["rows_out"],
        "rows_excluded_by_label_policy": counts["rows_in"] - counts["rows_out"],
        "label_policy": label_params["policy"],
        "status_counts": {s: counts[f"status_{s}"] for s in STATUSES},
        "label_rate": counts["positive"] / counts["rows_out"] if counts["rows_out"] else float("nan"),
        "label_rate_completed_only": counts["completed_late"] / completed if completed else float("nan"),
        "weather_values_blanked": {f"wind_speed_above_{MAX_WIND_SPEED_MPH}_mph": blanked},
        "rows_without": {
            "weather_temp": counts["without_weather_temp"],
            "plane": counts["without_plane"],
            "dest_airport": counts["without_dest_airport"],
        },
    }


def prepare(tables: dict[str, pd.DataFrame], label_params: dict) -> tuple[pd.DataFrame, dict]:
    """The modelling table and the row accounting for data_quality.json, in one part."""
    weather, blanked = clean_weather(tables["weather"])
    table, counts = prepare_part(tables["flights"], {**tables, "weather": weather}, label_params)
    return table, account(counts, blanked, label_params)
