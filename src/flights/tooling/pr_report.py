"""`make pr-report BASE=<rev>`: compare the workspace with <rev> and with the baseline, write
reports/pr-report.md and its plots under reports/pr/, and exit 1 when a gate fails (2: bad input).

The workspace is reproduced first (`dvc repro`), so "this change" is what the committed code and
params give; uncommitted changes to them are refused, since the reproducibility gate would fail on
them. In a shallow clone, fetch the base first, e.g.
`git fetch --depth 1 origin main:refs/remotes/origin/main`, then `make pr-report BASE=origin/main`.
"""

import argparse
import sys
import traceback
from pathlib import Path

from flights import paths
from flights.data.validate import JOINS
from mlkit.config import load_params, parse_params
from mlkit.io import atomic_dir, write_text
from mlkit.tooling import pr_report as pr
from mlkit.tooling.verify import changed

# What makes the pipeline's outputs: the report describes a commit of these, not a workspace edit.
PIPELINE_FILES = ["dvc.yaml", str(paths.PARAMS), str(paths.LOCK), str(paths.REQUIREMENTS), "src"]

FIGURE_LINK = paths.PR_FIGURES.relative_to(paths.PR_REPORT.parent)  # links relative to the markdown
CURVES = {"roc": "ROC", "precision_recall": "precision-recall", "calibration": "calibration"}
GATED_TABLE = "Metrics: validation month (gated)"
REPORTED_TABLE = "Metrics: test months (reported, never gated)"
DATA_FIELDS = (  # (label, source.dotted.key) of the data diff
    ("flights in", "quality.prepare.rows_in"),
    ("flights out", "quality.prepare.rows_out"),
    ("cancelled", "quality.prepare.status_counts.cancelled"),
    ("diverted", "quality.prepare.status_counts.diverted"),
    ("label rate, all flights", "quality.prepare.label_rate"),
    ("label rate, completed flights", "quality.prepare.label_rate_completed_only"),
    ("flights outside the split's months", "quality.split.rows_outside_parts"),
    *((f"join coverage, {join}", f"quality.validate.join_coverage.{join}.coverage") for join in JOINS),
    ("flights without a tail number", "quality.validate.missing_values.flights.tailnum"),
    *(
        (f"{part} {what}", f"split.{part}.{key}")
        for part in paths.SPLIT_PARTS
        for what, key in (("rows", "rows"), ("class rate", "positive_rate"))
    ),
)


def curve_csv(curve: str, who: str = "model") -> Path:
    return paths.EVALUATE_PLOTS / f"{curve}_{who}.csv"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the revision to compare with, e.g. origin/main")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="plain `dvc repro` instead of a clean run: for a workspace that a clean run just made "
        "(`make verify`); stages up to date or in the run-cache are not re-run",
    )
    args = parser.parse_args(argv)
    base_rev = args.base
    base_commit = pr.rev_commit(base_rev)
    if base_commit is None:
        print(
            f"pr-report: base revision {base_rev!r} not found; fetch it first:\n"
            f"  {pr.fetch_hint(base_rev)}\nthen run with BASE={pr.fetched_rev(base_rev)}",
            file=sys.stderr,
        )
        return 2
    try:
        return report(base_rev, base_commit, clean=not args.reuse)
    except Exception as error:  # a broken input, not a failed gate: exit 2, as for a bad base
        where = traceback.extract_tb(error.__traceback__)[-1]  # so that a bug of ours is found too
        print(
            f"pr-report: {type(error).__name__}: {error} ({where.filename}:{where.lineno})", file=sys.stderr
        )
        return 2


