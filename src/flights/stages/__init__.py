"""Stage entry points: each reads its params, calls library functions and writes its declared outputs."""

import sys
from collections.abc import Callable

from mlkit.runtime import pin_threads


def run_stage(main: Callable[[dict], None]) -> None:
    """Run a stage with pinned threads; a bad input or parameter ends it with its message and exit 1."""
    pin_threads()
    from mlkit.config import load_params
    from mlkit.errors import DataError, ParamError

    try:
        main(load_params())
    except (DataError, ParamError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
