"""The pull-request report: compare a change with its base revision and with the baseline, apply the
gates, render deterministic markdown and overlay plots.

Everything above the "git and DVC" section is pure: plain mappings in, rows, gates and text out. The
better-direction of every metric comes from `mlkit.metrics.METRICS` (through `improvement`), so a
lower log loss is an improvement and a higher one a regression.
"""

from __future__ import annotations

import io
import json
import math
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mlkit.commands import run
from mlkit.config import parent_of, require, require_positive
from mlkit.errors import DataError
from mlkit.metrics import CURVE_AXES, METRICS, improvement
from mlkit.tooling.verify import CLEAN_REPRO, differences_from_head

DIGITS = 4  # decimals shown in every table
UNCHANGED_BELOW = 0.5 * 10**-DIGITS  # a difference that rounds to 0.0000 is "unchanged"
EPSILON = 1e-9  # metric files hold 6 decimals: differences below this are float noise, not a change
NA = "n/a"

BETTER, WORSE, UNCHANGED, REGRESSION = "better", "worse", "unchanged", "REGRESSION"
REGRESSION_GATE, LIFT_GATE, REPRO_GATE = (
    "regression vs base",
    "lift over baseline",
    "reproducibility",
)

Number = int | float


# ----------------------------------------------------------------------------------------- numbers
def is_number(value: Any) -> bool:
    """A real, finite-or-infinite number (bools, None and NaN are not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not math.isnan(value)


def fmt_value(value: Any, digits: int = DIGITS, signed: bool = False) -> str:
    """Integers with thousands separators, floats with `digits` decimals, missing as n/a; `signed`
    adds the sign, and what rounds to zero is +0.0000, never -0.0000."""
    if not is_number(value):
        return NA
    sign = "+" if signed else ""
    if isinstance(value, int):
        return f"{value:{sign},}"
    shown = round(value, digits) + 0.0 if signed else value
    return f"{shown:{sign}.{digits}f}"


def fmt_signed(value: Any, digits: int = DIGITS) -> str:
    """A difference with its sign; what rounds to zero is +0.0000."""
    return fmt_value(value, digits, signed=True)


def difference(new: Any, old: Any) -> Number | None:
    """`new - old`, or None when either is missing."""
    if not (is_number(new) and is_number(old)):
        return None
    return new - old


def lookup(mapping: Mapping[str, Any] | None, dotted: str) -> Any:
    """`mapping["a"]["b"]` for "a.b"; None when any level is missing."""
    parent, name = parent_of(mapping, dotted)
    return None if parent is None else parent.get(name)


# ---------------------------------------------------------------------------------------- verdicts
def verdict(metric: str, base: Any, head: Any, tolerance: float | None = None) -> str:
    """better / worse / unchanged / REGRESSION (worse by more than `tolerance`) / n/a (no base).

    A regression of exactly `tolerance` is allowed; "unchanged" means the difference rounds to zero
    at the report's precision.
    """
    if not (is_number(base) and is_number(head)):
        return NA
    gain = improvement(metric, head, base)
    if tolerance is not None and -gain > tolerance + EPSILON:
        return REGRESSION
    if abs(gain) < UNCHANGED_BELOW:
        return UNCHANGED
    return BETTER if gain > 0 else WORSE


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


def compare_metrics(
    base: Mapping[str, Any] | None,
    head: Mapping[str, Any],
    baseline: Mapping[str, Any] | None = None,
    lift: Mapping[str, Any] | None = None,
    tolerance: Mapping[str, float] | None = None,
) -> list[MetricRow]:
    """A row for every metric of METRICS that this change or its base reports, in METRICS order.

    `lift` (model minus baseline, as stored) is used when given; otherwise it is computed.
    """
    base, baseline, lift, tolerance = base or {}, baseline or {}, lift or {}, tolerance or {}
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
                verdict=verdict(metric, old, new, tolerance.get(metric)),
            )
        )
    return rows


# ------------------------------------------------------------------------------------------- gates
@dataclass(frozen=True)
class Gate:
    """One check of the pull request; `value` is an improvement (positive is better)."""

    gate: str
    subject: str
    passed: bool
    detail: str
    value: float | None = None
    threshold: float | None = None


def validate_gates(gates: Any, source: str = "params.yaml") -> tuple[dict[str, float], dict[str, float]]:
    """`tolerance` and `min_lift` of the gates section of `source`, checked; raises ParamError."""
    require(isinstance(gates, Mapping), "gates", gates, "a mapping with tolerance and min_lift", source)
    found = []
    for section in ("tolerance", "min_lift"):
        values = gates.get(section) or {}
        require(isinstance(values, Mapping), f"gates.{section}", values, "a mapping metric: number", source)
        for metric, value in values.items():
            name = f"gates.{section}.{metric}"
            require(metric in METRICS, name, metric, f"one of {list(METRICS)}", source)
            if section == "tolerance":
                require_positive(name, value, allow_zero=True, source=source)
            else:
                require(is_number(value), name, value, "a number", source)
        found.append({metric: float(values[metric]) for metric in METRICS if metric in values})
    return found[0], found[1]


def gates_in_force(base: Any, head: Any) -> tuple[Any, str | None]:
    """(the gates that judge a change, a note): the base's when it has them, so that a pull request
    cannot loosen the bar it is judged by; a change to them is noted, and applies once merged."""
    if base is None:
        return head, None
    if head != base:
        return base, "this change edits the `gates` params: the base's gates apply until it is merged"
    return base, None


def regression_gates(
    base: Mapping[str, Any] | None, head: Mapping[str, Any], tolerance: Mapping[str, float]
) -> list[Gate]:
    """Each metric with a tolerance may be worse than at base by at most that much.

    Without metrics at base (a first pull request) nothing can regress: one skipped row.
    """
    if not base:
        return [Gate(REGRESSION_GATE, "all metrics", True, "skipped: the base revision has no metrics")]
    gates = []
    for metric, allowed in tolerance.items():
        old, new = base.get(metric), head.get(metric)
        if not is_number(new):
            gates.append(Gate(REGRESSION_GATE, metric, False, "missing in this change"))
            continue
        if not is_number(old):
            gates.append(Gate(REGRESSION_GATE, metric, True, "skipped: missing at base"))
            continue
        gain = improvement(metric, new, old)
        passed = -gain <= allowed + EPSILON
        detail = (
            f"{fmt_value(old)} -> {fmt_value(new)}: "
            + ("within" if passed else "worse than")
            + f" the tolerance of {fmt_value(allowed)}"
        )
        gates.append(Gate(REGRESSION_GATE, metric, passed, detail, gain, -allowed))
    return gates


def lift_gates(
    model: Mapping[str, Any], baseline: Mapping[str, Any] | None, min_lift: Mapping[str, float]
) -> list[Gate]:
    """The model must beat the baseline by at least `min_lift` in each metric's better direction."""
    baseline = baseline or {}
    gates = []
    for metric, needed in min_lift.items():
        new, ref = model.get(metric), baseline.get(metric)
        if not (is_number(new) and is_number(ref)):
            where = "this change's model" if not is_number(new) else "the baseline"
            gates.append(Gate(LIFT_GATE, metric, False, f"missing in {where}"))
            continue
        gain = improvement(metric, new, ref)
        passed = gain >= needed - EPSILON
        detail = (
            f"model {fmt_value(new)} vs baseline {fmt_value(ref)}: improvement {fmt_signed(gain)}, "
            + ("meets" if passed else "below")
            + f" the required {fmt_value(needed)}"
        )
        gates.append(Gate(LIFT_GATE, metric, passed, detail, gain, needed))
    return gates


