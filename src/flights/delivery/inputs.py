"""The request form of a flight: the raw tables' field names, with one set of rules for HTTP and batch.

Each field's rule (type, range, pattern) is written once, in FIELDS; `flight_model` turns them into a
pydantic model (HTTP) and `batch_schema` into a pandera schema (files). The rules across fields (hh:mm
minutes below 60, a real date, codes the model knows) are written for each; a test sends the same bad
values both ways and expects both refused.
"""

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import pandas as pd
import pandera.pandas as pa
from pandera import Check
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from flights.vocabulary import MAX_WIND_SPEED_MPH, MONTHS, WEATHER_COLUMNS
from mlkit.validation import full_match


@dataclass(frozen=True)
class FieldRule:
    name: str
    kind: type
    required: bool = True
    ge: float | None = None
    le: float | None = None
    pattern: str | None = None
    description: str = ""


HHMM = "local clock time as hhmm (0-2359)"
SCHEDULE_FIELDS = [
    FieldRule("carrier", str, pattern=r"^[A-Z0-9]{2}$", description="two-letter airline code, e.g. UA"),
    FieldRule("flight", int, ge=1, le=9999, description="flight number"),
    FieldRule("origin", str, pattern=r"^[A-Z]{3}$", description="origin airport (EWR, JFK or LGA)"),
    FieldRule("dest", str, pattern=r"^[A-Z]{3}$", description="destination airport FAA code"),
    FieldRule("year", int, ge=2000, le=2100),
    FieldRule("month", int, ge=min(MONTHS), le=max(MONTHS)),
    FieldRule("day", int, ge=1, le=31),
    FieldRule("sched_dep_time", int, ge=0, le=2359, description=f"scheduled departure, {HHMM}"),
    FieldRule("sched_arr_time", int, ge=0, le=2359, description=f"scheduled arrival at dest, {HHMM}"),
]
WEATHER_RANGES = {
    "temp": (-60, 130, "°F"), "dewp": (-80, 100, "°F"), "humid": (0, 100, "%"),
    "wind_dir": (0, 360, "degrees"), "wind_speed": (0, MAX_WIND_SPEED_MPH, "mph"),
    "wind_gust": (0, 150, "mph"),
    "precip": (0, 10, "inches"), "pressure": (850, 1100, "millibars"), "visib": (0, 10, "miles"),
}  # fmt: skip
WEATHER_FIELDS = [
    FieldRule(name, float, required=False, ge=low, le=high, description=f"forecast at origin, {unit}")
    for name, (low, high, unit) in WEATHER_RANGES.items()
]
FIELDS = SCHEDULE_FIELDS + WEATHER_FIELDS
assert [f.name for f in WEATHER_FIELDS] == WEATHER_COLUMNS


def _annotation(rule: FieldRule) -> Any:
    constraints = Field(
        ge=rule.ge,
        le=rule.le,
        pattern=rule.pattern,
        description=rule.description,
        allow_inf_nan=False if rule.kind is float else None,  # NaN is "not finite", not "out of range"
    )
    kind = Annotated[rule.kind, constraints]
    return (kind, ...) if rule.required else (kind | None, None)


class _FlightChecks(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # "12" is not a month: JSON has numbers

    @field_validator("*", mode="before")
    @classmethod
    def _not_a_bool(cls, value: Any) -> Any:
        """JSON's true is not 1, though pydantic's lax mode would take it: the batch path refuses it too."""
        if isinstance(value, bool):
            raise ValueError(f"{str(value).lower()} is not a number or a code")
        return value

    @field_validator("sched_dep_time", "sched_arr_time", check_fields=False)
    @classmethod
    def _clock_time(cls, value: int) -> int:
        if value % 100 >= 60:
            raise ValueError(f"{value} is not an hhmm clock time (minutes must be below 60)")
        return value

    @model_validator(mode="after")
    def _real_date(self):
        try:
            date(self.year, self.month, self.day)
        except ValueError as error:
            raise ValueError(
                f"year/month/day {self.year}-{self.month}-{self.day} is not a date: {error}"
            ) from None
        return self


Flight = create_model("Flight", __base__=_FlightChecks, **{rule.name: _annotation(rule) for rule in FIELDS})


def batch_schema(carriers: list[str], origins: list[str]) -> pa.DataFrameSchema:
    """The same rules for a whole file, vectorised; `carriers` and `origins` are those the model knows."""
    columns = {}
    for rule in FIELDS:
        checks = []
        if rule.ge is not None:
            checks.append(Check.in_range(rule.ge, rule.le))
        if rule.pattern:
            checks.append(full_match(rule.pattern))
        if rule.name in ("sched_dep_time", "sched_arr_time"):
            checks.append(Check(lambda s: s % 100 < 60, name="hhmm_minutes_below_60"))
        if rule.name == "carrier":
            checks.append(Check.isin(carriers, name="carrier_known_to_model"))
        if rule.name == "origin":
            checks.append(Check.isin(origins, name="origin_known_to_model"))
        if rule.kind is int:  # read as a number first, so 1.5 is refused rather than truncated to 1
            checks.append(Check(lambda s: s % 1 == 0, name="whole_number"))
        dtype = {int: "float64", float: "float64", str: str}[rule.kind]
        columns[rule.name] = pa.Column(
            dtype, checks, nullable=not rule.required, required=rule.required, coerce=True
        )
    date_check = Check(
        lambda df: pd.to_datetime(df[["year", "month", "day"]], errors="coerce").notna(),
        name="year_month_day_is_a_date",
    )
    return pa.DataFrameSchema(columns, checks=[date_check], strict=False)


def as_request_types(flights: pd.DataFrame) -> pd.DataFrame:
    """Validated batch rows with the whole-number fields as integers again, as the HTTP path has them."""
    return flights.astype({rule.name: "int64" for rule in FIELDS if rule.kind is int})
