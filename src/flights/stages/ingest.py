"""Stage `ingest`: the raw tables as typed Parquet in data/raw/."""

from flights.data.ingest import check_tracked_source, read_tables, row_account, select
from flights.shared import paths
from flights.shared.params import project_params
from mlkit.io import atomic_dir, write_json, write_parquet
from mlkit.stage import run_stage


def main(params: dict) -> None:
    check_tracked_source(params["data"]["source"])
    read = read_tables(params["data"])
    tables = select(read, params["data"])
    with atomic_dir(paths.RAW) as folder:
        for name, frame in tables.items():
            write_parquet(frame, folder / f"{name}.parquet")
    write_json(row_account(read, tables, params["data"]), paths.INGEST_METRICS)


if __name__ == "__main__":
    run_stage(main, project_params)
