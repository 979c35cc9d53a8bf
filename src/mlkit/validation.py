"""Data validation with pandera: hard rules stop the pipeline with a clear message, soft ones are counted."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera import Check
from pandera.errors import SchemaErrors

from mlkit.errors import DataError

EXAMPLES = 5


@dataclass(frozen=True)
class Violation:
    table: str
    column: str
    rule: str
    failing_rows: int
    examples: list

    def describe(self) -> str:
        return (
            f"table '{self.table}', column '{self.column}', rule {self.rule}: "
            f"{self.failing_rows} failing row(s), e.g. {self.examples}"
        )

    def as_dict(self) -> dict:
        return {
            "column": self.column,
            "rule": self.rule,
            "failing_rows": self.failing_rows,
            "examples": self.examples,
        }


def _example(value: Any) -> object:
    if hasattr(value, "item"):
        value = value.item()
    return value if isinstance(value, int | float | str | bool) or value is None else str(value)


def full_match(pattern: str) -> Check:
    """pandera's `str_matches`, but of the whole value: `re.match`'s `$` also matches before a final
    newline, so "UA\\n" would pass `^[A-Z0-9]{2}$`. A column repeats its codes, so each distinct value is
    matched once."""

    def matches(values: pd.Series) -> pd.Series:
        distinct = values.drop_duplicates()
        return values.isin(distinct[distinct.str.fullmatch(pattern).fillna(False).astype(bool)])

    return Check(matches, name=f"str_matches('{pattern}')")


def violations(frame: pd.DataFrame, schema: pa.DataFrameSchema, table: str) -> list[Violation]:
    """Every rule of `schema` that `frame` breaks, one entry per column and rule, in a stable order."""
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as errors:
        return _grouped(errors, table)
    return []


def _grouped(errors: SchemaErrors, table: str) -> list[Violation]:
    cases = errors.failure_cases.copy()
    cases["column"] = cases["column"].fillna("<table>").astype(str)
    cases["check"] = cases["check"].astype(str)
    found = []
    for (column, rule), group in cases.groupby(["column", "check"], sort=True):
        rows = group["index"].dropna().nunique() if group["index"].notna().any() else len(group)
        examples = [_example(v) for v in group["failure_case"].drop_duplicates().head(EXAMPLES)]
        found.append(Violation(table, column, rule, int(rows), examples))
    return found


def enforce(frame: pd.DataFrame, schema: pa.DataFrameSchema, table: str) -> pd.DataFrame:
    """Validate (and coerce) `frame`; raise one DataError that lists every broken rule."""
    try:
        return schema.validate(frame, lazy=True)
    except SchemaErrors as errors:
        raise broken_rules(_grouped(errors, table), table) from None


def broken_rules(broken: list[Violation], table: str) -> DataError:
    """One DataError that lists every broken hard rule of `table`."""
    lines = "\n  - ".join(v.describe() for v in broken)
    return DataError(f"{len(broken)} hard rule(s) broken in table '{table}':\n  - {lines}")


def merged(parts: list[list[Violation]]) -> list[Violation]:
    """The violations of a table from those of its parts: failing rows added up, the first examples of
    the parts in their order; one part's are its own."""
    found: dict[tuple[str, str], list[Violation]] = {}
    for part in parts:
        for violation in part:
            found.setdefault((violation.column, violation.rule), []).append(violation)
    result = []
    for (column, rule), seen in sorted(found.items()):
        examples = pd.Series(
            [e for v in seen for e in v.examples], dtype=object
        ).drop_duplicates()  # NaN once
        result.append(
            Violation(
                seen[0].table,
                column,
                rule,
                sum(v.failing_rows for v in seen),
                examples.head(EXAMPLES).tolist(),
            )
        )
    return result


