"""A self-contained HTML report: images embedded as data URIs, no script, no network needed to view it.

A domain builds it from its own texts: a `Headline` (a verdict sentence and a few `KeyFigure`s, the
first screen a reader sees), then `Section`s of text, tables, key-value lists and figures, and calls
`render`. Every value shown goes through `format_value` and every key through `Labels` (both in
`mlkit.report_format`), so a reader sees "mean probability" and "1,234", never `mean_probability`,
`1234.0`, `True` or a raw dict.
"""

import base64
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from mlkit.metrics import METRICS
from mlkit.report_format import (
    METRIC_LABELS,
    PLAIN,
    Kind,
    Labels,
    format_number,
    format_signed,
    format_value,
    table_html,
)

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
