"""Stage `baseline`: the carrier x hour rate and the majority class, fitted like the model."""

from flights import paths
from flights.model.features import FORBIDDEN_COLUMNS
from flights.params import project_params
from flights.vocabulary import LABEL
from mlkit.baselines import MAJORITY_THRESHOLD, GroupRateClassifier, majority_class
from mlkit.config import require
from mlkit.io import read_parquet, write_json
from mlkit.persistence import save_model
from mlkit.stage import run_stage
from mlkit.training import fit_validated


def main(params: dict) -> None:
    settings = params["baseline"]
    fit, valid = (read_parquet(paths.split_part(p)) for p in ("fit", "valid"))
    group_by = settings["group_by"]
    outcomes = {*FORBIDDEN_COLUMNS, LABEL, "status"}  # status: completed, cancelled or diverted
    known_before = set(fit.columns) - outcomes  # no outcome may group the rates
    require(  # the rest of group_by's rule is in flights.params.Baseline
        set(group_by) <= known_before,
        "baseline.group_by",
        group_by,
        "a list of columns known at scheduling time, such as [carrier, hour]",
    )
    metrics = {}
    for name, make, path, fixed_threshold in (
        (
            "baseline",
            lambda: GroupRateClassifier(tuple(group_by), settings["smoothing"]),
            paths.BASELINE,
            None,
        ),
        ("majority", majority_class, paths.MAJORITY, MAJORITY_THRESHOLD),
    ):
        model, threshold, validation = fit_validated(make, fit, valid, LABEL, fixed_threshold)
        save_model(model, path)
        metrics[name] = {"threshold": threshold, "validation": validation}
    write_json(metrics, paths.BASELINE_METRICS)


if __name__ == "__main__":
    run_stage(main, project_params)
