"""Stage `validate`: hard rules stop the pipeline; soft findings go to metrics/validate.json."""

from flights.data.tables import TABLES
from flights.data.validate import assess
from flights.shared import paths
from flights.shared.params import project_params
from mlkit.io import read_parquet, write_json
from mlkit.stage import run_stage


def main(params: dict) -> None:
    tables = {table: read_parquet(paths.raw_table(table)) for table in TABLES}
    write_json(assess(tables, params["validate"]["min_join_coverage"]), paths.VALIDATE_METRICS)


if __name__ == "__main__":
    run_stage(main, project_params)
