"""Stage `evaluate`: test-month metrics of model, baseline and majority class beside their backtest
(the fold mean and each fold), slices, plots, importance, the intervals of the model's lift over the
baseline (a paired bootstrap over days), and the per-flight predictions of model and baseline on the
backtest months (out of fold) and on the test months."""

import pandas as pd

from flights.model.train import TRUSTED_TYPES, load_pipeline
from flights.shared import paths
from flights.shared.params import project_params
from flights.shared.vocabulary import LABEL, flight_keys
from mlkit.backtest import FOLD, PROBA, ROW, compared
from mlkit.bootstrap import delta_record
from mlkit.config import require
from mlkit.errors import DataError
from mlkit.evaluation import feature_importance, held_out_metrics, positive_proba, slice_metrics
from mlkit.io import atomic_dir, parquet_columns, read_json, read_parquet, write_json, write_parquet
from mlkit.persistence import load_model
from mlkit.plots import write_curve_figures, write_importance_figure
from mlkit.runtime import in_parallel
from mlkit.stage import run_stage

CLASS_NAMES = ("on time", "disrupted")
BASELINES = {"baseline": paths.BASELINE, "majority": paths.MAJORITY}


def check_slices(slices: list[str], columns: pd.Index) -> None:
    """The rule of evaluate.slices that needs the data (the rest is in flights.shared.params.Evaluate)."""
    require(
        set(slices) <= set(columns),
        "evaluate.slices",
        slices,
        "a list of columns of the test data, such as carrier, origin, dest or month",
    )


def lift_intervals(test: pd.DataFrame, y, proba: dict, validated: pd.DataFrame, settings: dict) -> dict:
    """metrics/intervals.json: model minus baseline, each metric with its interval, on the test months
    and on the backtest (the fold mean, as the gated validation metrics are: folds are strata)."""
    require(set(settings["group_by"]) <= set(test.columns), "bootstrap.group_by", settings["group_by"],
            "a list of columns of the test data, such as month and day")  # fmt: skip
    record = delta_record(y, proba["baseline"], proba["model"], test, **settings)
    folds = delta_record(validated[LABEL].to_numpy(), validated["baseline"].to_numpy(),
                         validated["model"].to_numpy(), validated, **settings, strata=FOLD)  # fmt: skip
    return {
        "bootstrap": record["bootstrap"],
        "test": {"lift": record["delta"]},
        "validation": {"lift": folds["delta"], "strata": FOLD},
    }


def validation_predictions() -> pd.DataFrame:
    """The backtest months' flights (keys, label, fold) with the out-of-fold probability of model and
    baseline, one row per flight in the train part's order within each fold."""
    part = paths.split_part("train")
    train = read_parquet(part, columns=[*flight_keys(parquet_columns(part)), LABEL])
    model, baseline = read_parquet(paths.MODEL_BACKTEST), read_parquet(paths.BASELINE_BACKTEST)
    if not model[[ROW, FOLD]].equals(baseline[[ROW, FOLD]]):
        raise DataError(
            f"{paths.MODEL_BACKTEST} and {paths.BASELINE_BACKTEST} hold other flights: re-run both"
        )
    flights = train.loc[model[ROW]].reset_index(drop=True)
    return flights.assign(fold=model[FOLD], model=model[PROBA], baseline=baseline[PROBA])


def main(params: dict) -> None:
    settings = params["evaluate"]
    test = read_parquet(paths.split_part("test"))
    check_slices(settings["slices"], test.columns)
    y = test[LABEL].to_numpy()
    trained, baselines = read_json(paths.TRAIN_METRICS), read_json(paths.BASELINE_METRICS)
    thresholds = {
        "model": trained["threshold"],
        "baseline": baselines["baseline"]["threshold"],
        "majority": baselines["majority"]["threshold"],
    }
    validation = compared(trained, baselines["baseline"])
    models = {"model": load_pipeline(paths.MODEL, paths.CONTEXT)}
    models |= {name: load_model(path, TRUSTED_TYPES) for name, path in BASELINES.items()}
    proba = {name: positive_proba(model, test) for name, model in models.items()}
    tested = test[[*flight_keys(test.columns), LABEL]].assign(
        model=proba["model"], baseline=proba["baseline"]
    )
    validated = validation_predictions()
    sample = test.sample(n=min(settings["importance_rows"], len(test)), random_state=settings["seed"])
    with (
        atomic_dir(paths.EVALUATE_PLOTS) as tables,
        atomic_dir(paths.EVALUATE_FIGURES) as images,
        atomic_dir(paths.PREDICTIONS) as predictions,
    ):
        # importance is the longest piece: the other pieces share the other process
        importance, slices, _, intervals = in_parallel(
            [
                lambda: feature_importance(
                    models["model"], sample, sample[LABEL], settings["importance_repeats"], settings["seed"]
                ),
                lambda: slice_metrics(
                    y, test, proba, thresholds, settings["slices"], settings["min_slice_rows"]
                ),
                lambda: write_curve_figures(
                    y, proba, thresholds["model"], CLASS_NAMES, tables, images, held_out="test months"
                ),
                lambda: lift_intervals(test, y, proba, validated, params["bootstrap"]),
            ]
        )
        write_importance_figure(importance, tables, images)
        write_parquet(validated, predictions / paths.VALIDATION_PREDICTIONS.name)
        write_parquet(tested, predictions / paths.TEST_PREDICTIONS.name)
        write_json(held_out_metrics(y, proba, thresholds, validation), paths.EVALUATE_METRICS)
        write_json(slices, paths.SLICE_METRICS)
        write_json(intervals, paths.INTERVALS)


if __name__ == "__main__":
    run_stage(main, project_params)
