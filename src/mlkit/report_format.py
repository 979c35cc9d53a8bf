"""How the report shows a value: readable names for keys, numbers as a reader expects them, tables as HTML.

Kept apart from the page that `mlkit.report` lays out because a value reads the same wherever a reader
meets it: in the report's tables and in a stage's messages (a failed join-coverage check lists its
misses with `counts_text`).
"""

import html
import math
import numbers
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

Kind = Literal["auto", "count", "share", "number", "signed", "text"]


METRIC_LABELS = {
    "roc_auc": "ROC AUC",
    "average_precision": "average precision",
    "log_loss": "log loss",
    "brier": "Brier score",
    "f1": "F1",
}


class Labels:
    """Readable names for keys (`mean_probability` -> "mean probability"), kept in one place by a
    domain; the metrics' names come with it, and a key without a label shows with its underscores as
    spaces."""

    def __init__(self, names: Mapping[str, str] | None = None) -> None:
        self.names = {**METRIC_LABELS, **(names or {})}

    def __call__(self, key: object) -> str:
        text = str(key)
        return self.names.get(text, text.replace("_", " "))


PLAIN = Labels()


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _is_missing(value: object) -> bool:
    return value is None or (_is_number(value) and math.isnan(float(value)))  # type: ignore[arg-type]


def format_count(value: float) -> str:
    """A whole number with thousands separators: 6000.0 -> "6,000"."""
    return f"{round(value):,}"


def format_share(value: float, digits: int = 1) -> str:
    """A share as a percentage: 0.2658 -> "26.6%"."""
    return f"{value:.{digits}%}"


def format_number(value: float, digits: int = 4, fixed: bool = True) -> str:
    """A measured value: whole numbers as counts, others with `digits` decimals (fixed, for a column
    that lines up, or with trailing zeros dropped: 0.1 not 0.1000), and 3 significant figures for a
    tiny value, so 0.0000123 does not become 0.0000."""
    value = float(value)
    if value.is_integer():
        return format_count(value)
    if abs(value) < 10**-digits:
        return f"{value:.3g}"
    text = f"{value:,.{digits}f}"
    return text if fixed else text.rstrip("0")


def format_signed(value: float, digits: int = 4) -> str:
    """A difference, with its sign always shown: +0.1154, -0.0591."""
    return f"{value:+.{digits}f}"


def format_value(value: object, kind: Kind = "auto", labels: Labels = PLAIN) -> str:
    """Any value as a reader should see it: yes/no for booleans, counts with separators and no `.0`,
    shares as percentages (`kind="share"`), lists joined by commas, a mapping as "name value" pairs
    with readable names, a dash for a missing value."""
    if _is_missing(value):
        return "-"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ", ".join(f"{labels(key)} {format_value(item, labels=labels)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(format_value(item, labels=labels) for item in value) or "none"
    if not _is_number(value) or kind == "text":
        return str(value)
    number = float(value)  # type: ignore[arg-type]
    if kind == "share":
        return format_share(number)
    if kind == "signed":
        return format_signed(number)
    if kind == "count" or isinstance(value, numbers.Integral):
        return format_count(number)
    return format_number(number, fixed=kind == "number")


def counts_text(pairs: list) -> str:
    """`[key, count]` pairs, the form rankings take in JSON (whose keys `write_json` sorts), as
    "key (count), key (count)"."""
    return ", ".join(f"{key} ({format_count(count)})" for key, count in pairs)


def _column_kind(column: pd.Series, kind: Kind) -> Kind:
    """A column of whole numbers stored as floats (a count column with a gap) is a count column."""
    if kind != "auto":
        return kind
    if column.dtype.kind in "iu":
        return "count"
    values = column.dropna()
    floats = [v for v in values if _is_number(v)]
    if column.dtype.kind == "f" and floats and all(float(v).is_integer() for v in floats):
        return "count"
    return "number" if column.dtype.kind == "f" else "auto"


def table_html(table: pd.DataFrame, kinds: Mapping[str, Kind] | None = None, labels: Labels = PLAIN) -> str:
    """A table with readable headers and formatted cells; numbers right-aligned. `kinds` says how a
    column reads (count, share, number, signed, text) where its type alone does not tell."""
    kinds = kinds or {}
    columns = {name: _column_kind(table[name], kinds.get(name, "auto")) for name in table.columns}
    numeric = {
        name: table[name].dtype.kind in "iuf" or kind in ("count", "share", "number", "signed")
        for name, kind in columns.items()
    }

    def cell(tag: str, text: str, name: str) -> str:
        css = ' class="num"' if numeric[name] else ""
        return f"<{tag}{css}>{html.escape(text)}</{tag}>"

    head = "".join(cell("th", labels(name), name) for name in table.columns)
    rows = "".join(
        "<tr>"
        + "".join(
            cell("td", format_value(value, columns[name], labels), name)
            for name, value in zip(table.columns, row, strict=True)
        )
        + "</tr>"
        for row in table.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
