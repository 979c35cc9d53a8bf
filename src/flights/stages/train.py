"""Stage `train`: the chosen model family backtested over the folds of `split`, its out-of-fold
predictions and validation metrics (the fold mean and each fold), the saved Pipeline and its card."""

from flights.model.card import model_card
from flights.model.context import detach, read_context
from flights.model.features import fit_columns
from flights.model.train import backtest_plan, build_pipeline
from flights.shared import paths
from flights.shared.params import project_params
from flights.shared.vocabulary import LABEL
from mlkit.backtest import RowCap, fit_backtested, out_of_fold
from mlkit.io import write_json, write_parquet
from mlkit.persistence import save_model
from mlkit.stage import run_stage
from mlkit.streaming import read_columns


def main(params: dict) -> None:
    columns = [*fit_columns(params["features"]["weather"]), LABEL]
    train = read_columns(paths.split_part("train"), columns)  # what fitting reads, no more
    context = read_context(paths.CONTEXT)
    plan = backtest_plan(params["split"])
    cap = RowCap(**params["train"]["fit_sample"])
    result = fit_backtested(
        lambda: build_pipeline(params["train"], params["features"], context), train, LABEL, plan, cap=cap
    )
    card = model_card(
        params, train, plan, result.metrics(), cap
    )  # before any write: no half output on failure
    save_model(detach(result.model), paths.MODEL)  # the table is its own versioned file, not in the model
    write_parquet(out_of_fold(result), paths.MODEL_BACKTEST)
    write_json(result.metrics(), paths.TRAIN_METRICS)
    write_json(card, paths.MODEL_CARD)


if __name__ == "__main__":
    run_stage(main, project_params)
