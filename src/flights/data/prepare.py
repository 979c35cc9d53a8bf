"""Cleaning and joins: one row per scheduled flight, its status, its label, and what was known at booking."""

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


def prepare(tables: dict[str, pd.DataFrame], label_params: dict) -> tuple[pd.DataFrame, dict]:
    """The modelling table and the row accounting for data_quality.json."""
    flights = tables["flights"]
    status = flight_status(flights)
    weather, blanked = clean_weather(tables["weather"])
    kept, target = label(flights, status, label_params)
    table = join_reference(kept.assign(status=status[kept.index]), {**tables, "weather": weather})
    table[LABEL] = target.to_numpy()
    table = table.sort_values(["time_hour", "origin", "carrier", "flight"], kind="stable")
    table = table.reset_index(drop=True)
    counts = status.value_counts()
    accounting = {
        "rows_in": len(flights),
        "rows_out": len(table),
        "rows_excluded_by_label_policy": len(flights) - len(kept),
        "label_policy": label_params["policy"],
        "status_counts": {s: int(counts.get(s, 0)) for s in STATUSES},
        "label_rate": float(table[LABEL].mean()),
        "label_rate_completed_only": float(
            (flights.loc[status == "completed", "arr_delay"] >= label_params["delay_minutes"]).mean()
        ),
        "weather_values_blanked": {f"wind_speed_above_{MAX_WIND_SPEED_MPH}_mph": blanked},
        "rows_without": {
            "weather_temp": int(table["temp"].isna().sum()),
            "plane": int(table["plane_seats"].isna().sum()),
            "dest_airport": int(table["dest_lat"].isna().sum()),
        },
    }
    return table, accounting
