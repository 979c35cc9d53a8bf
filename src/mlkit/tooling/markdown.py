"""The pull-request report's text: the metrics, params, data and gates tables, and the whole report
as deterministic GitHub markdown (no dates, no absolute paths, sections in a fixed order).

Pure: plain mappings and gates in, rows and text out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlkit.config import parent_of
from mlkit.metrics import METRICS
from mlkit.tooling.gates import REGRESSION, Gate, failure_line, failures, inconclusive, verdict
from mlkit.tooling.git import ReproCheck
from mlkit.tooling.pr_format import difference, fmt_interval, fmt_signed, fmt_value, is_number

Intervals = Mapping[str, Mapping[str, Any]]  # metric: {delta, low, high}, as mlkit.bootstrap writes


# ------------------------------------------------------------------------------------------- rows
@dataclass(frozen=True)
class MetricRow:
    """One metric of the metrics table: base vs this change, and this change vs the baseline."""

    metric: str
    direction: str
    base: float | None
    head: float | None
    delta: float | None  # head - base, in the metric's own sign
    baseline: float | None
    lift: float | None  # head - baseline, in the metric's own sign
    verdict: str
    delta_interval: Mapping[str, Any] | None = None  # {low, high} of delta, when known
    lift_interval: Mapping[str, Any] | None = None  # {low, high} of lift, when known


def compare_metrics(
    base: Mapping[str, Any] | None,
    head: Mapping[str, Any],
    baseline: Mapping[str, Any] | None = None,
    lift: Mapping[str, Any] | None = None,
    tolerance: Mapping[str, float] | None = None,
    delta_intervals: Intervals | None = None,
    lift_intervals: Intervals | None = None,
) -> list[MetricRow]:
    """A row for every metric of METRICS that this change or its base reports, in METRICS order.

    `lift` (model minus baseline, as stored) is used when given; otherwise it is computed. The
    intervals, when given, are shown beside the deltas and qualify the verdict (mlkit.tooling.gates).
    """
    base, baseline, lift, tolerance = base or {}, baseline or {}, lift or {}, tolerance or {}
    delta_intervals, lift_intervals = delta_intervals or {}, lift_intervals or {}
    rows = []
    for metric, direction in METRICS.items():
        if metric not in head and metric not in base:
            continue
        old, new, ref = base.get(metric), head.get(metric), baseline.get(metric)
        stored_lift = lift.get(metric)
        rows.append(
            MetricRow(
                metric=metric,
                direction=direction,
                base=old,
                head=new,
                delta=difference(new, old),
                baseline=ref,
                lift=stored_lift if is_number(stored_lift) else difference(new, ref),
                verdict=verdict(metric, old, new, tolerance.get(metric), delta_intervals.get(metric)),
                delta_interval=delta_intervals.get(metric),
                lift_interval=lift_intervals.get(metric),
            )
        )
    return rows


def lookup(mapping: Mapping[str, Any] | None, dotted: str) -> Any:
    """`mapping["a"]["b"]` for "a.b"; None when any level is missing."""
    parent, name = parent_of(mapping, dotted)
    return None if parent is None else parent.get(name)


def params_rows(diff: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[list[str]]:
    """Rows (param, base, this change) from `dvc params diff --json`; files other than
    params.yaml prefix their params with the file name."""
    rows = []
    for file in sorted(diff):
        for name in sorted(diff[file]):
            change = diff[file][name]
            label = name if Path(file).name == "params.yaml" and len(diff) == 1 else f"{file}:{name}"
            rows.append([label, _param_text(change.get("old")), _param_text(change.get("new"))])
    return rows


def _param_text(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def value_rows(
    base: Mapping[str, Any] | None, head: Mapping[str, Any], fields: Sequence[tuple[str, str]]
) -> list[list[str]]:
    """Rows (label, base, this change, delta) for (label, dotted key) fields of two mappings."""
    rows = []
    for label, key in fields:
        old, new = lookup(base, key), lookup(head, key)
        rows.append([label, fmt_value(old), fmt_value(new), fmt_signed(difference(new, old))])
    return rows


# ----------------------------------------------------------------------------------------- tables
def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]], align: str = "") -> str:
    """A GitHub markdown table; `align` has one letter per column (l or r, default l)."""
    align = align.ljust(len(header), "l")
    rule = ["---:" if a == "r" else ":---" for a in align]
    lines = [header, rule, *rows]
    return "\n".join("| " + " | ".join(_cell(c) for c in line) + " |" for line in lines) + "\n"


def fmt_delta(delta: Any, interval: Mapping[str, Any] | None) -> str:
    """A signed delta, followed by its interval when there is one: `+0.0031 [-0.0012, +0.0074]`."""
    shown = fmt_interval(interval) if is_number(delta) else ""
    return f"{fmt_signed(delta)} {shown}".rstrip()


def metrics_table(rows: Sequence[MetricRow]) -> str:
    header = ["metric", "better", "base", "this change", "delta", "baseline", "lift over baseline"]
    body = [
        [
            row.metric,
            row.direction,
            fmt_value(row.base),
            fmt_value(row.head),
            fmt_delta(row.delta, row.delta_interval),
            fmt_value(row.baseline),
            fmt_delta(row.lift, row.lift_interval),
            f"**{row.verdict}**" if row.verdict == REGRESSION else row.verdict,
        ]
        for row in rows
    ]
    return markdown_table([*header, "verdict"], body, "llrrrrrl")


def gates_table(gates: Sequence[Gate]) -> str:
    body = [
        [gate.gate, gate.subject, gate.result if gate.passed else f"**{gate.result}**", gate.detail]
        for gate in gates
    ]
    return markdown_table(["gate", "subject", "result", "detail"], body, "llll")


# ----------------------------------------------------------------------------------------- report
@dataclass(frozen=True)
class Image:
    title: str
    path: str  # relative to the markdown file


def render_report(
    title: str,
    base_label: str,
    head_label: str,
    gates: Sequence[Gate],
    metric_tables: Mapping[str, Sequence[MetricRow]],
    params: Sequence[Sequence[str]] | None,
    data: Sequence[Sequence[str]],
    images: Sequence[Image],
    repro: ReproCheck,
    notes: Sequence[str] = (),
    interval_note: str | None = None,
    comparison: str | None = None,
) -> str:
    """The whole report: deterministic (no dates, no absolute paths), sections in a fixed order.

    `metric_tables` maps each metrics table's heading to its rows. `params` None means the params diff
    could not be computed (its reason is in `notes`). `interval_note` says how the intervals shown
    were made (None: the tables have none).
    """
    failed = failures(gates)
    verdict_line = "**Result: PASS**" if not failed else "**Result: FAIL**"
    parts = [f"# {title}\n", f"{verdict_line} - base: {base_label}; this change: {head_label}.\n"]
    if failed:
        parts.append("Failed gates:\n\n" + "".join(f"- {failure_line(g)}\n" for g in failed))
    unsure = [gate for gate in inconclusive(gates) if gate.passed]
    if unsure:
        parts.append(
            "Passed, but inconclusive (the interval straddles the threshold):\n\n"
            + "".join(f"- {failure_line(g)}\n" for g in unsure)
        )
    parts += ["## Gates\n", gates_table(gates)]
    for heading, rows in metric_tables.items():
        parts += [f"## {heading}\n", metrics_table(rows)]
    parts.append(
        "Delta is this change minus base, lift is this change minus the baseline (both in the "
        "metric's own sign; `better` says which direction improves). REGRESSION: worse than base "
        "by more than the tolerance.\n"
    )
    if interval_note:
        parts.append(
            f"In brackets: {interval_note}. A verdict is **inconclusive** when the interval straddles "
            "the gate's threshold: it is shown, and fails only when the point delta itself is beyond "
            "the threshold (REGRESSION when, in addition, the whole interval is worse than zero).\n"
        )
    if comparison:
        parts.append(f"Change vs base: {comparison}.\n")
    parts.append("## Params diff\n")
    if params is None:
        parts.append("Not available.\n")
    elif params:
        parts.append(markdown_table(["param", "base", "this change"], params, "lrr"))
    else:
        parts.append("No parameter changed.\n")
    parts += [
        "## Data\n",
        markdown_table(["quantity", "base", "this change", "delta"], data, "lrrr"),
    ]
    if images:
        parts.append("## Plots\n")
        parts.append(
            "Base dashed (orange), this change solid (blue), this change's baseline dotted (grey).\n"
        )
        parts.append("".join(f"![{image.title}]({image.path})\n" for image in images))
    parts.append("## Reproducibility\n")
    outcome = "identical" if repro.ran and repro.identical else "**DIFFERENT**"
    if not repro.ran:
        outcome = "**not checked: dvc repro failed**"
    parts.append(
        f"`{repro.command}`, then `git diff --exit-code HEAD -- {repro.compared}` and no new file there: "
        f"{outcome}{repro.caveat}.\n"
    )
    if repro.detail:
        parts.append("```\n" + repro.detail.rstrip("\n") + "\n```\n")
    if notes:
        parts.append("## Notes\n")
        parts.append("".join(f"- {note}\n" for note in notes))
    return "\n".join(parts)
