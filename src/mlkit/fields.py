"""One table of input fields, turned into every form a rule takes: a pandera column for a raw table, a
pandera schema for a batch file, and (mlkit.records) a pydantic model for an HTTP request, and so its
OpenAPI document.

A `FieldRule` holds a field's type, range, pattern and any `ValueCheck` (a rule the three forms cannot
express by keyword, such as hhmm minutes below 60); a `RowCheck` is a rule across fields (a real date).
Each check carries its vectorised form, its one-value form and its JSON Schema, so that the OpenAPI
document states what the service accepts and a schema-valid request is not refused.

The rule for names outside the table is the same for files and requests: a near miss of a field
(`near_misses`: difflib's ratio of the lower-cased names >= NEAR_MISS, or two neighbouring characters
swapped) is refused naming both spellings; a request refuses any
other unknown name, a file carries it through; names listed as `ignored` are accepted and not used.
"""

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera import Check

from mlkit.errors import DataError
from mlkit.validation import full_match

NEAR_MISS = 0.8  # difflib.SequenceMatcher ratio from which an unknown name is taken for a misspelling


@dataclass(frozen=True)
class ValueCheck:
    """A rule on one value: `holds` takes a value or a Series (vectorised), `message` a {value}."""

    name: str
    holds: Callable[[Any], Any]
    message: str
    json_schema: Mapping[str, Any]


@dataclass(frozen=True)
class RowCheck:
    """A rule across fields: `holds` on a frame (one bool per row), `record` on one dict (an error
    message or None), `json_schema` the same rule as keywords of the record's object schema."""

    name: str
    holds: Callable[[pd.DataFrame], pd.Series]
    record: Callable[[Mapping[str, Any]], str | None]
    json_schema: Mapping[str, Any]


@dataclass(frozen=True)
class FieldRule:
    name: str
    kind: type  # int, float or str
    required: bool = True
    ge: float | None = None
    le: float | None = None
    pattern: str | None = None
    description: str = ""
    checks: tuple[ValueCheck, ...] = field(default=())


def hhmm_clock() -> ValueCheck:
    """A clock time written as an hhmm integer: minutes below 60 (the range is the rule's ge/le)."""
    hours = [{"minimum": 100 * hour, "maximum": 100 * hour + 59} for hour in range(24)]
    return ValueCheck(
        "hhmm_minutes_below_60",
        lambda value: value % 100 < 60,
        "{value} is not an hhmm clock time (minutes must be below 60)",
        {"anyOf": hours},
    )


def _is_date(year: Any, month: Any, day: Any) -> bool:
    try:
        date(year, month, day)
    except (TypeError, ValueError):
        return False
    return True


def calendar_date(year: FieldRule, month: str, day: str) -> RowCheck:
    """The fields `year`, `month` and `day` name a real date; `year`'s range bounds the leap years that
    the JSON Schema lists (29 February)."""
    low, high = int(year.ge if year.ge is not None else 1), int(year.le if year.le is not None else 9999)
    leap = [y for y in range(low, high + 1) if _is_date(y, 2, 29)]
    long_months = [1, 3, 5, 7, 8, 10, 12]
    branches = [
        {"properties": {day: {"maximum": 28}}},
        {"properties": {month: {"enum": [m for m in range(1, 13) if m != 2]}, day: {"maximum": 30}}},
        {"properties": {month: {"enum": long_months}}},
        {"properties": {year.name: {"enum": leap}, month: {"const": 2}, day: {"const": 29}}},
    ]

    def record(values: Mapping[str, Any]) -> str | None:
        parts = values[year.name], values[month], values[day]
        if _is_date(*parts):
            return None
        return f"{year.name}/{month}/{day} {parts[0]}-{parts[1]}-{parts[2]} is not a date"

    def holds(frame: pd.DataFrame) -> pd.Series:
        parts = frame[[year.name, month, day]].set_axis(["year", "month", "day"], axis=1)
        return pd.to_datetime(parts, errors="coerce").notna()

    return RowCheck(f"{year.name}_{month}_{day}_is_a_date", holds, record, {"anyOf": branches})


# --- pandera: the raw table and the batch file --------------------------------------------------------


