"""The data product: disruption rates by schedule, carrier, airport and weather, and data coverage."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from flights.vocabulary import LABEL
from mlkit.eda import histogram, rate_by, rate_by_bins

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WEATHER_BINS = {
    "precip": [0, 0.001, 0.05, 0.2, 2.0],
    "visib": [0, 1, 3, 5, 9.99, 10],
    "wind_speed": [0, 5, 10, 15, 20, 30, 45],
}
DELAY_EDGES = np.arange(-60, 301, 15)


@dataclass(frozen=True)
class Figure:
    """One exploratory table and how to draw it: `x` against `y`."""

    table: pd.DataFrame
    x: str
    y: str
    title: str


def add_weekday(flights: pd.DataFrame) -> pd.DataFrame:
    dates = pd.to_datetime(flights[["year", "month", "day"]])
    weekday = pd.Categorical.from_codes(dates.dt.dayofweek, categories=WEEKDAYS, ordered=True)
    return flights.assign(weekday=weekday)


def coverage_table(join_coverage: dict) -> pd.DataFrame:
    """Share of flights that find their row in each reference table, as `validate` measured it on the
    join keys (a joined row may still lack a value: 17 weather hours have no temperature)."""
    return pd.DataFrame(
        {"join": list(join_coverage), "coverage": [found["coverage"] for found in join_coverage.values()]}
    )


def missing_table(flights: pd.DataFrame) -> pd.DataFrame:
    share = flights.isna().mean()
    share = share[share > 0].sort_values(ascending=False, kind="stable")
    return pd.DataFrame({"column": share.index, "missing_share": share.to_numpy()})


def figures(flights: pd.DataFrame, settings: dict, join_coverage: dict) -> dict[str, Figure]:
    """Every exploratory figure of the report, keyed by its file stem; `settings` is params' `explore`,
    `join_coverage` validate's."""
    flights = add_weekday(flights)
    rate, top_n, least = "share of flights disrupted", settings["top_n"], settings["min_group_rows"]
    groups = {
        "hour": "by scheduled hour", "weekday": "by weekday", "month": "by month", "carrier": "by carrier",
        "origin": "by origin", "dest": f"top {top_n} destinations",
    }  # fmt: skip
    found = {
        f"rate_by_{column}": Figure(
            rate_by(flights, column, LABEL, top=top_n if column == "dest" else None, min_rows=least),
            column,
            "rate",
            f"{rate}, {label} ({least}+ flights)",
        )
        for column, label in groups.items()
    }
    for column, edges in WEATHER_BINS.items():
        found[f"rate_by_{column}"] = Figure(
            rate_by_bins(flights, column, edges, LABEL), column, "rate", f"{rate}, by {column} at origin"
        )
    found["arr_delay_distribution"] = Figure(
        histogram(flights["arr_delay"], DELAY_EDGES),
        "bin_start",
        "rows",
        "arrival delay (minutes, clipped to [-60, 300]), completed flights",
    )
    found["missing_values"] = Figure(
        missing_table(flights), "column", "missing_share", "share missing, by column"
    )
    found["join_coverage"] = Figure(
        coverage_table(join_coverage), "join", "coverage", "share of flights that find their row"
    )
    return found
