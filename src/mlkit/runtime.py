"""One place that fixes the thread count of every stage.

Models fitted with a different number of OpenMP threads store that number (HistGradientBoosting's bin
mapper) and round differently (BLAS), so their bytes differ. Every stage pins the same count, whatever
the machine has, so outputs are identical on 1 or on 64 cores, and two experiment workers on a 2-core
machine do not fight over the cores.
"""

import os

THREADS = 1
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def pin_threads(threads: int = THREADS) -> None:
    """Limit OpenMP and BLAS to `threads` threads for this process and the processes it starts."""
    for name in _THREAD_VARIABLES:
        os.environ[name] = str(threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)
