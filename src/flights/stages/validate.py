"""Stage `validate`: hard rules stop the pipeline; soft findings go to metrics/validate.json. The flights
table is checked a part (whole months) at a time, the reference tables whole."""

from flights.data.tables import TABLES
from flights.data.validate import assess
from flights.shared import paths
from flights.shared.params import project_params
from mlkit.io import read_parquet, write_json
from mlkit.stage import run_stage
from mlkit.streaming import period_filters


def main(params: dict) -> None:
    tables = {table: read_parquet(paths.raw_table(table)) for table in TABLES if table != "flights"}
    flights = paths.raw_table("flights")
    parts = (read_parquet(flights, filters=months) for months in period_filters(flights, ["year", "month"]))
    found = assess(tables, params["validate"]["min_join_coverage"], flights=parts)
    write_json(found, paths.VALIDATE_METRICS)


if __name__ == "__main__":
    run_stage(main, project_params)
