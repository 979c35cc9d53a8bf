"""Stage `prepare`: cleaned, joined, labelled flights and the account of their rows."""

from flights import paths
from flights.cleaning import prepare
from flights.schemas import TABLES
from flights.stages import run_stage
from mlkit.io import read_parquet, write_json, write_parquet


def main(params: dict) -> None:
    tables = {table: read_parquet(paths.raw_table(table)) for table in TABLES}
    table, accounting = prepare(tables, params["label"])
    write_parquet(table, paths.PREPARED)
    write_json(accounting, paths.PREPARE_METRICS)


if __name__ == "__main__":
    run_stage(main)
