"""Stage `prepare`: cleaned, joined, labelled flights and the full data-quality account."""

from flights import paths
from flights.cleaning import prepare
from flights.schemas import TABLES
from flights.stages import run_stage
from mlkit.io import read_json, read_parquet, write_json, write_parquet


def main(params: dict) -> None:
    tables = {table: read_parquet(paths.raw_table(table)) for table in TABLES}
    table, accounting = prepare(tables, params["label"])
    write_parquet(table, paths.PREPARED)
    write_json(
        {
            "ingest": read_json(paths.INGEST_METRICS),
            "validate": read_json(paths.VALIDATE_METRICS),
            "prepare": accounting,
        },
        paths.DATA_QUALITY,
    )


if __name__ == "__main__":
    run_stage(main)
