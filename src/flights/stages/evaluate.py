"""Stage `evaluate`: test-month metrics of model, baseline and majority class, slices, plots, importance."""

import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from flights import paths
from flights.cleaning import LABEL
from flights.modeling import TRUSTED_TYPES
from flights.stages import run_stage
from mlkit.evaluation import CURVE_AXES, confusion_table, curve_tables, lift, score, slice_scores
from mlkit.io import atomic_dir, read_json, write_csv, write_json
from mlkit.persistence import load_model
from mlkit.plots import heatmap, horizontal_bars, line_chart

CLASS_NAMES = ("on time", "disrupted")


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


def main(params: dict) -> None:
    settings = params["evaluate"]
    test = pd.read_parquet(paths.split_part("test"))
    y = test[LABEL].to_numpy()
    trained, baselines = read_json(paths.TRAIN_METRICS), read_json(paths.BASELINE_METRICS)
    thresholds = {
        "model": trained["threshold"],
        "baseline": baselines["baseline"]["threshold"],
        "majority": baselines["majority"]["threshold"],
    }
    models = {
        name: load_model(path, TRUSTED_TYPES)
        for name, path in (("model", paths.MODEL), ("baseline", paths.BASELINE), ("majority", paths.MAJORITY))
    }
    proba = {name: model.predict_proba(test)[:, 1] for name, model in models.items()}
    scores = {name: score(y, proba[name], thresholds[name]) for name in models}
    validation = {"model": trained["validation"], "baseline": baselines["baseline"]["validation"]}
    write_json(
        scores
        | {
            "lift": lift(scores["model"], scores["baseline"]),
            "validation": validation | {"lift": lift(validation["model"], validation["baseline"])},
            "threshold": thresholds,
            "test": {"rows": len(test), "positive_rate": float(y.mean())},
        },
        paths.EVALUATE_METRICS,
    )
    write_json(
        {
            column: {
                name: slice_scores(y, proba[name], test[column], thresholds[name], settings["min_slice_rows"])
                for name in ("model", "baseline")
            }
            for column in settings["slices"]
        },
        paths.SLICE_METRICS,
    )
    sample = test.sample(n=min(settings["importance_rows"], len(test)), random_state=settings["seed"])
    importance = feature_importance(models["model"], sample, sample[LABEL], settings)
    curves = {name: curve_tables(y, proba[name]) for name in ("model", "baseline")}
    with atomic_dir(paths.EVALUATE_PLOTS) as tables, atomic_dir(paths.EVALUATE_FIGURES) as images:
        for kind, (x, y_axis) in CURVE_AXES.items():
            for name in curves:
                write_csv(curves[name][kind], tables / f"{kind}_{name}.csv")
            line_chart(
                {name: curves[name][kind] for name in curves}, x, y_axis,
                f"{kind.replace('_', ' ')}: model vs baseline (test months)", images / f"{kind}.png",
                diagonal=kind != "precision_recall",
            )  # fmt: skip
        confusion = confusion_table(y, proba["model"], thresholds["model"], CLASS_NAMES)
        write_csv(confusion, tables / "confusion.csv")
        counts = pd.crosstab(confusion["actual"], confusion["predicted"]).reindex(
            index=CLASS_NAMES, columns=CLASS_NAMES, fill_value=0
        )
        heatmap(
            counts.to_numpy(), list(CLASS_NAMES), "confusion matrix (test months)", images / "confusion.png"
        )
        write_csv(importance, tables / "importance.csv")
        horizontal_bars(
            importance.set_index("feature")["importance"],
            "permutation importance (drop in ROC AUC)", images / "importance.png",
        )  # fmt: skip


if __name__ == "__main__":
    run_stage(main)
