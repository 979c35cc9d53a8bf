"""The model stages: the baselines and the model backtested on the training periods, then all three
evaluated on the test part against each other."""

from pathlib import Path

from sklearn.pipeline import Pipeline

from mlkit.backtest import FOLD, PROBA, ROW, compared, fit_backtested, out_of_fold
from mlkit.baselines import MAJORITY_THRESHOLD, GroupRateClassifier, majority_class
from mlkit.bootstrap import delta_record
from mlkit.errors import ParamError
from mlkit.evaluation import feature_importance, held_out_metrics, slice_metrics
from mlkit.io import atomic_dir, read_json, read_parquet, write_json, write_parquet
from mlkit.persistence import load_model, save_model
from mlkit.plots import write_curve_figures, write_importance_figure
from mlkit.tabular import ROW_ID, TRUSTED_TYPES, backtest_plan, build_pipeline
from mlkit.tabular_stages.paths import (
    BACKTEST,
    BASELINE,
    CLASS_NAMES,
    EVALUATE_FIGURES,
    EVALUATE_PLOTS,
    MAJORITY,
    MODEL,
    PREDICTIONS,
    Project,
    metrics_file,
    split_part,
)


def baseline(params: dict, project: Project) -> None:
    """The smoothed positive rate by baseline.group_by and the majority class, backtested as the model."""
    train, target = read_parquet(split_part("train")), params["data"]["target"]
    plan, settings = backtest_plan(params["split"]), params["baseline"]
    group_by = tuple(settings["group_by"])
    unknown = sorted(set(group_by) - set(params["features"]["categorical"]))
    if unknown:
        raise ParamError(f"params.yaml: baseline.group_by names {unknown}, not in features.categorical")
    if group_by:
        rate = fit_backtested(
            lambda: GroupRateClassifier(group_by, settings["smoothing"]), train, target, plan
        )
    else:  # no categorical column to group by: the prior is the baseline
        rate = fit_backtested(majority_class, train, target, plan)
    majority = fit_backtested(majority_class, train, target, plan, MAJORITY_THRESHOLD)
    save_model(rate.model, BASELINE)
    save_model(majority.model, MAJORITY)
    write_parquet(out_of_fold(rate), BACKTEST / "baseline.parquet")
    write_json(
        {"baseline": rate.metrics(), "majority": majority.metrics(), "group_by": list(group_by)},
        metrics_file("baseline"),
    )


def train(params: dict, project: Project) -> None:
    """The chosen family backtested on the folds of `split`, its out-of-fold predictions and the model
    fitted on every training period."""
    train_part, target = read_parquet(split_part("train")), params["data"]["target"]
    result = fit_backtested(
        lambda: build_pipeline(params["train"], params["features"]),
        train_part,
        target,
        backtest_plan(params["split"]),
    )
    save_model(result.model, MODEL)
    write_parquet(out_of_fold(result), BACKTEST / "model.parquet")
    write_json(result.metrics() | {"model": params["train"]["model"]}, metrics_file("train"))


def load(path: Path) -> Pipeline:
    return load_model(path, TRUSTED_TYPES)


def evaluate(params: dict, project: Project) -> None:
    """Test metrics of model, baseline and majority beside their backtest, slices, curves, importance
    and the intervals of the model's lift over the baseline (a paired bootstrap over rows)."""
    test, target, settings = read_parquet(split_part("test")), params["data"]["target"], params["evaluate"]
    y = test[target].to_numpy()
    trained, baselines = read_json(metrics_file("train")), read_json(metrics_file("baseline"))
    thresholds = {
        "model": trained["threshold"],
        "baseline": baselines["baseline"]["threshold"],
        "majority": baselines["majority"]["threshold"],
    }
    models = {"model": load(MODEL), "baseline": load(BASELINE), "majority": load(MAJORITY)}
    proba = {name: model.predict_proba(test)[:, 1] for name, model in models.items()}
    oof_model, oof_base = (
        read_parquet(BACKTEST / "model.parquet"),
        read_parquet(BACKTEST / "baseline.parquet"),
    )
    train_part = read_parquet(split_part("train"))
    validated = (
        train_part.loc[oof_model[ROW], [ROW_ID, target]]
        .reset_index(drop=True)
        .assign(
            fold=oof_model[FOLD].to_numpy(),
            model=oof_model[PROBA].to_numpy(),
            baseline=oof_base[PROBA].to_numpy(),
        )
    )
    boot = params["bootstrap"] | {"group_by": [ROW_ID]}
    record = delta_record(y, proba["baseline"], proba["model"], test, **boot)
    folds = delta_record(
        validated[target].to_numpy(),
        validated["baseline"].to_numpy(),
        validated["model"].to_numpy(),
        validated,
        **boot,
        strata=FOLD,
    )
    slices = [c for c in settings["slices"] if c in test.columns]
    sample = test.sample(n=min(settings["importance_rows"], len(test)), random_state=settings["seed"])
    with (
        atomic_dir(EVALUATE_PLOTS) as tables,
        atomic_dir(EVALUATE_FIGURES) as images,
        atomic_dir(PREDICTIONS) as predictions,
    ):
        write_curve_figures(y, proba, thresholds["model"], CLASS_NAMES, tables, images)
        importance = feature_importance(
            models["model"], sample, sample[target], settings["importance_repeats"], settings["seed"]
        )
        write_importance_figure(importance, tables, images)
        write_parquet(validated, predictions / "validation.parquet")
        write_parquet(
            test[[ROW_ID, target]].assign(model=proba["model"], baseline=proba["baseline"]),
            predictions / "test.parquet",
        )
    validation = compared(trained, baselines["baseline"])
    write_json(
        held_out_metrics(y, proba, thresholds, validation) | {"split": params["split"]["method"]},
        metrics_file("evaluate"),
    )
    write_json(
        slice_metrics(y, test, proba, thresholds, slices, settings["min_slice_rows"]), metrics_file("slices")
    )
    write_json(
        {
            "bootstrap": record["bootstrap"],
            "test": {"lift": record["delta"]},
            "validation": {"lift": folds["delta"], "strata": FOLD},
        },
        metrics_file("intervals"),
    )
