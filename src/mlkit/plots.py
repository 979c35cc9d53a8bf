"""Byte-stable PNG figures with matplotlib (SVG embeds a date and random ids, PNG does not)."""

import numbers
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter, StrMethodFormatter

from mlkit.evaluation import confusion_table, curve_tables
from mlkit.io import atomic_path, write_csv
from mlkit.metrics import CURVE_AXES

DPI = 100
# what a reader calls the curves' axes (CURVE_AXES names their table columns) and the curves
AXIS_LABELS = {
    "fpr": "false positive rate",
    "tpr": "true positive rate (recall)",
    "predicted": "predicted probability",
    "observed": "observed positive rate",
}
CURVE_TITLES = {
    "roc": "ROC curve",
    "precision_recall": "precision-recall curve",
    "calibration": "calibration",
}
plt.rcParams.update({"figure.figsize": (8, 4.5), "axes.grid": True, "grid.alpha": 0.3})


def save_png(figure: Figure, path: Path) -> None:
    """Save with no timestamp-like metadata, then close the figure."""
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(figure)


def bar_chart(
    table: pd.DataFrame, x: str, y: str, title: str, path: Path, ylabel: str = "", xlabel: str = "",
    sort: bool = False, reference: tuple[float, str] | None = None, share: bool = False,
) -> None:  # fmt: skip
    """Bars of `y` by `x`: `sort` orders them by value, largest first (for groups without an order of
    their own); `reference` draws a labelled line across (the overall rate a group differs from);
    `share` reads the y axis as percentages."""
    figure, axes = plt.subplots()
    if sort:
        table = table.sort_values(y, ascending=False, kind="stable")
    labels = table[x].astype(str)
    axes.bar(labels, table[y], color="#4C72B0")
    if reference is not None:
        value, label = reference
        axes.axhline(value, color="#C44E52", linestyle="--", linewidth=1.5, label=label)
        axes.legend(loc="best", fontsize="small")
    if share:
        axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    elif table[y].dtype.kind in "iu":  # counts: 100,000 rather than 100000
        axes.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    axes.set_title(title)
    axes.set_xlabel(xlabel or x)
    axes.set_ylabel(ylabel or y)
    if len(labels) > 12:
        plt.setp(axes.get_xticklabels(), rotation=60, ha="right", rotation_mode="anchor")
    save_png(figure, path)


def horizontal_bars(values: pd.Series, title: str, path: Path, xlabel: str = "") -> None:
    figure, axes = plt.subplots(figsize=(6, max(3, 0.25 * len(values) + 1)))  # 6 wide: legible at 520 px
    axes.barh(values.index.astype(str), values.to_numpy(), color="#4C72B0")
    axes.invert_yaxis()
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    save_png(figure, path)


def line_chart(
    curves: dict[str, pd.DataFrame],
    x: str,
    y: str,
    title: str,
    path: Path,
    diagonal: bool = False,
    styles: dict[str, dict] | None = None,
    unit_square: bool = False,
) -> None:
    """One line per named table, for overlaying curves (model and baseline, base and change); `styles`
    gives a line's matplotlib options (all but its label) by name, `unit_square` fixes both axes to 0-1."""
    figure, axes = plt.subplots(figsize=(6, 5))
    for name, table in curves.items():
        axes.plot(table[x], table[y], label=name, **(styles or {}).get(name, {}))
    if diagonal:
        axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, zorder=1)  # under the curves
    if unit_square:
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1)
    axes.set_title(title)
    axes.set_xlabel(AXIS_LABELS.get(x, x))
    axes.set_ylabel(AXIS_LABELS.get(y, y))
    axes.legend()
    save_png(figure, path)


def heatmap(matrix: np.ndarray, labels: list[str], title: str, path: Path) -> None:
    """A small annotated matrix such as a confusion matrix (rows: actual, columns: predicted)."""
    figure, axes = plt.subplots(figsize=(5, 4))
    axes.imshow(matrix, cmap="Blues")
    axes.grid(False)
    dark = matrix.max() / 2  # white text on the darker half of the colour scale, black on the lighter
    for (row, column), value in np.ndenumerate(matrix):
        color = "white" if value > dark else "black"
        axes.text(column, row, f"{value:,}", ha="center", va="center", color=color, fontsize="large")
    axes.set_xticks(range(len(labels)), labels)
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("actual")
    axes.set_title(title)
    save_png(figure, path)


