"""Stage `validate`: hard rules stop the pipeline; soft findings go to metrics/validate.json."""

from flights import paths
from flights.quality import assess
from flights.schemas import TABLES
from flights.stages import run_stage
from mlkit.io import read_parquet, write_json


def main(params: dict) -> None:
    tables = {table: read_parquet(paths.raw_table(table)) for table in TABLES}
    write_json(assess(tables, params["validate"]["min_join_coverage"]), paths.VALIDATE_METRICS)


if __name__ == "__main__":
    run_stage(main)
