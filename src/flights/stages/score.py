"""Stage `score`: the latest month as a stand-in for tomorrow's schedule, scored with the model."""

from flights.delivery.score import batch_month, score_flights
from flights.model.train import load_pipeline
from flights.shared import paths
from flights.shared.params import project_params
from mlkit.io import atomic_dir, read_json, read_parquet, write_json, write_parquet
from mlkit.persistence import file_md5
from mlkit.stage import run_stage


def main(params: dict) -> None:
    settings = params["score"]
    month = batch_month(read_parquet(paths.PREPARED, columns=["month"])["month"], settings["month"])
    batch = read_parquet(paths.PREPARED, filters=[("month", "==", month)])  # that month's rows only
    model = load_pipeline(paths.MODEL, paths.CONTEXT)
    threshold = read_json(paths.TRAIN_METRICS)["threshold"]
    scored, rejected, summary = score_flights(
        batch, model, file_md5(paths.MODEL), threshold, settings["max_rejected_share"]
    )
    with atomic_dir(paths.SCORED) as folder:
        write_parquet(scored, folder / "scored.parquet")
        write_parquet(rejected, folder / "quarantine.parquet")
    write_json(summary, paths.SCORE_METRICS)


if __name__ == "__main__":
    run_stage(main, project_params)
