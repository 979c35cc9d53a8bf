"""The pictures: PNG, byte-stable with pinned matplotlib (no date, no software version in the file)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from docsgen.sources import Sources


def _curve(root: Path, kind: str, who: str) -> tuple[list[float], list[float]]:
    with (root / f"plots/evaluate/{kind}_{who}.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    return [float(r[0]) for r in rows], [float(r[1]) for r in rows]


def roc_png(src: Sources) -> bytes:
    """The committed model's and the baseline's ROC and calibration curves on the test months."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    # matplotlib's defaults whatever the process set before (mlkit.plots sets its own on import)
    with plt.style.context("default"):
        ev = src.evaluate
        fig, (roc, cal) = plt.subplots(1, 2, figsize=(8.4, 3.8), dpi=100)
        for who, style, name in [("model", "-", "model"), ("baseline", "--", "baseline")]:
            x, y = _curve(src.root, "roc", who)
            roc.plot(x, y, style, label=f"{name} (AUC {ev[who]['roc_auc']:.3f})")
            x, y = _curve(src.root, "calibration", who)
            cal.plot(x, y, style, marker="o", markersize=3, label=name)
        for ax, (xlabel, ylabel, title) in zip(
            (roc, cal),
            [
                ("false positive rate", "true positive rate", "ROC, test months"),
                ("predicted probability", "observed disruption rate", "Calibration, test months"),
            ],
            strict=True,
        ):
            ax.plot([0, 1], [0, 1], ":", color="grey", linewidth=1)
            ax.set(xlabel=xlabel, ylabel=ylabel, title=title, xlim=(0, 1), ylim=(0, 1))
            ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", metadata={"Software": None})
        plt.close(fig)
    return out.getvalue()


IMAGES_MADE: dict[str, Callable[[Sources], bytes]] = {"model-vs-baseline.png": roc_png}
