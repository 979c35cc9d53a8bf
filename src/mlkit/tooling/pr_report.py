"""The pull-request report: compare a change with its base revision and with the baseline, apply the
gates, write deterministic markdown and overlay plots; exit 1 when a gate fails (2: bad input).

A project describes itself once in a `Project` (its title, the data quantities to compare and its
files) and calls `main(project)` from its entry point. The workspace is reproduced first, so "this
change" is what the committed code and params give; uncommitted changes to them are refused, since the
reproducibility gate would fail on them. The jobs live apart: `gates` (verdicts and gates), `markdown`
(tables and the report's text), `git` (revisions, files at a revision, the reproducing run).
"""

from __future__ import annotations

import argparse
import re
import sys
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlkit.config import load_params, parse_params
from mlkit.io import write_text
from mlkit.tooling.base_run import PredictionFiles, change_vs_base
from mlkit.tooling.gates import (
    failure_line,
    failures,
    gates_in_force,
    lift_gates,
    regression_gates,
    validate_gates,
)
from mlkit.tooling.git import (
    dvc_params_diff,
    fetch_hint,
    fetched_rev,
    git_show,
    json_at,
    json_in_workspace,
    repro_check,
    reproducibility_gate,
    rev_commit,
)
from mlkit.tooling.markdown import compare_metrics, params_rows, render_report, value_rows
from mlkit.tooling.overlay import figures, overlay_plot, read_curve  # noqa: F401 (the module's API)
from mlkit.tooling.verify import changed

GATED_TABLE = "Metrics: validation, the backtest's fold mean (gated)"
FOLD_TABLE = "Metrics: validation fold {} (reported, never gated)"  # the fold's name: the period it scores
REPORTED_TABLE = "Metrics: {} (reported, never gated)"  # the held-out rows' name (Project.held_out)


@dataclass(frozen=True)
class Project:
    """What the report needs to know of a project; paths are relative to the repository's root."""

    title: str  # the report's heading
    data_sources: Mapping[str, Path]  # name: a JSON file of the data's quantities
    data_fields: Sequence[tuple[str, str]]  # (label, name.dotted.key) rows of the Data table
    params: Path  # holds the `gates` section
    metrics: Path  # the evaluation's metrics: model, baseline, lift, and the same under validation
    curves: Path  # the curve tables `<curve>_<model|baseline>.csv` (mlkit.plots.write_curve_figures)
    reproduced: Sequence[Path]  # what a clean run must leave exactly as committed
    pipeline_files: Sequence[str]  # what makes the outputs: the report describes a commit of these
    report: Path  # the markdown
    figures: Path  # its plots
    # mlkit.bootstrap's intervals: {bootstrap: {...}, test|validation: {lift: {metric: {delta, low, high}}}}
    intervals: Path | None = None
    # per-row predictions: the change is then compared with the base row by row (mlkit.tooling.base_run)
    predictions: PredictionFiles | None = None
    # the name of the held-out rows the evaluation scores, in table and plot headings
    held_out: str = "test set"

    def curve_csv(self, curve: str, who: str = "model") -> Path:
        return self.curves / f"{curve}_{who}.csv"


def main(project: Project, argv: list[str] | None = None, description: str | None = None) -> int:
    """The command line: `--base REV [--reuse]`; the exit code of `run`."""
    parser = argparse.ArgumentParser(description=description or __doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the git revision to compare with, e.g. origin/main")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="plain `dvc repro` instead of a clean run: for a workspace that a clean run just made "
        "(`make verify`); stages up to date or in the run-cache are not re-run",
    )
    args = parser.parse_args(argv)
    return run(project, args.base, clean=not args.reuse)


def run(project: Project, base_rev: str, clean: bool = True) -> int:
    """Write the report against `base_rev`: 0 when every gate passes, 1 when one fails, 2 when the base
    is missing or an input is broken."""
    base_commit = rev_commit(base_rev)
    if base_commit is None:
        print(
            f"pr-report: base revision {base_rev!r} not found; fetch it first:\n"
            f"  {fetch_hint(base_rev)}\nthen run with BASE={fetched_rev(base_rev)}",
            file=sys.stderr,
        )
        return 2
    try:
        return report(project, base_rev, base_commit, clean)
    except Exception as error:  # a broken input, not a failed gate: exit 2, as for a bad base
        where = traceback.extract_tb(error.__traceback__)[-1]  # so that a bug of ours is found too
        print(
            f"pr-report: {type(error).__name__}: {error} ({where.filename}:{where.lineno})", file=sys.stderr
        )
        return 2


