"""Stage `split`: the training months (Jan-Oct, the backtest's folds among them) and the test months
(Nov-Dec) as separate files, and the data's row account from raw tables to split parts
(metrics/data_quality.json)."""

from flights.shared import paths
from flights.shared.params import project_params
from flights.shared.vocabulary import LABEL
from mlkit.io import read_json, read_parquet, write_json
from mlkit.split import split_account, split_by_period, summary
from mlkit.stage import run_stage
from mlkit.streaming import copy_parquet_rows


def main(params: dict) -> None:
    split = params["split"]
    months = {part: split[f"{part}_months"] for part in paths.SPLIT_PARTS}
    # the periods and labels alone check the parts and count them; each part is then streamed, a row
    # group of its months' rows at a time, so that no part is ever whole in memory
    prepared = read_parquet(paths.PREPARED, columns=["month", LABEL])
    parts = split_by_period(prepared, "month", months)
    for name, part_months in months.items():
        copy_parquet_rows(paths.PREPARED, paths.split_part(name), [("month", "in", part_months)])
    folds = {f"month {m}": parts["train"][parts["train"]["month"] == m] for m in split["backtest_months"]}
    write_json(summary(parts, LABEL) | {"backtest": summary(folds, LABEL)}, paths.SPLIT_METRICS)
    write_json(
        {
            "ingest": read_json(paths.INGEST_METRICS),
            "validate": read_json(paths.VALIDATE_METRICS),
            "prepare": read_json(paths.PREPARE_METRICS),
            "split": split_account(prepared, "month", months),
        },
        paths.DATA_QUALITY,
    )


if __name__ == "__main__":
    run_stage(main, project_params)
