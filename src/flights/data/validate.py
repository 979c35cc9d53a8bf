"""Data-quality assessment of the raw tables: hard rules, soft findings, missing values, join coverage."""

import pandas as pd

from flights.data.tables import HARD, SOFT, TABLES
from mlkit.config import is_positive, require
from mlkit.report import counts_text
from mlkit.validation import DataError, enforce, join_coverage, missing_values, violations

# Each join of `prepare`: (left table, right table, left keys, right keys).
JOINS = {
    "weather": ("flights", "weather", ["origin", "time_hour"], ["origin", "time_hour"]),
    "planes": ("flights", "planes", ["tailnum"], ["tailnum"]),
    "airlines": ("flights", "airlines", ["carrier"], ["carrier"]),
    "origin_airports": ("flights", "airports", ["origin"], ["faa"]),
    "dest_airports": ("flights", "airports", ["dest"], ["faa"]),
}


def coverage(tables: dict[str, pd.DataFrame]) -> dict[str, dict]:
    """Share of flights that find their row in each joined table (a missing tailnum counts as a miss)."""
    result = {}
    for name, (left, right, left_on, right_on) in JOINS.items():
        keys = tables[left][left_on].copy()
        reference = tables[right][right_on].set_axis(left_on, axis=1)
        result[name] = join_coverage(keys, reference, left_on)
    return result


def check_coverage(found: dict[str, dict], minimum: dict[str, float]) -> None:
    """Coverage below its floor in params is a hard failure: the joins would silently gut a feature."""
    require(
        set(minimum) <= set(JOINS),
        "validate.min_join_coverage",
        sorted(minimum),
        f"keys among {sorted(JOINS)}",
    )
    for name, floor in minimum.items():
        share = is_positive(floor, allow_zero=True) and floor <= 1
        require(share, f"validate.min_join_coverage.{name}", floor, "a share between 0 and 1")
    low = [
        f"join '{name}': coverage {found[name]['coverage']:.4f} < {floor} ({found[name]['unmatched']} "
        f"unmatched rows, most often {counts_text(found[name]['top_unmatched'])})"
        for name, floor in sorted(minimum.items())
        if found[name]["coverage"] < floor
    ]
    if low:
        raise DataError("join coverage below validate.min_join_coverage:\n  - " + "\n  - ".join(low))


def assess(tables: dict[str, pd.DataFrame], min_join_coverage: dict[str, float]) -> dict:
    """Enforce the hard rules (raising DataError) and return the soft findings for data_quality.json."""
    missing = sorted(set(TABLES) - set(tables))
    if missing:
        raise DataError(f"raw tables missing: {missing}")
    empty = [table for table in TABLES if tables[table].empty]
    if empty:  # every rule and coverage would pass vacuously
        hint = "check data.months, data.sample_fraction and the source"
        raise DataError(f"raw tables without rows: {empty}; {hint}")
    for table in TABLES:
        enforce(tables[table], HARD[table], table)
    found = coverage(tables)
    check_coverage(found, min_join_coverage)
    return {
        "rows": {table: len(tables[table]) for table in TABLES},
        "missing_values": {table: missing_values(tables[table]) for table in TABLES},
        "soft_rule_violations": {
            table: [v.as_dict() for v in violations(tables[table], schema, table)]
            for table, schema in SOFT.items()
        },
        "join_coverage": found,
    }
