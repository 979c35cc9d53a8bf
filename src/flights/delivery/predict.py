"""`make predict INPUT=flights.csv OUTPUT=scored.csv`: score a user's file with the versioned model.

CSV or Parquet in (by extension), the same format out; rejected rows go beside OUTPUT as
`<name>.quarantine.<ext>` with the reason, and the run fails when too many are rejected.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from flights import paths
from flights.delivery.score import REQUEST_COLUMNS, TooManyRejected, check_params, score_flights
from flights.model.train import TRUSTED_TYPES
from flights.params import project_params
from mlkit.config import ParamError
from mlkit.io import read_json, read_parquet, write_csv, write_parquet
from mlkit.runtime import pin_threads
from mlkit.serving import ModelVersionError, verified_model
from mlkit.validation import DataError, read_csv


def read_flights(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        if not path.exists():
            raise DataError(f"input file {path} does not exist")
        return read_parquet(path).reset_index(drop=True)  # rows are told apart by position, as in a CSV
    # as written, so that the user's own columns (an id such as 007, an "NA") come back unchanged; the
    # request fields are typed by the input rules, where a blank or NA is a missing value
    flights = read_csv(path, "input flights", dtype=str, keep_default_na=False)
    if len(flights.columns) == 1 and ";" in flights.columns[0]:  # else: "lacks the required columns" x9
        raise DataError(f"input file {path} has one column, {flights.columns[0][:40]!r}...: a CSV here is "
                        "separated by commas, not semicolons")  # fmt: skip
    fields = flights.columns.intersection(REQUEST_COLUMNS)
    flights[fields] = flights[fields].replace(["", "NA"], np.nan)
    return flights


def write_flights(frame: pd.DataFrame, path: Path) -> None:
    (write_parquet if path.suffix == ".parquet" else write_csv)(frame, path)


def with_own_columns(flights: pd.DataFrame, result: pd.DataFrame) -> pd.DataFrame:
    """`result` rows (scored or rejected, indexed by input position) with the input's other columns,
    such as the user's own id, put back in the input's order, so the file joins back to its source."""
    own = [column for column in flights.columns if column not in result.columns]
    added = [column for column in result.columns if column not in flights.columns]
    return pd.concat([flights.loc[result.index, own], result], axis=1)[[*flights.columns, *added]]


FORMATS = (".csv", ".parquet")


def check_paths(source: Path, target: Path) -> None:
    """Formats by extension, and never the input overwritten by its own scores."""
    for role, path in (("input", source), ("output", target)):
        if path.suffix not in FORMATS:
            raise DataError(f"{role} file {path}: the extension must be one of {list(FORMATS)}")
    if source.resolve() == target.resolve():
        raise DataError(f"output file {target} is the input file: the scores would overwrite the flights")


def share(text: str) -> float:
    """argparse type of --max-rejected-share: a fraction in [0, 1]."""
    value = float(text)  # a ValueError is argparse's "invalid share value"
    if not 0 <= value <= 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"{text} is not a fraction in [0, 1]")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument(
        "--max-rejected-share",
        type=share,
        help="share of rows that may break the input rules (default: params.yaml score.max_rejected_share)",
    )
    args = parser.parse_args(argv)
    pin_threads()
    quarantine = args.output.with_suffix(f".quarantine{args.output.suffix}")
    try:
        check_paths(args.input, args.output)
        params = project_params()
        check_params(params["score"])
        limit, limit_name = args.max_rejected_share, "--max-rejected-share"
        if limit is None:
            limit, limit_name = params["score"]["max_rejected_share"], "score.max_rejected_share"
        model, version = verified_model(paths.MODEL, paths.LOCK, TRUSTED_TYPES)
        threshold = read_json(paths.TRAIN_METRICS)["threshold"]
        flights = read_flights(args.input)
        scored, rejected, summary = score_flights(flights, model, version, threshold, limit, limit_name)
    except TooManyRejected as error:  # no scores (none of an earlier run either); the rejected rows
        args.output.unlink(missing_ok=True)
        write_flights(with_own_columns(flights, error.rejected), quarantine)
        print(f"error: {error}\nevery rejected row and its reason: {quarantine}", file=sys.stderr)
        return 1
    except (DataError, ModelVersionError, ParamError, FileNotFoundError) as error:  # not found: no repro yet
        print(f"error: {error}", file=sys.stderr)
        return 1
    write_flights(with_own_columns(flights, scored), args.output)
    # written even when empty, so that no quarantine file of an earlier run is left beside the output
    write_flights(with_own_columns(flights, rejected), quarantine)
    print(
        f"scored {summary['scored']} flights with model {version}; rejected {summary['rejected']}; "
        f"{summary['missing_weather']} lack weather fields the model expects (column missing_weather); "
        f"{summary['unseen_dest']} go to a destination the model never saw (column unseen_dest)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