# said of a pass without a clean run: stages up to date or in the run-cache were not re-run
TRUSTED_WORKSPACE = " (not a clean run: it trusts a workspace that a clean run made, such as `make verify`'s)"


@dataclass(frozen=True)
class ReproCheck:
    """Did the pipeline run (`command`), and did it leave the `compared` files exactly as committed?
    `clean`: every stage re-ran, none restored from the run-cache (not so with `--reuse`)."""

    command: str
    compared: str
    clean: bool
    ran: bool
    identical: bool
    detail: str = ""

    @property
    def caveat(self) -> str:
        """What a pass does not prove when the run was not a clean one."""
        return "" if self.clean else TRUSTED_WORKSPACE


def reproducibility_gate(check: ReproCheck) -> Gate:
    if not check.ran:
        return Gate(REPRO_GATE, check.compared, False, f"{check.command} failed")
    if not check.identical:
        return Gate(
            REPRO_GATE, check.compared, False, f"{check.command} changed the committed {check.compared}"
        )
    return Gate(
        REPRO_GATE,
        check.compared,
        True,
        f"{check.command} left the committed {check.compared} unchanged{check.caveat}",
    )


def failures(gates: Sequence[Gate]) -> list[Gate]:
    return [gate for gate in gates if not gate.passed]


