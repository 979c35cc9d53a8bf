"""Stage `prepare`: cleaned, joined, labelled flights and the account of their rows."""

from flights.data.prepare import prepare
from flights.data.tables import TABLES
from flights.shared import paths
from flights.shared.params import project_params
from mlkit.io import read_parquet, write_json, write_parquet
from mlkit.stage import run_stage


def main(params: dict) -> None:
    tables = {table: read_parquet(paths.raw_table(table)) for table in TABLES}
    table, accounting = prepare(tables, params["label"])
    write_parquet(table, paths.PREPARED)
    write_json(accounting, paths.PREPARE_METRICS)


if __name__ == "__main__":
    run_stage(main, project_params)