def value_checks(rule: FieldRule, choices: Sequence[str] | None = None) -> list[Check]:
    """The rule's checks of one value, as pandera Checks (whole numbers are the caller's dtype)."""
    checks = []
    if rule.ge is not None or rule.le is not None:
        low = rule.ge if rule.ge is not None else float("-inf")
        high = rule.le if rule.le is not None else float("inf")
        checks.append(Check.in_range(low, high))
    if rule.pattern:
        checks.append(full_match(rule.pattern))
    if choices is not None:
        checks.append(Check.isin(list(choices)))  # its failure names the values allowed
    checks += [Check(c.holds, element_wise=False, name=c.name) for c in rule.checks]
    return checks


def raw_column(rule: FieldRule) -> pa.Column:
    """The field in a raw table: typed on ingestion (whole numbers as int64), the same checks."""
    dtype = {int: "int64", float: "float64", str: str}[rule.kind]
    return pa.Column(dtype, value_checks(rule), nullable=not rule.required, coerce=True)


def _whole(values: pd.Series) -> pd.Series:
    return values % 1 == 0


def batch_schema(
    rules: Sequence[FieldRule],
    choices: Mapping[str, Sequence[str]] | None = None,
    row_checks: Sequence[RowCheck] = (),
) -> pa.DataFrameSchema:
    """The rules for a whole file, vectorised, with `choices` (name -> allowed values) as isin checks.
    Whole numbers are read as numbers first, so that 1.5 is refused rather than truncated to 1."""
    choices = choices or {}
    columns = {}
    for rule in rules:
        checks = value_checks(rule, choices.get(rule.name))
        if rule.kind is int:
            checks.append(Check(_whole, name="whole_number"))
        dtype = {int: "float64", float: "float64", str: str}[rule.kind]
        columns[rule.name] = pa.Column(
            dtype, checks, nullable=not rule.required, required=rule.required, coerce=True
        )
    frame_checks = [Check(c.holds, name=c.name) for c in row_checks]
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=False)


def as_rule_types(frame: pd.DataFrame, rules: Sequence[FieldRule]) -> pd.DataFrame:
    """Validated batch rows with the whole-number fields as integers again, as a request has them."""
    return frame.astype({rule.name: "int64" for rule in rules if rule.kind is int and rule.name in frame})


# --- names outside the table: one rule for files and requests ---------------------------------------


def _swapped_neighbours(name: str, expected: str) -> bool:
    """`name` is `expected` with two neighbouring characters swapped (tmep for temp)."""
    if len(name) != len(expected) or name == expected:
        return False
    differ = [i for i, (a, b) in enumerate(zip(name, expected, strict=True)) if a != b]
    return len(differ) == 2 and differ[1] == differ[0] + 1 and name[differ[0]] == expected[differ[1]] \
        and name[differ[1]] == expected[differ[0]]  # fmt: skip


def similarity(name: str, expected: str) -> float:
    """difflib's ratio of the two names in lower case; two swapped neighbours count as NEAR_MISS at
    least, since the ratio scores them low on a short name (tmep against temp: 0.75)."""
    name, expected = name.lower(), expected.lower()
    ratio = difflib.SequenceMatcher(None, name, expected).ratio()
    return max(ratio, NEAR_MISS) if _swapped_neighbours(name, expected) else ratio


def near_misses(names: Iterable[str], expected: Iterable[str], known: Iterable[str] = ()) -> dict[str, str]:
    """{unknown name: the expected field it nearly spells}, for names neither expected nor `known` whose
    `similarity` to an expected field is at least NEAR_MISS (the closest one)."""
    expected = list(expected)
    known_names = set(expected) | set(known)
    found = {}
    for name in names:
        if not isinstance(name, str) or name in known_names:
            continue
        scores = {field: similarity(name, field) for field in expected}
        best = max(scores, key=scores.__getitem__, default=None)
        if best is not None and scores[best] >= NEAR_MISS:
            found[name] = best
    return found


def near_miss_message(misses: Mapping[str, str]) -> str:
    return "; ".join(f"unknown field {given!r}: did you mean {meant!r}?" for given, meant in misses.items())


def refuse_near_misses(
    columns: Iterable[str], expected: Iterable[str], table: str, known: Iterable[str] = ()
) -> None:
    """A file whose column nearly spells an expected field is refused as a whole (scoring it would
    treat the field as missing in every row), naming both spellings; `known` names are not misses."""
    misses = near_misses(columns, expected, known)
    if misses:
        raise DataError(f"table '{table}' cannot be scored: {near_miss_message(misses)}")