def failure_line(gate: Gate) -> str:
    """One line naming the failed gate and its subject, for stderr and the report's summary."""
    return f"{gate.gate}: {gate.subject}: {gate.detail}"


# ------------------------------------------------------------------------------------------- diffs
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


# ---------------------------------------------------------------------------------------- markdown
def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]], align: str = "") -> str:
    """A GitHub markdown table; `align` has one letter per column (l or r, default l)."""
    align = align.ljust(len(header), "l")
    rule = ["---:" if a == "r" else ":---" for a in align]
    lines = [header, rule, *rows]
    return "\n".join("| " + " | ".join(_cell(c) for c in line) + " |" for line in lines) + "\n"


def metrics_table(rows: Sequence[MetricRow]) -> str:
    header = ["metric", "better", "base", "this change", "delta", "baseline", "lift over baseline"]
    body = [
        [
            row.metric,
            row.direction,
            fmt_value(row.base),
            fmt_value(row.head),
            fmt_signed(row.delta),
            fmt_value(row.baseline),
            fmt_signed(row.lift),
            f"**{row.verdict}**" if row.verdict == REGRESSION else row.verdict,
        ]
        for row in rows
    ]
    return markdown_table([*header, "verdict"], body, "llrrrrrl")


def gates_table(gates: Sequence[Gate]) -> str:
    body = [[gate.gate, gate.subject, "pass" if gate.passed else "**FAIL**", gate.detail] for gate in gates]
    return markdown_table(["gate", "subject", "result", "detail"], body, "llll")


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
) -> str:
    """The whole report: deterministic (no dates, no absolute paths), sections in a fixed order.

    `metric_tables` maps each metrics table's heading to its rows. `params` None means the params diff
    could not be computed (its reason is in `notes`).
    """
    failed = failures(gates)
    verdict_line = "**Result: PASS**" if not failed else "**Result: FAIL**"
    parts = [f"# {title}\n", f"{verdict_line} - base: {base_label}; this change: {head_label}.\n"]
    if failed:
        parts.append("Failed gates:\n\n" + "".join(f"- {failure_line(g)}\n" for g in failed))
    parts += ["## Gates\n", gates_table(gates)]
    for heading, rows in metric_tables.items():
        parts += [f"## {heading}\n", metrics_table(rows)]
    parts.append(
        "Delta is this change minus base, lift is this change minus the baseline (both in the "
        "metric's own sign; `better` says which direction improves). REGRESSION: worse than base "
        "by more than the tolerance.\n"
    )
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


# ------------------------------------------------------------------------------------------- plots
def read_curve(text: str | None) -> pd.DataFrame | None:
    """A curve table from CSV text (as `git show` prints it); None stays None."""
    return None if text is None else pd.read_csv(io.StringIO(text))


def overlay_plot(
    curve: str,
    base: pd.DataFrame | None,
    head: pd.DataFrame,
    path: Path,
    title: str,
    reference: pd.DataFrame | None = None,
) -> None:
    """Base (dashed) and this change (solid) of one curve of CURVE_AXES on one PNG; `reference`
    (e.g. the baseline's curve) dotted grey. A missing base is left out of the figure."""
    from mlkit.plots import line_chart  # matplotlib only when a figure is drawn

    marker = "." if len(head) <= 50 else None  # points only on short curves (calibration bins)
    styles = {
        "baseline (this change)": {"linestyle": ":", "color": "grey"},
        "this change": {"color": "#4C72B0", "linewidth": 2.5, "marker": marker},
        "base": {"linestyle": "--", "color": "#DD8452", "linewidth": 1.5, "marker": marker},
    }
    # base last, on top, so that an unchanged curve still shows both
    curves = {"baseline (this change)": reference, "this change": head, "base": base}
    x, y = CURVE_AXES[curve]
    line_chart(
        {name: table for name, table in curves.items() if table is not None}, x, y, title, path,
        diagonal=curve in ("roc", "calibration"), styles=styles, unit_square=True,
    )  # fmt: skip


