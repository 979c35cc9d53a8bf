"""One place that fixes how much of the machine a stage uses: threads per fit, processes per stage.

Models fitted with a different number of OpenMP threads store that number (HistGradientBoosting's bin
mapper) and round differently (BLAS), so their bytes differ. Every fit therefore runs with the same
thread count, whatever the machine has, so outputs are identical on 1 or on 64 cores.

Work made of independent pieces (such as the fits of a backtest's folds) uses the other cores
through processes instead: `in_parallel` runs the pieces in up to `jobs()` forked processes, each with
the pinned thread count, so a result does not depend on how many ran at once. `MLKIT_JOBS` overrides
the count; an experiment queue sets it to 1, as its workers already run experiments side by side.
"""

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from mlkit.errors import ParamError

THREADS = 1
JOBS_VARIABLE = "MLKIT_JOBS"
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _terminated(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def end_with_parent() -> None:
    """On Linux, end this process (SIGTERM, raised as SystemExit so that temporary files are removed)
    when the process that started it dies. A `dvc repro` killed with SIGKILL cannot stop its stage:
    without this, the stage runs on unseen and writes outputs that no dvc.lock records."""
    signal.signal(signal.SIGTERM, _terminated)
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the request took effect
        raise SystemExit(128 + signal.SIGTERM)


def pin_threads(threads: int = THREADS) -> None:
    """Limit OpenMP and BLAS to `threads` threads for this process and the processes it starts."""
    for name in _THREAD_VARIABLES:
        os.environ[name] = str(threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)


def jobs() -> int:
    """How many processes a stage may run at once: `MLKIT_JOBS`, else the CPUs available to it."""
    value = os.environ.get(JOBS_VARIABLE, "")
    if not value:
        return len(os.sched_getaffinity(0))
    if not value.isdigit() or int(value) < 1:
        raise ParamError(f"{JOBS_VARIABLE} must be a whole number of at least 1, not {value!r}")
    return int(value)


_pending: list[Callable[[], Any]] = []


def _call(index: int) -> Any:
    return _pending[index]()


def _worker_started() -> None:
    """A pool worker dies at once on SIGTERM, as multiprocessing expects. The stage's own handler
    (`end_with_parent`) would turn the signal into SystemExit, which a worker waiting on the task
    queue's lock never reaches once another worker died holding it: the pool then waits forever."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def in_parallel(calls: Sequence[Callable[[], Any]], most: int | None = None) -> list[Any]:
    """The results of independent calls, in order, computed in up to `jobs()` forked processes (and at
    most `most`: a caller whose calls each need much memory runs fewer side by side).

    A forked child shares the caller's data without a copy; only the results travel back, pickled.
    With one job the calls simply run here, one after another. The workers end by closing the pool,
    not by a signal; a failure terminates them.
    """
    workers = min(jobs(), len(calls), most or len(calls))
    if workers <= 1:
        return [call() for call in calls]
    global _pending
    _pending = list(calls)
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_started) as pool:
            results = pool.map(_call, range(len(calls)), chunksize=1)
            pool.close()
            pool.join()
            return results
    finally:
        _pending = []
