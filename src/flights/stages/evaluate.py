"""Stage `evaluate`: test-month metrics of model, baseline and majority class, slices, plots, importance."""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from flights import paths
from flights.cleaning import LABEL
from flights.modeling import TRUSTED_TYPES
from flights.stages import run_stage
from mlkit.config import is_list_of, require, require_seed, require_whole
from mlkit.evaluation import confusion_table, curve_tables, score, slice_scores
from mlkit.io import atomic_dir, read_json, read_parquet, write_csv, write_json
from mlkit.metrics import CURVE_AXES, lift
from mlkit.persistence import load_model
from mlkit.plots import heatmap, horizontal_bars, line_chart
from mlkit.runtime import in_parallel

CLASS_NAMES = ("on time", "disrupted")
MODELS = {"model": paths.MODEL, "baseline": paths.BASELINE, "majority": paths.MAJORITY}


def feature_importance(model: Pipeline, X: pd.DataFrame, y: pd.Series, settings: dict) -> pd.DataFrame:
    """Permutation importance of the model's derived features (drop in ROC AUC when one is shuffled);
    the features are derived once and only the encoding and the estimator are re-run."""
    features = model[0].transform(X)
    names = features.columns
    found = permutation_importance(
        model[1:], features, y, scoring="roc_auc",
        n_repeats=settings["importance_repeats"], random_state=settings["seed"],
    )  # fmt: skip
    table = pd.DataFrame(
        {"feature": names, "importance": found.importances_mean, "std": found.importances_std}
    )
    return table.sort_values(["importance", "feature"], ascending=[False, True], kind="stable")


def held_out_metrics(y: np.ndarray, proba: dict, thresholds: dict, validation: dict) -> dict:
    """The sections `model`, `baseline`, `majority` and `lift`, with the validation month beside them."""
    scores = {name: score(y, proba[name], thresholds[name]) for name in proba}
    return scores | {
        "lift": lift(scores["model"], scores["baseline"]),
        "validation": validation | {"lift": lift(validation["model"], validation["baseline"])},
        "threshold": thresholds,
        "test": {"rows": len(y), "positive_rate": float(y.mean())},
    }


def slice_metrics(y: np.ndarray, test: pd.DataFrame, proba: dict, thresholds: dict, settings: dict) -> dict:
    return {
        column: {
            name: slice_scores(y, proba[name], test[column], thresholds[name], settings["min_slice_rows"])
            for name in ("model", "baseline")
        }
        for column in settings["slices"]
    }


def write_curve_figures(y: np.ndarray, proba: dict, threshold: float, tables: Path, images: Path) -> None:
    """The plot tables DVC renders (model and baseline curves, confusion) and their PNG images."""
    curves = {name: curve_tables(y, proba[name]) for name in ("model", "baseline")}
    for kind, (x, y_axis) in CURVE_AXES.items():
        for name in curves:
            write_csv(curves[name][kind], tables / f"{kind}_{name}.csv")
        line_chart(
            {name: curves[name][kind] for name in curves}, x, y_axis,
            f"{kind.replace('_', ' ')}: model vs baseline (test months)", images / f"{kind}.png",
            diagonal=kind != "precision_recall",
        )  # fmt: skip
    confusion = confusion_table(y, proba["model"], threshold, CLASS_NAMES)
    write_csv(confusion, tables / "confusion.csv")
    counts = pd.crosstab(confusion["actual"], confusion["predicted"]).reindex(
        index=CLASS_NAMES, columns=CLASS_NAMES, fill_value=0
    )
    heatmap(counts.to_numpy(), list(CLASS_NAMES), "confusion matrix (test months)", images / "confusion.png")


def write_importance_figure(importance: pd.DataFrame, tables: Path, images: Path) -> None:
    write_csv(importance, tables / "importance.csv")
    horizontal_bars(
        importance.set_index("feature")["importance"],
        "permutation importance (drop in ROC AUC)", images / "importance.png",
    )  # fmt: skip


def check_params(settings: dict, columns: pd.Index) -> None:
    for name, minimum in (
        ("min_slice_rows", 1),
        ("importance_rows", 1),
        ("importance_repeats", 1),
    ):
        require_whole(f"evaluate.{name}", settings[name], minimum)
    require_seed("evaluate.seed", settings["seed"])
    slices = settings["slices"]
    require(
        is_list_of(slices, set(columns)),
        "evaluate.slices",
        slices,
        "a list of columns of the test data, such as carrier, origin, dest or month",
    )


def main(params: dict) -> None:
    settings = params["evaluate"]
    test = read_parquet(paths.split_part("test"))
    check_params(settings, test.columns)
    y = test[LABEL].to_numpy()
    trained, baselines = read_json(paths.TRAIN_METRICS), read_json(paths.BASELINE_METRICS)
    thresholds = {
        "model": trained["threshold"],
        "baseline": baselines["baseline"]["threshold"],
        "majority": baselines["majority"]["threshold"],
    }
    validation = {"model": trained["validation"], "baseline": baselines["baseline"]["validation"]}
    models = {name: load_model(path, TRUSTED_TYPES) for name, path in MODELS.items()}
    proba = {name: model.predict_proba(test)[:, 1] for name, model in models.items()}
    sample = test.sample(n=min(settings["importance_rows"], len(test)), random_state=settings["seed"])
    with atomic_dir(paths.EVALUATE_PLOTS) as tables, atomic_dir(paths.EVALUATE_FIGURES) as images:
        # importance is the longest piece: the slices and the curve figures share the other process
        importance, slices, _ = in_parallel(
            [
                lambda: feature_importance(models["model"], sample, sample[LABEL], settings),
                lambda: slice_metrics(y, test, proba, thresholds, settings),
                lambda: write_curve_figures(y, proba, thresholds["model"], tables, images),
            ]
        )
        write_importance_figure(importance, tables, images)
        write_json(held_out_metrics(y, proba, thresholds, validation), paths.EVALUATE_METRICS)
        write_json(slices, paths.SLICE_METRICS)


if __name__ == "__main__":
    run_stage(main)
