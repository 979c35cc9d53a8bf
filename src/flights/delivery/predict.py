"""`make predict INPUT=flights.csv OUTPUT=scored.csv`: score a user's file with the versioned model.

CSV or Parquet in (by extension), the same format out; rejected rows go beside OUTPUT as
`<name>.quarantine.<ext>` with the reason, and the run fails when too many are rejected. The input
rules are delivery/inputs.py's, as the HTTP service's; the user's other columns are carried through.
"""

import argparse
import sys
from pathlib import Path

from flights.data.fields import INPUT_NAMES
from flights.delivery.score import score_flights
from flights.model.context import attach, read_context
from flights.model.train import TRUSTED_TYPES
from flights.shared import paths
from flights.shared.params import project_params
from mlkit.config import ParamError
from mlkit.io import read_json
from mlkit.runtime import pin_threads
from mlkit.scoring import TooManyRejected, check_paths, fraction, read_table, with_own_columns, write_table
from mlkit.serving import ModelVersionError, verified_md5, verified_model
from mlkit.validation import DataError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument(
        "--max-rejected-share",
        type=fraction,
        help="share of rows that may break the input rules (default: params.yaml score.max_rejected_share)",
    )
    args = parser.parse_args(argv)
    pin_threads()
    quarantine = args.output.with_suffix(f".quarantine{args.output.suffix}")
    try:
        check_paths(args.input, args.output)
        params = project_params()  # validated: score.max_rejected_share is a fraction
        limit, limit_name = args.max_rejected_share, "--max-rejected-share"
        if limit is None:
            limit, limit_name = params["score"]["max_rejected_share"], "score.max_rejected_share"
        model, version = verified_model(paths.MODEL, paths.LOCK, TRUSTED_TYPES)
        threshold = read_json(paths.TRAIN_METRICS)["threshold"]
        verified_md5(paths.CONTEXT, paths.LOCK)  # the context table of the same commit
        attach(model, read_context(paths.CONTEXT))
        flights = read_table(args.input, INPUT_NAMES, "input flights")
        scored, rejected, summary = score_flights(flights, model, version, threshold, limit, limit_name)
    except TooManyRejected as error:  # no scores (none of an earlier run either); the rejected rows
        args.output.unlink(missing_ok=True)
        write_table(with_own_columns(flights, error.rejected), quarantine)
        print(f"error: {error}\nevery rejected row and its reason: {quarantine}", file=sys.stderr)
        return 1
    except (DataError, ModelVersionError, ParamError, FileNotFoundError) as error:  # not found: no repro yet
        print(f"error: {error}", file=sys.stderr)
        return 1
    write_table(with_own_columns(flights, scored), args.output)
    # written even when empty, so that no quarantine file of an earlier run is left beside the output
    write_table(with_own_columns(flights, rejected), quarantine)
    print(
        f"scored {summary['scored']} flights with model {version}; rejected {summary['rejected']}; "
        f"{summary['missing_weather']} lack weather fields the model expects (column missing_weather); "
        f"{summary['unseen_dest']} go to a destination the model never saw (column unseen_dest)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
