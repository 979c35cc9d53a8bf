"""Byte-stable PNG figures with matplotlib (SVG embeds a date and random ids, PNG does not)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mlkit.io import atomic_path

DPI = 100
plt.rcParams.update({"figure.figsize": (8, 4.5), "axes.grid": True, "grid.alpha": 0.3})


def save_png(figure: Figure, path: Path) -> None:
    """Save with no timestamp-like metadata, then close the figure."""
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(figure)


def bar_chart(table: pd.DataFrame, x: str, y: str, title: str, path: Path, ylabel: str = "") -> None:
    """Bars of `y` by `x`, with the number of rows written on each bar when the table has them."""
    figure, axes = plt.subplots()
    labels = table[x].astype(str)
    axes.bar(labels, table[y], color="#4C72B0")
    axes.set_title(title)
    axes.set_xlabel(x)
    axes.set_ylabel(ylabel or y)
    if len(labels) > 12:
        axes.tick_params(axis="x", labelrotation=60)
    save_png(figure, path)


def horizontal_bars(values: pd.Series, title: str, path: Path, xlabel: str = "") -> None:
    figure, axes = plt.subplots(figsize=(8, max(3, 0.3 * len(values) + 1)))
    axes.barh(values.index.astype(str), values.to_numpy(), color="#4C72B0")
    axes.invert_yaxis()
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    save_png(figure, path)


def line_chart(
    curves: dict[str, pd.DataFrame], x: str, y: str, title: str, path: Path, diagonal: bool = False
) -> None:
    """One line per named table, for overlaying model and baseline curves."""
    figure, axes = plt.subplots(figsize=(6, 5))
    for name, table in curves.items():
        axes.plot(table[x], table[y], label=name)
    if diagonal:
        axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    axes.set_title(title)
    axes.set_xlabel(x)
    axes.set_ylabel(y)
    axes.legend()
    save_png(figure, path)


def heatmap(matrix: np.ndarray, labels: list[str], title: str, path: Path) -> None:
    """A small annotated matrix such as a confusion matrix (rows: actual, columns: predicted)."""
    figure, axes = plt.subplots(figsize=(5, 4))
    axes.imshow(matrix, cmap="Blues")
    axes.grid(False)
    for (row, column), value in np.ndenumerate(matrix):
        axes.text(column, row, f"{value:,}", ha="center", va="center")
    axes.set_xticks(range(len(labels)), labels)
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("actual")
    axes.set_title(title)
    save_png(figure, path)


def ranked_bars(values: pd.Series, reference: float, reference_label: str, title: str, path: Path) -> None:
    """One bar per named run, with a reference level (the baseline) drawn across as a line."""
    figure, axes = plt.subplots(figsize=(9, max(3, 0.4 * len(values) + 1.5)))
    axes.barh(values.index.astype(str), values.to_numpy(), color="#4C72B0")
    axes.axvline(reference, color="#C44E52", linestyle="--", label=reference_label)
    low = min(values.min(), reference)
    high = max(values.max(), reference)
    axes.set_xlim(low - 0.1 * (high - low + 1e-9), high + 0.1 * (high - low + 1e-9))
    axes.invert_yaxis()
    axes.set_title(title)
    axes.legend(loc="lower right")
    save_png(figure, path)