def report(base_rev: str, base_commit: str, clean: bool) -> int:
    """Write the report; 0 when every gate passes, 1 when one fails."""
    base_source = f"{base_rev}:{paths.PARAMS}"
    base_text = pr.git_show(base_commit, paths.PARAMS)
    base_params = None if base_text is None else parse_params(base_text, base_source)
    base_gates = None if base_params is None else base_params.get("gates")
    head_gates = load_params(paths.PARAMS).get("gates")
    pr.validate_gates(head_gates)  # checked now: once merged, they judge every later change
    gates_params, gates_note = pr.gates_in_force(base_gates, head_gates)
    gates_source = str(paths.PARAMS) if base_gates is None else base_source
    tolerance, min_lift = pr.validate_gates(gates_params, gates_source)
    uncommitted = changed(PIPELINE_FILES)
    if uncommitted:
        print(f"pr-report: uncommitted changes; the report describes a commit, commit first:\n{uncommitted}",
              file=sys.stderr)  # fmt: skip
        return 2
    # first: everything below reads the reproduced workspace
    repro = pr.repro_check(paths.REPRODUCED, clean=clean)
    head = pr.json_in_workspace(paths.EVALUATE_METRICS) or {}
    base = pr.json_at(base_commit, paths.EVALUATE_METRICS) or {}
    # The gates judge the validation month, where every model choice is made; the test months are
    # reported beside it and never gate, so that no change is chosen on them.
    valid, valid_base = head.get("validation", {}), base.get("validation", {})
    gates = [
        *pr.regression_gates(valid_base.get("model"), valid.get("model", {}), tolerance),
        *pr.lift_gates(valid.get("model", {}), valid.get("baseline"), min_lift),
        pr.reproducibility_gate(repro),
    ]
    metric_tables = {
        GATED_TABLE: pr.compare_metrics(
            valid_base.get("model"),
            valid.get("model", {}),
            valid.get("baseline"),
            valid.get("lift"),
            tolerance,
        ),
        REPORTED_TABLE: pr.compare_metrics(
            base.get("model"), head.get("model", {}), head.get("baseline"), head.get("lift")
        ),
    }

    notes = [gates_note] if gates_note else []
    params_diff, error = pr.dvc_params_diff(base_commit)
    if params_diff is None:
        notes.append(f"dvc params diff failed: {error}")
    sources = {"quality": paths.DATA_QUALITY, "split": paths.SPLIT_METRICS}
    data = pr.value_rows(
        {name: pr.json_at(base_commit, path) for name, path in sources.items()},
        {name: pr.json_in_workspace(path) for name, path in sources.items()},
        DATA_FIELDS,
    )

    images = []
    with atomic_dir(paths.PR_FIGURES) as folder:
        for curve, title in CURVES.items():
            head_curve = pr.read_curve(pr.text_in_workspace(curve_csv(curve)))
            if head_curve is None:
                notes.append(f"no {curve_csv(curve)} in the workspace: no {title} plot")
                continue
            base_curve = pr.read_curve(pr.git_show(base_commit, curve_csv(curve)))
            reference = pr.read_curve(pr.text_in_workspace(curve_csv(curve, "baseline")))
            heading = f"{title}, test months"
            pr.overlay_plot(curve, base_curve, head_curve, folder / f"{curve}.png", heading, reference)
            images.append(pr.Image(heading, (FIGURE_LINK / f"{curve}.png").as_posix()))

    head_commit = pr.rev_commit("HEAD") or "no commit"
    markdown = pr.render_report(
        title="Pull-request report: flight disruption model",
        base_label=f"`{base_rev}` ({base_commit[:10]})" + ("" if base else ", which has no metrics yet"),
        head_label=f"the reproduced workspace at `HEAD` ({head_commit[:10]})",
        gates=gates,
        metric_tables=metric_tables,
        params=None if params_diff is None else pr.params_rows(params_diff),
        data=data,
        images=images,
        repro=repro,
        notes=notes,
    )
    write_text(markdown, paths.PR_REPORT)

    failed = pr.failures(gates)
    for gate in failed:
        print(f"pr-report: FAIL: {pr.failure_line(gate)}", file=sys.stderr)
    print(f"pr-report: {'FAIL' if failed else 'PASS'}: wrote {paths.PR_REPORT} and {paths.PR_FIGURES}/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
