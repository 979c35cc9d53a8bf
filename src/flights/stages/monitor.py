"""Stage `monitor`: drift of the scored batch against the training data, feature by feature and in score."""

import numpy as np
import pandas as pd

from flights.model.train import load_pipeline
from flights.shared import paths
from flights.shared.params import project_params
from mlkit.drift import drift_table
from mlkit.io import read_parquet, write_json
from mlkit.stage import run_stage
from mlkit.streaming import parquet_rows, read_parquet_rows


def main(params: dict) -> None:
    settings = params["monitor"]
    model = load_pipeline(paths.MODEL, paths.CONTEXT)
    training = paths.split_part("train")
    total = parquet_rows(training)
    # the rows DataFrame.sample(n, random_state=seed) draws, read without reading the whole table
    rows = min(settings["reference_rows"], total)
    positions = np.random.RandomState(settings["seed"]).choice(total, size=rows, replace=False)
    reference = read_parquet_rows(training, positions)
    batch = read_parquet(paths.SCORED / "scored.parquet")
    to_features = model.named_steps["schedule"].transform
    features = to_features(reference)  # derived once: for drift, and for the model's scores
    drift = drift_table(features, to_features(batch), settings["psi_bins"], settings["psi_flag"])
    score = drift_table(
        pd.DataFrame({"score": model[1:].predict_proba(features)[:, 1]}),
        batch[["probability"]].set_axis(["score"], axis=1),
        settings["psi_bins"],
        settings["psi_flag"],
    )
    write_json(
        {
            "features": drift,
            "score": score["score"],
            "flagged": sorted(name for name, entry in drift.items() if entry["flagged"]),
            "reference_rows": len(reference),
            "batch_rows": len(batch),
        },
        paths.DRIFT_METRICS,
    )


if __name__ == "__main__":
    run_stage(main, project_params)
