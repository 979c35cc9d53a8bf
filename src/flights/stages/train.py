"""Stage `train`: the chosen model family, its validation-month metrics, the saved Pipeline and its card."""

from flights import paths
from flights.model.card import model_card
from flights.model.context import detach, read_context
from flights.model.train import build_pipeline
from flights.params import project_params
from flights.vocabulary import LABEL
from mlkit.io import read_parquet, write_json
from mlkit.persistence import save_model
from mlkit.stage import run_stage
from mlkit.training import fit_validated


def main(params: dict) -> None:
    fit, valid = (read_parquet(paths.split_part(p)) for p in ("fit", "valid"))
    context = read_context(paths.CONTEXT)
    model, threshold, validation = fit_validated(
        lambda: build_pipeline(params["train"], params["features"], context), fit, valid, LABEL
    )
    metrics = {"threshold": threshold, "validation": validation}
    card = model_card(params, fit, valid, metrics)  # before any write: a failure leaves no half output
    save_model(detach(model), paths.MODEL)  # the table is its own versioned file, not in the model
    write_json(metrics, paths.TRAIN_METRICS)
    write_json(card, paths.MODEL_CARD)


if __name__ == "__main__":
    run_stage(main, project_params)
