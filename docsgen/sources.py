"""The committed files the figures read, and how a figure formats numbers and tables."""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
# the metrics of the results tables, in order; evaluate.json may hold more
METRIC_LABELS = {
    "roc_auc": "ROC AUC",
    "average_precision": "average precision",
    "log_loss": "log loss",
    "brier": "Brier",
    "f1": "F1",
}
LOWER_IS_BETTER = {"log_loss", "brier"}


class FigureError(Exception):
    """A marker names no figure, or a source file lacks what a figure needs."""


# ---------------------------------------------------------------------------------------------- sources
@dataclass
class Sources:
    """The committed files, read once and only when a figure needs them."""

    root: Path = ROOT
    _cache: dict = field(default_factory=dict)

    def json(self, relative: str) -> dict:
        if relative not in self._cache:
            path = self.root / relative
            if not path.exists():
                raise FigureError(f"{relative} is missing: it is a committed file that the docs read")
            self._cache[relative] = json.loads(path.read_text())
        return self._cache[relative]

    def csv(self, relative: str) -> list[dict[str, str]]:
        if relative not in self._cache:
            path = self.root / relative
            if not path.exists():
                raise FigureError(f"{relative} is missing: it is a committed file that the docs read")
            with path.open(newline="") as handle:
                self._cache[relative] = list(csv.DictReader(handle))
        return self._cache[relative]

    @cached_property
    def params(self) -> dict:
        return yaml.safe_load((self.root / "params.yaml").read_text())

    @property
    def evaluate(self) -> dict:
        return self.json("metrics/evaluate.json")

    @property
    def quality(self) -> dict:
        return self.json("metrics/data_quality.json")


# ------------------------------------------------------------------------------------------- formatting
def count(value: float) -> str:
    return f"{int(value):,}"


def share(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%"


def metric(value: float | None, digits: int = 4) -> str:
    return (
        "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"
    )


def signed(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:+.{digits}f}"


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def months(numbers: list[int]) -> str:
    """`[1, ..., 9]` as "January-September"; gaps are listed."""
    numbers = sorted(numbers)
    if not numbers:
        return "none"
    if numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 2:
        return f"{MONTHS[numbers[0] - 1]}-{MONTHS[numbers[-1] - 1]}"
    names = [MONTHS[n - 1] for n in numbers]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def miss(key: str) -> str:
    """A join's unmatched key as a reader wants it: `EWR|2013-12-31 11:00:00+00:00` becomes
    `EWR 2013-12-31 11:00 UTC`, a blank tail number `(blank)`."""
    found = re.fullmatch(r"(\w+)\|(\d{4}-\d\d-\d\d \d\d:\d\d):00\+00:00", key)
    if found:
        return f"{found[1]} {found[2]} UTC"
    return "(blank)" if key == "<missing>" else key


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no column break, no raw HTML."""
    return text.replace("|", " at ").replace("<", "&lt;").replace(">", "&gt;")


def table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> str:
    """A Markdown table; `align` holds "l" or "r" per column (numbers right)."""
    align = align or ["l"] * len(header)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def param(params: dict, dotted: str) -> object:
    """The value of `params` at `train.hgb.max_iter`, or None."""
    value: object = params
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
