"""Unit tests of mlkit.runtime: process parallelism that leaves results unchanged."""

import multiprocessing
import os
import signal

import numpy as np
import pytest

from mlkit.errors import ParamError
from mlkit.runtime import JOBS_VARIABLE, _terminated, in_parallel, jobs

DATA = np.arange(1_000_000, dtype=float)


def _square_sum(offset: float) -> float:
    return float(((DATA + offset) ** 2).sum())


@pytest.mark.parametrize("count", ["1", "2"])
def test_results_come_back_in_order_and_equal_to_a_serial_run(monkeypatch, count):
    monkeypatch.setenv(JOBS_VARIABLE, count)
    offsets = [3.0, 1.0, 2.0]
    calls = [lambda offset=offset: (_square_sum(offset), os.getpid()) for offset in offsets]
    results = in_parallel(calls)
    assert [value for value, _ in results] == [_square_sum(offset) for offset in offsets]
    ran_here = {pid for _, pid in results} == {os.getpid()}
    assert ran_here == (count == "1")  # with two jobs, forked children did the work


def test_an_error_in_a_call_reaches_the_caller(monkeypatch):
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    with pytest.raises(ZeroDivisionError):
        in_parallel([lambda: 1, lambda: 1 / 0])


def test_workers_die_on_sigterm_and_end_without_it(monkeypatch):
    """A stage turns SIGTERM into SystemExit (end_with_parent); its pool workers must not inherit that,
    or a worker waiting on the task queue's lock outlives the pool's terminate and the stage hangs.
    Normal completion closes the pool: no worker is left to signal."""
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        handlers = in_parallel([lambda: signal.getsignal(signal.SIGTERM)] * 2)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert handlers == [signal.SIG_DFL, signal.SIG_DFL]
    assert multiprocessing.active_children() == []


def test_jobs_default_to_the_cpus_available(monkeypatch):
    monkeypatch.delenv(JOBS_VARIABLE, raising=False)
    assert jobs() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_jobs_setting_is_named(monkeypatch, value):
    monkeypatch.setenv(JOBS_VARIABLE, value)
    with pytest.raises(ParamError, match=f"{JOBS_VARIABLE}.*{value!r}"):
        jobs()
