"""A self-contained HTML report: images embedded as data URIs, no script, no network needed to view it.

A domain builds it from its own texts: a `Headline` (a verdict sentence and a few `KeyFigure`s, the
first screen a reader sees), then `Section`s of text, tables, key-value lists and figures, and calls
`render`. Every value shown goes through `format_value` and every key through `Labels`, so a reader
sees "mean probability" and "1,234", never `mean_probability`, `1234.0`, `True` or a raw dict.
"""

import base64
import html
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from mlkit.metrics import METRICS

Kind = Literal["auto", "count", "share", "number", "signed", "text"]
Tone = Literal["good", "bad", "neutral"]

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 1.5em auto; padding: 0 1em;
  color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } .subtitle { color: #555; margin-top: 0; }
h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
.headline { background: #f3f6fb; border: 1px solid #d5deec; border-radius: 6px; padding: 0.8em 1.2em; }
.verdict { font-size: 1.15em; margin: 0.3em 0 0.8em; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(185px, 1fr)); gap: 0.8em; }
.card { background: #fff; border: 1px solid #d5deec; border-left: 5px solid #8c9bb5; border-radius: 4px;
  padding: 0.5em 0.8em; }
.card.good { border-left-color: #2e8b57; } .card.bad { border-left-color: #c44e52; }
.card .label { color: #555; font-size: 0.85em; } .card .value { font-size: 1.35em; font-weight: 600; }
.card .detail { color: #444; font-size: 0.85em; }
nav { margin: 0.8em 0; font-size: 0.9em; color: #555; } nav a { color: #2a5caa; margin-right: 0.9em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f5f9; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; } .figures img { max-width: 520px; width: 100%; }
figure { margin: 0; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 0.6em 1em; }
"""


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


@dataclass
class Section:
    """A titled part of the report; its body is built from the add_* methods, in order. `labels` names
    the keys of its tables and mappings."""

    title: str
    parts: list[str] = field(default_factory=list)
    labels: Labels = PLAIN

    def add_text(self, text: str, note: bool = False) -> "Section":
        css = ' class="note"' if note else ""
        self.parts.append(f"<p{css}>{html.escape(text)}</p>")
        return self

    def add_table(self, table: pd.DataFrame, kinds: Mapping[str, Kind] | None = None) -> "Section":
        self.parts.append(table_html(table, kinds, self.labels))
        return self

    def add_mapping(
        self,
        mapping: Mapping,
        kinds: Mapping[str, Kind] | None = None,
        key: str = "item",
        value: str = "value",
    ) -> "Section":
        """Key-value rows, each value formatted on its own (a count stays a count beside a rate); `kinds`
        by key, e.g. `{"flagged_share": "share"}`."""
        kinds = kinds or {}
        rows = [
            (self.labels(name), format_value(item, kinds.get(name, "auto"), self.labels))
            for name, item in mapping.items()
        ]
        table = pd.DataFrame(rows, columns=[key, value], dtype="object")
        self.parts.append(table_html(table, {key: "text", value: "text"}, self.labels))
        return self

    def add_images(self, images: list[Path]) -> "Section":
        tags = "".join(_image_tag(path) for path in images)
        self.parts.append(f'<div class="figures">{tags}</div>')
        return self


@dataclass(frozen=True)
class KeyFigure:
    """One number of the headline: what it is, its value, one line of context, and whether it is good
    news, bad news or neither (a coloured edge)."""

    label: str
    value: str
    detail: str = ""
    tone: Tone = "neutral"


@dataclass(frozen=True)
class Headline:
    """The report's first screen: one verdict sentence and the key figures behind it."""

    verdict: str
    figures: list[KeyFigure]


def _headline_html(headline: Headline) -> str:
    cards = "".join(
        f'<div class="card {f.tone}"><div class="label">{html.escape(f.label)}</div>'
        f'<div class="value">{html.escape(f.value)}</div>'
        f'<div class="detail">{html.escape(f.detail)}</div></div>'
        for f in headline.figures
    )
    return (
        f'<section class="headline" id="headline"><p class="verdict">{html.escape(headline.verdict)}</p>'
        f'<div class="cards">{cards}</div></section>'
    )


def _image_tag(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    alt = html.escape(Path(path).stem.replace("_", " "))
    return f'<figure><img alt="{alt}" src="data:image/png;base64,{data}"></figure>'


def render(title: str, sections: list[Section], headline: Headline | None = None, subtitle: str = "") -> str:
    """The whole page as one string (deterministic: no dates, no paths, no randomness): the title, the
    headline, a one-line list of the sections, then the sections."""
    body = "".join(
        f'<section><h2 id="s{i}">{html.escape(s.title)}</h2>{"".join(s.parts)}</section>'
        for i, s in enumerate(sections)
    )
    links = "".join(f'<a href="#s{i}">{html.escape(s.title)}</a>' for i, s in enumerate(sections))
    sub = f'<p class="subtitle">{html.escape(subtitle)}</p>' if subtitle else ""
    top = _headline_html(headline) if headline else ""
    nav = f"<nav>In this report: {links}</nav>"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{sub}{top}{nav}{body}</body></html>\n"
    )


def lift_figure(evaluate: Mapping, metric: str, interval: Mapping | None, level: float = 0.95) -> KeyFigure:
    """The headline's model-against-baseline figure for `metric`, from an evaluation's `model`,
    `baseline` and `lift` sections and the lift's bootstrap interval (`low`, `high`) when there is one:
    good news when the whole interval says the model is better, bad when it says worse."""
    name = METRIC_LABELS.get(metric, metric)
    model, baseline = (format_number(evaluate[name][metric], 3) for name in ("model", "baseline"))
    detail = f"model {model}, baseline {baseline}"
    tone: Tone = "neutral"
    if interval:
        low, high = interval["low"], interval["high"]
        detail = f"{level:.0%} interval {format_signed(low, 3)} to {format_signed(high, 3)}; {detail}"
        better = low > 0 if METRICS[metric] == "higher" else high < 0
        worse = high < 0 if METRICS[metric] == "higher" else low > 0
        tone = "good" if better else "bad" if worse else "neutral"
    lift = format_signed(evaluate["lift"][metric], 3)
    return KeyFigure(f"{name}: model minus baseline", lift, detail, tone)


def drift_figure(
    features: Mapping[str, Mapping], score: Mapping | None = None, labels: Labels = PLAIN
) -> KeyFigure:
    """The headline's drift figure from per-feature `{"psi", "flagged"}` entries (and the model
    score's): how many features drifted, the largest, and whether the score itself moved."""
    flagged = sorted((entry["psi"], name) for name, entry in features.items() if entry["flagged"])
    parts = []
    if flagged:
        psi, name = flagged[-1]
        parts.append(f"largest: {labels(name)} (PSI {format_number(psi, 2)})")
    if score is not None:
        moved = "drifted" if score["flagged"] else "stable"
        parts.append(f"model score {moved} (PSI {format_number(score['psi'], 2)})")
    tone: Tone = "bad" if (score or {}).get("flagged") else "neutral" if flagged else "good"
    value = f"{len(flagged)} of {len(features)}"
    return KeyFigure("Features drifted in the latest batch", value, "; ".join(parts), tone)
