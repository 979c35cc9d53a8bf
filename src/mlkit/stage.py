"""Run a pipeline stage: pinned threads, the project's params read once, and a clean error on bad input."""

import sys
from collections.abc import Callable
from typing import Any

from mlkit.runtime import pin_threads


def run_stage(main: Callable[[dict], None], load_params: Callable[[], dict[str, Any]]) -> None:
    """Run `main(params)` with pinned threads; a bad input or parameter ends it with its message and
    exit 1 instead of a traceback, so the user reads what is wrong and where."""
    pin_threads()
    from mlkit.errors import DataError, ParamError

    try:
        main(load_params())
    except (DataError, ParamError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
