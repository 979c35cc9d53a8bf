"""Data-quality assessment of the raw tables: hard rules, soft findings, missing values, join coverage."""

from collections import Counter
from collections.abc import Iterable

import pandas as pd

from flights.data.tables import HARD, SOFT, TABLES
from mlkit.config import is_positive, require
from mlkit.report_format import counts_text
from mlkit.validation import (
    DataError,
    broken_rules,
    coverage_summary,
    enforce,
    merged,
    missing_values,
    unmatched_keys,
    violations,
)

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
    return {
        name: coverage_summary(len(tables["flights"]), misses) for name, misses in unmatched(tables).items()
    }


def unmatched(tables: dict[str, pd.DataFrame]) -> dict[str, pd.Series]:
    """Each join's unmatched flight keys, counted (`mlkit.validation.unmatched_keys`): the flights may be
    a part of the table; the counts of the parts add up."""
    result = {}
    for name, (left, right, left_on, right_on) in JOINS.items():
        reference = tables[right][right_on].set_axis(left_on, axis=1)
        result[name] = unmatched_keys(tables[left][left_on], reference, left_on)
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


def assess(
    tables: dict[str, pd.DataFrame],
    min_join_coverage: dict[str, float],
    flights: Iterable[pd.DataFrame] | None = None,
) -> dict:
    """Enforce the hard rules (raising DataError) and return the soft findings for data_quality.json.
    `flights`, when given, are the flights table's parts, whole months (its key holds the month, so a
    duplicate never spans two parts), read one at a time; otherwise `tables["flights"]` is the table."""
    absent = sorted(set(TABLES) - set(tables) - ({"flights"} if flights is not None else set()))
    if absent:
        raise DataError(f"raw tables missing: {absent}")
    reference = {table: tables[table] for table in TABLES if table != "flights"}
    rows, hard, soft, missing = 0, [], [], Counter()
    misses: dict[str, list[pd.Series]] = {name: [] for name in JOINS}
    for part in [tables["flights"]] if flights is None else flights:
        rows += len(part)
        hard.append(violations(part, HARD["flights"], "flights"))
        soft.append(violations(part, SOFT["flights"], "flights"))
        missing.update(missing_values(part))
        for name, counts in unmatched({**reference, "flights": part}).items():
            misses[name].append(counts)
    empty = ["flights"] * (rows == 0) + [table for table in reference if reference[table].empty]
    if empty:  # every rule and coverage would pass vacuously
        hint = "check data.months, data.sample_fraction and the source"
        raise DataError(f"raw tables without rows: {empty}; {hint}")
    if broken := merged(hard):
        raise broken_rules(broken, "flights")
    for table, frame in reference.items():
        enforce(frame, HARD[table], table)
    found = {
        name: coverage_summary(rows, pd.concat(counts).groupby(level=0).sum())
        for name, counts in misses.items()
    }
    check_coverage(found, min_join_coverage)
    return {
        "rows": {"flights": rows} | {table: len(frame) for table, frame in reference.items()},
        "missing_values": {"flights": dict(missing)} | {t: missing_values(f) for t, f in reference.items()},
        "soft_rule_violations": {
            "flights": [v.as_dict() for v in merged(soft)],
            **{
                table: [v.as_dict() for v in violations(reference[table], schema, table)]
                for table, schema in SOFT.items()
                if table != "flights"
            },
        },
        "join_coverage": found,
    }
