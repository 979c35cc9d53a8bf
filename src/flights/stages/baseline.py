"""Stage `baseline`: the carrier x hour rate and the majority class, backtested like the model."""

from flights.model.features import FORBIDDEN_COLUMNS
from flights.model.train import backtest_plan
from flights.shared import paths
from flights.shared.params import project_params
from flights.shared.vocabulary import LABEL
from mlkit.backtest import fit_backtested, out_of_fold
from mlkit.baselines import MAJORITY_THRESHOLD, GroupRateClassifier, majority_class
from mlkit.config import require
from mlkit.io import parquet_columns, write_json, write_parquet
from mlkit.persistence import save_model
from mlkit.stage import run_stage
from mlkit.streaming import read_columns


def main(params: dict) -> None:
    settings = params["baseline"]
    plan = backtest_plan(params["split"])
    group_by = settings["group_by"]
    outcomes = {*FORBIDDEN_COLUMNS, LABEL, "status"}  # status: completed, cancelled or diverted
    # no outcome may group the rates
    known_before = set(parquet_columns(paths.split_part("train"))) - outcomes
    require(  # the rest of group_by's rule is in flights.shared.params.Baseline
        set(group_by) <= known_before,
        "baseline.group_by",
        group_by,
        "a list of columns known at scheduling time, such as [carrier, hour]",
    )
    # what the fits read, no more: the grouping columns, the folds' period and the label
    columns = list(dict.fromkeys([*group_by, plan.column, LABEL]))
    train = read_columns(paths.split_part("train"), columns)
    rate = fit_backtested(
        lambda: GroupRateClassifier(tuple(group_by), settings["smoothing"]), train, LABEL, plan
    )
    majority = fit_backtested(majority_class, train, LABEL, plan, MAJORITY_THRESHOLD)
    save_model(rate.model, paths.BASELINE)
    save_model(majority.model, paths.MAJORITY)
    write_parquet(out_of_fold(rate), paths.BASELINE_BACKTEST)
    write_json({"baseline": rate.metrics(), "majority": majority.metrics()}, paths.BASELINE_METRICS)


if __name__ == "__main__":
    run_stage(main, project_params)