def _value_order(value: object) -> tuple:
    """Numbers in numeric order, then anything else (a family name, true/false) as text."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def _settings_label(row: pd.Series) -> str:
    """`leaf=value, ...` of the parameters a run sets."""
    return ", ".join(
        f"{str(name).rsplit('.', 1)[-1]}={value}" for name, value in row.items() if pd.notna(value)
    )


def metric_by_parameter(
    table: pd.DataFrame, parameters: list[str], metric: str, reference: float, reference_label: str,
    title: str, path: Path,
) -> None:  # fmt: skip
    """One panel per parameter that takes two values or more: `metric` against the parameter's values,
    among the runs that set it; runs that agree on every other parameter are joined by a line, and the
    reference (the baseline) is drawn across. `table` has one row per run and a column per parameter,
    missing where a run leaves that parameter alone."""
    shown = [name for name in parameters if table[name].nunique() > 1] or parameters
    figure, panels = plt.subplots(1, len(shown), figsize=(4.5 * len(shown), 4.5), sharey=True, squeeze=False)
    for axes, parameter in zip(panels[0], shown, strict=True):
        runs = table[table[parameter].notna()]
        values = sorted(runs[parameter].unique(), key=_value_order)
        position = {value: i for i, value in enumerate(values)}
        others = [other for other in parameters if other != parameter]
        labels = runs[others].astype(object).apply(_settings_label, axis=1)  # object: 15 stays 15, not 15.0
        for name, group in runs.groupby(labels, sort=True):
            group = group.sort_values(parameter, key=lambda column: column.map(position), kind="stable")
            axes.plot(group[parameter].map(position), group[metric], marker="o", label=name or "(defaults)")
        axes.axhline(reference, color="#C44E52", linestyle="--", label=reference_label)
        axes.set_xticks(range(len(values)), [str(value) for value in values])
        axes.set_xlim(-0.5, len(values) - 0.5)
        axes.set_xlabel(parameter)
        axes.legend(fontsize="x-small", loc="best")
    panels[0][0].set_ylabel(metric)
    figure.suptitle(title)
    save_png(figure, path)


def write_curve_figures(
    y: np.ndarray, proba: dict, threshold: float, class_names: tuple[str, str], tables: Path, images: Path,
    held_out: str = "test set",
) -> None:  # fmt: skip
    """The plot tables DVC renders (model and baseline curves, confusion) and their PNG images, titled
    with the name of the rows they score (`held_out`: the test periods of a temporal split, say)."""
    curves = {name: curve_tables(y, proba[name]) for name in ("model", "baseline")}
    for kind, (x, y_axis) in CURVE_AXES.items():
        for name in curves:
            write_csv(curves[name][kind], tables / f"{kind}_{name}.csv")
        line_chart(
            {name: curves[name][kind] for name in curves}, x, y_axis,
            f"{CURVE_TITLES[kind]}: model vs baseline ({held_out})", images / f"{kind}.png",
            diagonal=kind != "precision_recall",
        )  # fmt: skip
    confusion = confusion_table(y, proba["model"], threshold, class_names)
    write_csv(confusion, tables / "confusion.csv")
    counts = pd.crosstab(confusion["actual"], confusion["predicted"]).reindex(
        index=class_names, columns=class_names, fill_value=0
    )
    heatmap(counts.to_numpy(), list(class_names), f"confusion matrix ({held_out})", images / "confusion.png")


def write_importance_figure(importance: pd.DataFrame, tables: Path, images: Path) -> None:
    write_csv(importance, tables / "importance.csv")
    horizontal_bars(
        importance.set_index("feature")["importance"],
        "permutation importance", images / "importance.png",
        xlabel="drop in ROC AUC when the feature is shuffled",
    )  # fmt: skip