# ------------------------------------------------------------------------------------- git and DVC
def rev_commit(rev: str, cwd: Path | None = None) -> str | None:
    """The commit `rev` names, or None when this clone lacks it (`git rev-parse --verify`)."""
    result = run("git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", cwd=cwd)
    return result.stdout.strip() if result.returncode == 0 else None


def _branch(rev: str, remote: str) -> str | None:
    """The branch that `rev` names on `remote`, or None for a commit hash."""
    if re.fullmatch(r"[0-9a-fA-F]{7,40}", rev):
        return None
    return rev.removeprefix("refs/remotes/").removeprefix(f"{remote}/")


def fetch_hint(rev: str, remote: str = "origin") -> str:
    """The command that makes `rev` available in a shallow clone."""
    branch = _branch(rev, remote)
    if branch is None:
        return f"git fetch --depth 1 {remote} {rev}"
    return f"git fetch --depth 1 {remote} {branch}:refs/remotes/{remote}/{branch}"


def fetched_rev(rev: str, remote: str = "origin") -> str:
    """The name of `rev` once `fetch_hint`'s command ran: a branch arrives as `<remote>/<branch>`."""
    branch = _branch(rev, remote)
    return rev if branch is None else f"{remote}/{branch}"


def git_show(rev: str, path: Path | str, cwd: Path | None = None) -> str | None:
    """A file's text at `rev`, or None when the file does not exist there."""
    result = run("git", "show", f"{rev}:{Path(path).as_posix()}", cwd=cwd)
    return result.stdout if result.returncode == 0 else None


def _parsed(text: str | None, source: str) -> Any:
    """JSON text, None for a missing file; a broken one is a DataError that names where it is."""
    try:
        return None if text is None else json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(f"{source} is not valid JSON: {error}") from None


def json_at(rev: str, path: Path | str, cwd: Path | None = None) -> Any:
    """A JSON file's content at `rev`, or None when it does not exist there."""
    return _parsed(git_show(rev, path, cwd), f"{rev}:{Path(path).as_posix()}")


def text_in_workspace(path: Path) -> str | None:
    return Path(path).read_text() if Path(path).exists() else None


def json_in_workspace(path: Path) -> Any:
    return _parsed(text_in_workspace(path), Path(path).as_posix())


def dvc_params_diff(rev: str, cwd: Path | None = None) -> tuple[dict | None, str]:
    """`dvc params diff <rev> --json` (workspace against `rev`), and the error if it failed."""
    result = run("dvc", "params", "diff", rev, "--json", cwd=cwd)
    if result.returncode != 0:
        return None, (result.stderr.strip() or result.stdout.strip())
    text = result.stdout.strip()
    return (json.loads(text) if text else {}), ""


def repro_check(reproduced: Sequence[Path | str], clean: bool = True) -> ReproCheck:
    """Run the pipeline in the workspace (its output goes to stderr), then compare the `reproduced` files
    (the lock file, and every output kept in git: a metric edited by hand would become the next change's
    base) with HEAD, as `make verify` does. A clean run re-runs every stage and restores nothing from the
    run-cache; without it, `dvc repro` skips what is up to date (for a workspace a clean run just made)."""
    paths = [Path(path).as_posix() for path in reproduced]
    command = CLEAN_REPRO if clean else CLEAN_REPRO[:2]
    ran = subprocess.run(command, stdout=sys.stderr, check=False).returncode == 0
    detail = differences_from_head(paths)
    return ReproCheck(" ".join(command), " ".join(paths), clean, ran, not detail, detail)
