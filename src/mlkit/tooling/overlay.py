"""The pull-request report's overlay plots: each curve of base and this change (and the baseline) on
one PNG."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlkit.io import atomic_dir
from mlkit.metrics import CURVE_AXES
from mlkit.tooling.git import git_show, text_in_workspace
from mlkit.tooling.markdown import Image

if TYPE_CHECKING:
    from mlkit.tooling.pr_report import Project

CURVES = {"roc": "ROC", "precision_recall": "precision-recall", "calibration": "calibration"}


# ------------------------------------------------------------------------------------------- plots
def figures(project: Project, base_commit: str, notes: list[str]) -> list[Image]:
    """An overlay plot per curve of CURVES under `project.figures`, linked relative to the markdown; a
    curve missing in the workspace is left out, with a note."""
    link = project.figures.relative_to(project.report.parent)
    images = []
    with atomic_dir(project.figures) as folder:
        for curve, title in CURVES.items():
            head_curve = read_curve(text_in_workspace(project.curve_csv(curve)))
            if head_curve is None:
                notes.append(f"no {project.curve_csv(curve)} in the workspace: no {title} plot")
                continue
            base_curve = read_curve(git_show(base_commit, project.curve_csv(curve)))
            reference = read_curve(text_in_workspace(project.curve_csv(curve, "baseline")))
            heading = f"{title}, {project.held_out}"
            overlay_plot(curve, base_curve, head_curve, folder / f"{curve}.png", heading, reference)
            images.append(Image(heading, (link / f"{curve}.png").as_posix()))
    return images


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
    styles: dict[str, dict[str, Any]] = {
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
