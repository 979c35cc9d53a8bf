"""Stage `validate`: hard rules stop the pipeline; soft findings go to metrics/validate.json. The flights
table is checked a part (whole months) at a time, the reference tables whole."""

from flights.data.tables import TABLES
from flights.data.validate import assess
from flights.shared import paths
from flights.shared.params import project_params
from flights.shared.vocabulary import MONTH_OF_YEAR
from mlkit.io import read_parquet, write_json
from mlkit.stage import run_stage
from mlkit.streaming import read_by_periods


def main(params: dict) -> None:
    tables = {table: read_parquet(paths.raw_table(table)) for table in TABLES if table != "flights"}
    parts = read_by_periods(paths.raw_table("flights"), MONTH_OF_YEAR)
    found = assess(tables, params["validate"]["min_join_coverage"], flights=parts)
    write_json(found, paths.VALIDATE_METRICS)


if __name__ == "__main__":
    run_stage(main, project_params)