def report(project: Project, base_rev: str, base_commit: str, clean: bool) -> int:
    """Write the report; 0 when every gate passes, 1 when one fails."""
    base_source = f"{base_rev}:{project.params}"
    base_text = git_show(base_commit, project.params)
    base_params = None if base_text is None else parse_params(base_text, base_source)
    base_gates = None if base_params is None else base_params.get("gates")
    head_gates = load_params(project.params).get("gates")
    validate_gates(head_gates)  # checked now: once merged, they judge every later change
    gates_params, gates_note = gates_in_force(base_gates, head_gates)
    gates_source = str(project.params) if base_gates is None else base_source
    tolerance, min_lift = validate_gates(gates_params, gates_source)
    uncommitted = changed(list(project.pipeline_files))
    if uncommitted:
        print(f"pr-report: uncommitted changes; the report describes a commit, commit first:\n{uncommitted}",
              file=sys.stderr)  # fmt: skip
        return 2
    # first: everything below reads the reproduced workspace
    repro = repro_check(project.reproduced, clean=clean)
    head = json_in_workspace(project.metrics) or {}
    base = json_at(base_commit, project.metrics) or {}
    # The gates judge the validation metrics (the backtest's fold mean), where every model choice is
    # made; each fold and the held-out test rows are reported beside them and never gate, so that no change
    # is chosen on them.
    valid, valid_base = head.get("validation", {}), base.get("validation", {})
    intervals = (json_in_workspace(project.intervals) if project.intervals else None) or {}
    valid_lift = intervals.get("validation", {}).get("lift")
    change = None  # this change minus base, row by row, with intervals (a base without metrics: none)
    if project.predictions is not None and base:
        change = change_vs_base(base_commit, project.predictions, intervals.get("bootstrap") or {})
    valid_change = change.validation if change else None
    gates = [
        *regression_gates(valid_base.get("model"), valid.get("model", {}), tolerance, valid_change),
        *lift_gates(valid.get("model", {}), valid.get("baseline"), min_lift, valid_lift),
        reproducibility_gate(repro),
    ]
    metric_tables = {
        GATED_TABLE: compare_metrics(
            valid_base.get("model"),
            valid.get("model", {}),
            valid.get("baseline"),
            valid.get("lift"),
            tolerance,
            delta_intervals=valid_change,
            lift_intervals=valid_lift,
        ),
    }
    base_folds = valid_base.get("folds", {})
    for name, fold in sorted(valid.get("folds", {}).items(), key=lambda item: period_order(item[0])):
        metric_tables[FOLD_TABLE.format(name)] = compare_metrics(
            base_folds.get(name, {}).get("model"), fold["model"], fold.get("baseline"), fold.get("lift")
        )
    rescored = change.rescored_test if change else None  # the base's model on this change's rows
    metric_tables[REPORTED_TABLE.format(project.held_out)] = compare_metrics(
        base.get("model") if rescored is None else rescored,
        head.get("model", {}),
        head.get("baseline"),
        head.get("lift"),
        delta_intervals=change.test if change else None,
        lift_intervals=intervals.get("test", {}).get("lift"),
    )

    notes = [gates_note] if gates_note else []
    params_diff, error = dvc_params_diff(base_commit)
    if params_diff is None:
        notes.append(f"dvc params diff failed: {error}")
    sources = project.data_sources
    data = value_rows(
        {name: json_at(base_commit, path) for name, path in sources.items()},
        {name: json_in_workspace(path) for name, path in sources.items()},
        project.data_fields,
    )
    images = figures(project, base_commit, notes)

    head_commit = rev_commit("HEAD") or "no commit"
    markdown = render_report(
        title=project.title,
        base_label=f"`{base_rev}` ({base_commit[:10]})" + ("" if base else ", which has no metrics yet"),
        head_label=f"the reproduced workspace at `HEAD` ({head_commit[:10]})",
        gates=gates,
        metric_tables=metric_tables,
        params=None if params_diff is None else params_rows(params_diff),
        data=data,
        images=images,
        repro=repro,
        notes=notes,
        interval_note=interval_note(intervals.get("bootstrap")),
        comparison=None if change is None else change.note,
    )
    write_text(markdown, project.report)

    failed = failures(gates)
    for gate in failed:
        print(f"pr-report: FAIL: {failure_line(gate)}", file=sys.stderr)
    print(f"pr-report: {'FAIL' if failed else 'PASS'}: wrote {project.report} and {project.figures}/")
    return 1 if failed else 0


def interval_note(settings: Mapping | None) -> str | None:
    """How the intervals were made, from the `bootstrap` section of the intervals file."""
    if not settings:
        return None
    unit = " x ".join(settings.get("group_by") or []) or "row"
    level = settings.get("level")
    shown = f"{level:.0%}" if isinstance(level, int | float) else "the"
    return (
        f"{shown} interval of a paired bootstrap over {unit} ({settings.get('resamples')} resamples of "
        f"{settings.get('groups')} groups, seed {settings.get('seed')})"
    )


def period_order(name: str) -> tuple:
    """A fold's key (mlkit.backtest.Fold.name) in time order: month_2 before month_10."""
    prefix, digits = re.fullmatch(r"(.*?)(\d*)", name).groups()  # type: ignore[union-attr]
    return (prefix, int(digits) if digits else -1, name)
