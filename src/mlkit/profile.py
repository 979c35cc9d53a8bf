"""Profile a table and write its rules as readable Python: the schema module a generated project edits.

The module written by `schema_code` holds two pandera schemas. `HARD` is what every row must satisfy
(types, whether a value may be missing, the target's two values): a breach stops the pipeline. `SOFT` is
what the profile observed (each number's range, each text column's categories): a value outside them is
a finding that is counted, never refused, since new data may widen it. The HTTP service and batch
scoring take their input fields from `HARD` (`field_rules`), so one table of rules serves every path.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from mlkit.fields import FieldRule

MAX_LEVELS = 50  # a text column with more distinct values is free text or an id: no category rule


@dataclass(frozen=True)
class ColumnProfile:
    """What one column looked like: its type (int, float or str), missing values, range or categories."""

    name: str
    kind: type
    missing: int
    low: float | None = None
    high: float | None = None
    categories: tuple[str, ...] | None = None


def kind_of(values: pd.Series) -> type:
    """int for whole numbers without a missing value, float for other numbers, str for anything else
    (a bool column is text: its values are categories)."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return str
    if pd.api.types.is_integer_dtype(values):
        return int
    return float


def profile(frame: pd.DataFrame, max_levels: int = MAX_LEVELS) -> list[ColumnProfile]:
    """One ColumnProfile per column, in the table's order."""
    found = []
    for name in frame.columns:
        values = frame[name]
        kind = kind_of(values)
        present = values.dropna()
        missing = int(values.isna().sum())
        if kind is str:
            levels = sorted(present.astype(str).unique().tolist())
            categories = tuple(levels) if len(levels) <= max_levels else None
            found.append(ColumnProfile(str(name), kind, missing, categories=categories))
        else:
            low = float(present.min()) if len(present) else None
            high = float(present.max()) if len(present) else None
            found.append(ColumnProfile(str(name), kind, missing, low, high))
    return found


def _number(value: float, kind: type) -> str:
    return repr(int(value)) if kind is int else repr(float(value))


def _hard_line(column: ColumnProfile, target: str, classes: Sequence[str]) -> str:
    kind = column.kind.__name__
    if column.name == target:  # rows without a target are dropped, counted, by the split
        check = f"pa.Check.isin({json.dumps(list(classes))})"
        return f"        {json.dumps(column.name)}: pa.Column(str, {check}, nullable=True, coerce=True),"
    nullable = column.missing > 0
    return f"        {json.dumps(column.name)}: pa.Column({kind}, nullable={nullable}, coerce=True),"


def _soft_line(column: ColumnProfile) -> str | None:
    if column.kind is str:
        if column.categories is None:
            return None
        check = f"pa.Check.isin({json.dumps(list(column.categories))})"
    elif column.low is None or column.high is None:
        return None
    else:
        check = f"pa.Check.in_range({_number(column.low, column.kind)}, {_number(column.high, column.kind)})"
    return f"        {json.dumps(column.name)}: pa.Column(checks={check}, nullable=True),"


def schema_code(
    columns: Sequence[ColumnProfile], source: str, rows: int, target: str, classes: Sequence[str]
) -> str:
    """The schema module's text: HARD and SOFT written out column by column, to be read and edited."""
    hard = "\n".join(_hard_line(c, target, classes) for c in columns)
    soft = "\n".join(line for c in columns if c.name != target and (line := _soft_line(c)))
    return f'''"""The data's rules, written by `make new` from a profile of {source} ({rows} rows): edit them.

HARD: every row must hold these types, and a value may be missing only where nullable=True; the target
holds one of its two values (a row without one is dropped by `split`, counted). A breach stops the
pipeline at `validate` with every broken rule listed. The HTTP service and `make predict` accept exactly
these fields (all but the target and the time column), with these types.

SOFT: the ranges and categories the profile observed. A value outside them is counted in
metrics/validate.json and shown in the report, never refused: widen them when new data is right, or
move a check into HARD when a breach must stop the pipeline.
"""

import pandera.pandas as pa

HARD = pa.DataFrameSchema(
    {{
{hard}
    }},
    strict=True,  # a new or renamed column stops the pipeline: add it here first
)

SOFT = pa.DataFrameSchema(
    {{
{soft}
    }},
)
'''


def field_rules(schema: pa.DataFrameSchema, leave_out: Sequence[str]) -> list[FieldRule]:
    """The input fields of a request or a batch file, from the HARD schema: each column but `leave_out`
    (the target, the time column), its type, required unless nullable."""
    kinds = {"int64": int, "float64": float}
    rules = []
    for name, column in schema.columns.items():
        if name in leave_out:
            continue
        kind = kinds.get(str(column.dtype), str)
        rules.append(FieldRule(name, kind, required=not column.nullable))
    return rules
