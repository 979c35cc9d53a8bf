"""Run a pipeline stage: pinned threads, the project's params read once, and a clean error on bad input
or on an output the machine will not let it write."""

import os
import sys
from collections.abc import Callable
from typing import Any

from mlkit.runtime import end_with_parent, pin_threads


def run_stage(main: Callable[[dict], None], load_params: Callable[[], dict[str, Any]]) -> None:
    """Run `main(params)` with pinned threads; a bad input or parameter, or an output that cannot be
    written (full disk, read-only folder), ends it with one message and exit 1 instead of a traceback,
    so the user reads what is wrong, where, and what to do. A stage that DVC started (which names it in
    $DVC_STAGE) ends with that DVC."""
    stage = os.environ.get("DVC_STAGE")
    if stage:
        end_with_parent()
    pin_threads()
    from mlkit.errors import DataError, ParamError
    from mlkit.io import WriteError

    try:
        main(load_params())
    except (DataError, ParamError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except WriteError as error:
        print(
            f"error: stage {stage or sys.argv[0]!r} could not write {error.filename}: {error.strerror}. "
            f"Nothing was half-written (an output replaces the old one only once complete): "
            f"{error.advice()}, then run `dvc repro` again",
            file=sys.stderr,
        )
        sys.exit(1)