def read_csv(path: Path, table: str, **options: Any) -> pd.DataFrame:
    """Read a CSV, turning an absent, empty or unreadable file into a DataError that names it."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"table '{table}': source file {path} does not exist")
    try:
        frame = pd.read_csv(path, **options)
    except pd.errors.EmptyDataError as error:
        raise DataError(f"table '{table}': source file {path} is empty") from error
    except Exception as error:  # a corrupt archive or encoding; pandas raises many types
        raise DataError(f"table '{table}': cannot read {path}: {error}") from error
    if frame.empty:
        raise DataError(f"table '{table}': source file {path} has a header but no rows")
    return frame


def unmatched_keys(keys: pd.DataFrame, reference: pd.DataFrame, on: list[str]) -> pd.Series:
    """How often each key of `keys` (its columns `on`, joined by |) has no match in `reference`; a
    missing value reads <missing>. The counts of a table's parts add up to the table's."""
    matched = keys[on].merge(reference[on].drop_duplicates(), on=on, how="left", indicator=True)
    missing = matched.loc[matched["_merge"] == "left_only", on]
    text = [missing[c].astype("object").fillna("<missing>").astype(str) for c in on]
    # pandas-stubs types `others` as a list of strings; pandas takes a list of Series too
    labels = text[0].str.cat(text[1:], sep="|") if len(text) > 1 else text[0]  # type: ignore[arg-type]
    return labels.value_counts()


def coverage_summary(rows: int, unmatched: pd.Series) -> dict:
    """The coverage of `rows` rows whose unmatched keys are counted in `unmatched` (`unmatched_keys`),
    with the most frequent misses."""
    top = unmatched.sort_index().sort_values(ascending=False, kind="stable").head(EXAMPLES)
    misses = int(unmatched.sum())
    return {
        "rows": rows,
        "matched": rows - misses,
        "unmatched": misses,
        "coverage": (rows - misses) / rows if rows else float("nan"),
        # [key, count] pairs, not a mapping: a JSON writer that sorts keys would lose the ranking
        "top_unmatched": [[key, int(count)] for key, count in top.items()],
    }


def join_coverage(keys: pd.DataFrame, reference: pd.DataFrame, on: list[str]) -> dict:
    """How many rows of `keys` find a match in `reference` on the columns `on`, with the top misses."""
    return coverage_summary(len(keys), unmatched_keys(keys, reference, on))


def missing_values(frame: pd.DataFrame) -> dict[str, int]:
    """Missing values per column, only the columns that have some."""
    counts = frame.isna().sum()
    return {str(column): int(n) for column, n in counts.items() if n}


def _reasons(cases: pd.DataFrame) -> pd.Series:
    """One text per failing row: 'column: check (got value)', joined, and 'row: check' once for a rule
    of the whole row (pandera reports it against every column); map(str) keeps a missing value as 'nan'
    (pandas 3's astype(str) keeps it missing, and joining it fails)."""
    text = (
        cases["column"].astype("object").fillna("<row>").map(str) + ": " + cases["check"].map(str)
        + " (got " + cases["failure_case"].map(str) + ")"
    )  # fmt: skip
    text = text.where(cases["schema_context"] != "DataFrameSchema", "row: " + cases["check"].map(str))
    return text.groupby(cases["index"].astype("int64")).agg(lambda t: "; ".join(sorted(set(t))))


def quarantine(
    frame: pd.DataFrame, schema: pa.DataFrameSchema, table: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(valid rows coerced to the schema, rejected rows with a `reason` column).

    Rows are judged one by one; only a problem of the whole table (such as a missing column) raises.
    """
    try:
        return schema.validate(frame, lazy=True), frame.iloc[:0].assign(reason=pd.Series(dtype="str"))
    except SchemaErrors as errors:
        cases = errors.failure_cases
    uncoerced = cases["index"].notna() & cases["check"].map(str).str.startswith("coerce_dtype")
    if uncoerced.any():  # a value of the wrong type: reject its row, then judge the others on their own
        first = _reasons(cases[uncoerced])
        valid, rejected = quarantine(frame.drop(index=first.index), schema, table)
        first_rows = frame.loc[first.index].assign(reason=first.to_numpy())
        return valid, pd.concat([first_rows, rejected]).sort_index()
    whole = cases[cases["index"].isna()]
    absent = whole.loc[whole["check"] == "column_in_dataframe", "failure_case"].map(str).tolist()
    if absent:  # the checks of the whole row would only repeat it, as KeyErrors
        raise DataError(f"table '{table}' cannot be scored: it lacks the required columns {absent}")
    if len(whole):
        found = "; ".join(
            f"column '{c}': {k} {v}"
            for c, k, v in whole[["column", "check", "failure_case"]].itertuples(index=False)
        )
        raise DataError(f"table '{table}' cannot be scored: {found}")
    reasons = _reasons(cases)
    rejected = frame.loc[reasons.index].assign(reason=reasons.to_numpy())
    valid = schema.validate(frame.drop(index=reasons.index))
    return valid, rejected
