"""`make predict INPUT=flights.csv OUTPUT=scored.csv`: score a user's file with the versioned model.

CSV or Parquet in (by extension), the same format out; rejected rows go beside OUTPUT as
`<name>.quarantine.<ext>` with the reason, and the run fails when too many are rejected.
"""

import argparse
import sys
from pathlib import Path

import pandas as pd

from flights import paths
from flights.modeling import TRUSTED_TYPES
from flights.scoring import score_flights
from mlkit.config import load_params
from mlkit.io import read_json, write_csv, write_parquet
from mlkit.runtime import pin_threads
from mlkit.serving import ModelVersionError, verified_model
from mlkit.validation import DataError, read_csv


def read_flights(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        if not path.exists():
            raise DataError(f"input file {path} does not exist")
        return pd.read_parquet(path)
    return read_csv(path, "input flights", na_values=["NA"])


def write_flights(frame: pd.DataFrame, path: Path) -> None:
    (write_parquet if path.suffix == ".parquet" else write_csv)(frame, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path)
    args = parser.parse_args(argv)
    pin_threads()
    try:
        model, version = verified_model(paths.MODEL, paths.LOCK, TRUSTED_TYPES)
        limit = load_params()["score"]["max_rejected_share"]
        threshold = read_json(paths.TRAIN_METRICS)["threshold"]
        scored, rejected, summary = score_flights(read_flights(args.input), model, version, threshold, limit)
    except (DataError, ModelVersionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    write_flights(scored, args.output)
    if len(rejected):
        write_flights(rejected, args.output.with_suffix(f".quarantine{args.output.suffix}"))
    print(f"scored {summary['scored']} flights with model {version}; rejected {summary['rejected']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
