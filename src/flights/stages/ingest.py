"""Stage `ingest`: the raw tables as typed Parquet in data/raw/."""

from flights import paths
from flights.ingest import ingest
from flights.stages import run_stage
from mlkit.io import atomic_dir, write_parquet


def main(params: dict) -> None:
    tables = ingest(params["data"])
    with atomic_dir(paths.RAW) as folder:
        for name, frame in tables.items():
            write_parquet(frame, folder / f"{name}.parquet")


if __name__ == "__main__":
    run_stage(main)
