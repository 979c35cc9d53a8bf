"""Stage `ingest`: the raw tables as typed Parquet in data/raw/."""

from flights.data.ingest import check_tracked_source, read_tables, replicated_parts, row_account, select
from flights.shared import paths
from flights.shared.params import project_params
from mlkit.io import atomic_dir, write_json
from mlkit.stage import run_stage
from mlkit.streaming import write_parquet_parts


def main(params: dict) -> None:
    check_tracked_source(params["data"]["source"])
    read = read_tables(params["data"])
    tables = select(read, params["data"])
    with atomic_dir(paths.RAW) as folder:
        for name, frame in tables.items():  # the flights' replicas (data.scale) a part at a time
            parts = replicated_parts(frame, params["data"]["scale"]) if name == "flights" else [frame]
            write_parquet_parts(parts, folder / f"{name}.parquet")
    write_json(row_account(read, tables, params["data"]), paths.INGEST_METRICS)


if __name__ == "__main__":
    run_stage(main, project_params)
