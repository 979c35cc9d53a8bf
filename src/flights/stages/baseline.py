"""Stage `baseline`: the carrier x hour rate and the majority class, fitted like the model."""

import pandas as pd

from flights import paths
from flights.stages import run_stage
from flights.training import fit_validated
from mlkit.baselines import MAJORITY_THRESHOLD, GroupRateClassifier, majority_class
from mlkit.config import require_positive
from mlkit.io import write_json
from mlkit.persistence import save_model


def main(params: dict) -> None:
    settings = params["baseline"]
    require_positive("baseline.smoothing", settings["smoothing"], allow_zero=True)
    fit, valid = (pd.read_parquet(paths.split_part(p)) for p in ("fit", "valid"))
    metrics = {}
    for name, make, path, fixed_threshold in (
        (
            "baseline",
            lambda: GroupRateClassifier(tuple(settings["group_by"]), settings["smoothing"]),
            paths.BASELINE,
            None,
        ),
        ("majority", majority_class, paths.MAJORITY, MAJORITY_THRESHOLD),
    ):
        model, threshold, validation = fit_validated(make, fit, valid, fixed_threshold)
        save_model(model, path)
        metrics[name] = {"threshold": threshold, "validation": validation}
    write_json(metrics, paths.BASELINE_METRICS)


if __name__ == "__main__":
    run_stage(main)
