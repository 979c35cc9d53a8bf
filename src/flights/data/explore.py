"""The data product: disruption rates by schedule, carrier, airport and weather, and data coverage."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from flights.shared.vocabulary import LABEL
from mlkit.eda import histogram, rate_by, rate_by_bins

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WEATHER_BINS = {
    "precip": [0, 0.001, 0.05, 0.2, 2.0],
    "visib": [0, 1, 3, 5, 9.99, 10],
    "wind_speed": [0, 5, 10, 15, 20, 30, 45],
}
DELAY_EDGES = np.arange(-60, 301, 15)
# the axis a reader sees for each grouping column; groups without an order of their own are sorted by rate
AXIS_NAMES = {
    "hour": "scheduled hour of departure", "weekday": "weekday", "month": "month", "carrier": "carrier",
    "origin": "origin airport", "dest": "destination airport", "precip": "precipitation (inches)",
    "visib": "visibility (miles)", "wind_speed": "wind speed (mph)",
}  # fmt: skip
UNORDERED = ("carrier", "origin", "dest")
# what the figures read of the prepared flights: the date (the weekday), the groups, weather, delay, label
FIGURE_COLUMNS = [
    "year",
    "month",
    "day",
    "hour",
    "carrier",
    "origin",
    "dest",
    *WEATHER_BINS,
    "arr_delay",
    LABEL,
]


@dataclass(frozen=True)
class Figure:
    """One exploratory table and how to draw it (`mlkit.plots.bar_chart`'s arguments): `x` against
    `y`, with readable axis names, sorted by value when its groups have no order of their own, and a
    reference line (the overall rate)."""

    table: pd.DataFrame
    x: str
    y: str
    title: str
    xlabel: str = ""
    ylabel: str = ""
    sort: bool = False
    reference: tuple[float, str] | None = None
    share: bool = False


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


def missing_table(share: pd.Series) -> pd.DataFrame:
    """The columns that miss values, by the share of rows missing one (`mlkit.streaming.missing_shares`)."""
    share = share[share > 0].sort_values(ascending=False, kind="stable")
    return pd.DataFrame({"column": share.index, "missing_share": share.to_numpy()})


def figures(
    flights: pd.DataFrame, settings: dict, join_coverage: dict, missing_share: pd.Series
) -> dict[str, Figure]:
    """Every exploratory figure of the report, keyed by its file stem, from the FIGURE_COLUMNS of the
    flights; `settings` is params' `explore`, `join_coverage` validate's, `missing_share` every column's."""
    flights = add_weekday(flights)
    rate, top_n, least = "share of flights disrupted", settings["top_n"], settings["min_group_rows"]
    overall = (float(flights[LABEL].mean()), f"all flights ({flights[LABEL].mean():.1%})")
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
            AXIS_NAMES[column],
            rate,
            sort=column in UNORDERED,
            reference=overall,
            share=True,
        )
        for column, label in groups.items()
    }
    for column, edges in WEATHER_BINS.items():
        found[f"rate_by_{column}"] = Figure(
            rate_by_bins(flights, column, edges, LABEL), column, "rate",
            f"{rate}, by {AXIS_NAMES[column]} at origin", AXIS_NAMES[column], rate, reference=overall,
            share=True,
        )  # fmt: skip
    found["arr_delay_distribution"] = Figure(
        histogram(flights["arr_delay"], DELAY_EDGES),
        "bin_start",
        "rows",
        "arrival delay (minutes, clipped to [-60, 300]), completed flights",
        "arrival delay, start of a 15-minute bin (minutes)",
        "flights",
    )
    found["missing_values"] = Figure(
        missing_table(missing_share), "column", "missing_share", "share missing, by column", "column",
        "share of flights missing the value", share=True,
    )  # fmt: skip
    found["join_coverage"] = Figure(
        coverage_table(join_coverage), "join", "coverage", "share of flights that find their row",
        "reference table joined", "share of flights matched", share=True,
    )  # fmt: skip
    return found
