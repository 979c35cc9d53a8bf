"""The pictures: PNG, byte-stable with pinned matplotlib (no date, no software version in the file)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from docsgen.scale import scale_png
from docsgen.sources import MONTHS, Sources


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


def folds_png(src: Sources) -> bytes:
    """The backtest of params.yaml's `split`: per fold, the months it is fitted on and the month it
    scores; the final fit and the test months below them."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    split = src.params["split"]
    train, folds, test = split["train_months"], split["backtest_months"], split["test_months"]
    rows = [(f"fold: {MONTHS[m - 1]}", [t for t in train if t < m], [m], []) for m in folds]
    rows.append(("final model", train, [], test))
    colours = {"fitted on": "#4c72b0", "scored": "#dd8452", "test months": "#8c8c8c"}
    with plt.style.context("default"):
        fig, ax = plt.subplots(figsize=(8.4, 0.5 * len(rows) + 1.2), dpi=100)
        for y, (_, fitted, scored, tested) in enumerate(reversed(rows)):
            for months, kind in ((fitted, "fitted on"), (scored, "scored"), (tested, "test months")):
                ax.barh([y] * len(months), 0.9, left=[m - 0.45 for m in months], color=colours[kind])
        ax.set_yticks(range(len(rows)), [name for name, *_ in reversed(rows)])
        ax.set_xticks(range(1, 13), [name[:3] for name in MONTHS])
        ax.set_xlim(0.4, 12.6)
        handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
        ax.legend(handles, list(colours), loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize=8)
        ax.set_title(
            "Each fold scores one month with a model fitted only on the months before it", fontsize=10
        )
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", metadata={"Software": None})
        plt.close(fig)
    return out.getvalue()


IMAGES_MADE: dict[str, Callable[[Sources], bytes]] = {
    "model-vs-baseline.png": roc_png,
    "folds.png": folds_png,
    "scale.png": scale_png,
}
