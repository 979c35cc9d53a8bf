"""Schemas of the five raw nycflights13 tables: dtypes for ingestion, hard rules and soft rules.

Hard rules stop the pipeline (the data cannot be trusted); soft rules are known blemishes of the real
data that are counted in metrics/data_quality.json and handled by `prepare`. The model's input fields
(in `flights` and `weather`) take their rules from fields.FIELDS, the table the request rules are
built from too; the other columns' rules are written here.
"""

from dataclasses import replace

import pandas as pd
import pandera.pandas as pa
from pandera import Check

from flights.data.fields import AIRPORT, NOT_INPUTS, SCHEDULE_FIELDS, WEATHER_FIELDS
from flights.shared.vocabulary import MAX_WIND_SPEED_MPH, MONTHS, REPLICA
from mlkit.fields import hhmm_clock, raw_column
from mlkit.validation import full_match

UTC = pd.DatetimeTZDtype("ns", "UTC")
CODE2 = full_match(r"^[A-Z0-9]{2}$")
CODE3 = full_match(AIRPORT)
MONTH = Check.in_range(min(MONTHS), max(MONTHS))
CLOCK = hhmm_clock()
FLIGHT = {rule.name: raw_column(rule) for rule in SCHEDULE_FIELDS}  # the model's inputs in `flights`
WEATHER = {  # and in `weather`, where wind_speed's upper bound is a soft rule (SOFT): 1048 mph occurs
    rule.name: raw_column(replace(rule, le=None) if rule.name == "wind_speed" else rule)
    for rule in WEATHER_FIELDS
}


def _hhmm(nullable: bool = False, allow_2400: bool = False) -> pa.Column:
    """A clock time written as an hhmm integer; actual times use 2400 for midnight."""
    top = 2400 if allow_2400 else 2359
    checks = [Check.in_range(0, top), Check(CLOCK.holds, element_wise=False, name=CLOCK.name)]
    return pa.Column("float64" if nullable else "int64", checks, nullable=nullable, coerce=True)


def _col(dtype, *checks: Check, nullable: bool = False) -> pa.Column:
    return pa.Column(dtype, list(checks), nullable=nullable, coerce=True)


def _table(columns: dict[str, pa.Column], key: list[str]) -> pa.DataFrameSchema:
    """A raw table's hard rules: its columns (others pass through, in any order) and a unique key whose
    every duplicate row is reported."""
    return pa.DataFrameSchema(columns, unique=key, report_duplicates="all", strict=False, ordered=False)


HARD = {
    "flights": _table(
        {
            "year": FLIGHT["year"],
            "month": FLIGHT["month"],
            "day": FLIGHT["day"],
            "dep_time": _hhmm(nullable=True, allow_2400=True),
            "sched_dep_time": FLIGHT["sched_dep_time"],
            "dep_delay": _col("float64", nullable=True),
            "arr_time": _hhmm(nullable=True, allow_2400=True),
            "sched_arr_time": FLIGHT["sched_arr_time"],
            "arr_delay": _col("float64", nullable=True),
            "carrier": FLIGHT["carrier"],
            "flight": FLIGHT["flight"],
            "tailnum": _col(str, nullable=True),
            "origin": FLIGHT["origin"],
            "dest": FLIGHT["dest"],
            "air_time": _col("float64", Check.gt(0), nullable=True),
            "distance": _col("int64", Check.gt(0)),
            "hour": _col("int64", Check.in_range(0, 23)),
            "minute": _col("int64", Check.in_range(0, 59)),
            "time_hour": _col(UTC),
        },
        # `replica` only in scaled data (pandera checks the key columns that the table has)
        key=["year", "month", "day", "carrier", "flight", "origin", "sched_dep_time", REPLICA],
    ),
    "weather": _table(
        {
            "origin": _col(str, CODE3),
            "year": _col("int64", Check.in_range(1900, 2100)),
            "month": _col("int64", MONTH),
            "day": _col("int64", Check.in_range(1, 31)),
            "hour": _col("int64", Check.in_range(0, 23)),
            **WEATHER,
            "time_hour": _col(UTC),
        },
        key=["origin", "time_hour"],
    ),
    "planes": _table(
        {
            "tailnum": _col(str, full_match(r"^[A-Z0-9]+$")),
            "year": _col("float64", Check.in_range(1900, 2100), nullable=True),
            "type": _col(str, nullable=True),
            "manufacturer": _col(str, nullable=True),
            "model": _col(str, nullable=True),
            "engines": _col("int64", Check.in_range(0, 8)),
            "seats": _col("int64", Check.in_range(1, 1000)),
            "speed": _col("float64", Check.gt(0), nullable=True),
            "engine": _col(str, nullable=True),
        },
        key=["tailnum"],
    ),
    "airports": _table(
        {
            "faa": _col(str, CODE3),
            "name": _col(str),
            "lat": _col("float64", Check.in_range(-90, 90)),
            "lon": _col("float64", Check.in_range(-180, 180)),
            "alt": _col("int64"),
            "tz": _col("int64", Check.in_range(-12, 14)),
            "dst": _col(str, Check.isin(["A", "N", "U"])),
            "tzone": _col(str, nullable=True),
        },
        key=["faa"],
    ),
    "airlines": _table(
        {"carrier": _col(str, CODE2), "name": _col(str)},
        key=["carrier"],
    ),
}

TABLES = tuple(HARD)
assert set(HARD["flights"].columns) == set(FLIGHT) | set(NOT_INPUTS), "each raw field: an input or ignored"

SOFT = {
    "flights": pa.DataFrameSchema(
        {
            "tailnum": pa.Column(str, nullable=False, required=True),
            "hour": pa.Column(checks=Check.ge(0)),
        },
        checks=[
            Check(
                lambda df: df["hour"] == df["sched_dep_time"] // 100,
                name="hour_is_scheduled_hour",
            )
        ],
    ),
    "weather": pa.DataFrameSchema(
        {
            "wind_speed": pa.Column(
                checks=Check.le(MAX_WIND_SPEED_MPH, name=f"wind_speed_at_most_{MAX_WIND_SPEED_MPH}_mph"),
                nullable=True,
            )
        }
    ),
    "planes": pa.DataFrameSchema({"year": pa.Column(nullable=False)}),
}


def _whole_or_not_a_number(values: pd.Series) -> pd.Series | bool:
    if pd.api.types.is_integer_dtype(values):  # the usual case, read as integers already
        return True
    number = pd.to_numeric(values, errors="coerce")  # text is left to the dtype check of `dtypes_only`
    return number.isna() | (number % 1 == 0)


def whole_numbers(table: str) -> pa.DataFrameSchema:
    """The table's integer columns before the cast: a 1.5 there is refused by name, where the integer
    cast of `dtypes_only` would silently make it 1."""
    whole = Check(_whole_or_not_a_number, name="whole_number")
    columns = {
        name: pa.Column(checks=whole, nullable=True, required=False)
        for name, col in HARD[table].columns.items()
        if str(col.dtype) == "int64"
    }
    return pa.DataFrameSchema(columns, strict=False)


def dtypes_only(table: str) -> pa.DataFrameSchema:
    """The table's columns and dtypes without its rules: ingestion coerces and types, `validate` judges."""
    schema = HARD[table]
    columns = {
        name: pa.Column(col.dtype, nullable=col.nullable, coerce=True) for name, col in schema.columns.items()
    }
    return pa.DataFrameSchema(columns, strict="filter", ordered=False)
