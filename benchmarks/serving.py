"""Serving speed of the full-data model in the working tree, all in one run so ratios compare like
with like: batch scoring against the bare model, one flight in process (lean path and Pipeline), and
the HTTP service (`python -m flights.delivery.serve`, one uvicorn worker) under 8 concurrent clients.
Threads are pinned as in every stage; in-process figures are medians over `repeats`.
"""

import json
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.workspace import ROOT, WORK, environment, median, target, threads
from mlkit.service_process import free_port, service_process

CLIENTS = 8
SINGLE_REQUESTS = 2000
BATCH_REQUESTS = 50
BATCH_MIN_PAIRS = 5
BATCH_FLIGHTS = 1000
WARMUP_REQUESTS = 50
LEAN_CALLS = 500
PIPELINE_CALLS = 50
START_TIMEOUT = 120  # seconds for the service to answer /health


def _model():
    """The working tree's model, refused unless dvc.lock records its hash."""
    from flights.model.context import attach, read_context
    from flights.model.train import TRUSTED_TYPES
    from flights.shared import paths
    from mlkit.serving import ModelVersionError, verified_model

    try:  # dvc.lock's paths are read relative to the lock file's folder
        model, version = verified_model(ROOT / paths.MODEL, ROOT / paths.LOCK, TRUSTED_TYPES)
        return attach(model, read_context(ROOT / paths.CONTEXT)), version
    except ModelVersionError as error:
        raise RuntimeError(
            f"{error}\nthe serving benchmark measures the full-data model of {ROOT}: run `make repro`"
        ) from error


def _request_dicts(frame: pd.DataFrame) -> list[dict]:
    """Flights as the service hands them to the lean path: validated by the request model, dumped."""
    from flights.delivery.inputs import Flight
    from flights.delivery.score import REQUEST_COLUMNS

    inputs = frame[REQUEST_COLUMNS].astype(object)
    records = inputs.where(inputs.notna(), None).to_dict("records")
    return [Flight.model_validate(record).model_dump() for record in records]


def _batch(flights: pd.DataFrame, model, version: str, repeats: int) -> dict:
    """(a) score_flights on every flight against bare predict_proba on the same rows.

    The two alternate, and the ratio is the median of each pair's ratio: a pair runs within seconds, so
    a burst of load from elsewhere on the machine slows both of its runs rather than one figure.
    """
    from flights.delivery.score import score_flights
    from flights.model.features import model_inputs
    from flights.shared import paths
    from mlkit.config import load_params
    from mlkit.io import read_json

    threshold = read_json(ROOT / paths.TRAIN_METRICS)["threshold"]
    limit = load_params(ROOT / paths.PARAMS)["score"]["max_rejected_share"]
    inputs = flights[model_inputs(model.named_steps["schedule"].weather)]
    scoring, bare = [], []
    for _ in range(max(repeats, BATCH_MIN_PAIRS)):
        start = time.perf_counter()
        _, rejected, _ = score_flights(flights, model, version, threshold, limit)
        scoring.append(time.perf_counter() - start)
        start = time.perf_counter()
        model.predict_proba(inputs)
        bare.append(time.perf_counter() - start)
    rows = len(flights)
    return {
        "batch_rows": rows,
        "batch_rejected": len(rejected),
        "batch_score_flights_rows_per_s": rows / median(scoring),
        "batch_predict_proba_rows_per_s": rows / median(bare),
        "batch_score_vs_bare_ratio": median([b / s for b, s in zip(bare, scoring, strict=True)]),
    }


def _single(requests: list[dict], model, repeats: int) -> dict:
    """(b) one flight in process: the lean path on a dict, the Pipeline on a one-row DataFrame."""
    from flights.delivery.fast_path import LeanScorer
    from flights.model.features import model_inputs

    scorer = LeanScorer(model)
    columns = model_inputs(model.named_steps["schedule"].weather)
    frames = [pd.DataFrame([flight], columns=columns) for flight in requests[:PIPELINE_CALLS]]
    lean, pipeline = [], []
    for _ in range(repeats):
        times = []
        for flight in requests[:LEAN_CALLS]:
            start = time.perf_counter()
            scorer.predict_proba([flight])
            times.append(time.perf_counter() - start)
        lean.append(median(times) * 1000)
        times = []
        for frame in frames:
            start = time.perf_counter()
            model.predict_proba(frame)
            times.append(time.perf_counter() - start)
        pipeline.append(median(times) * 1000)
    return {"single_lean_ms": median(lean), "single_pipeline_ms": median(pipeline)}


def _service(log: Path):
    """`python -m flights.delivery.serve` (as `make serve` runs it: one uvicorn worker, threads pinned)."""
    port = free_port()
    env = environment() | {"HOST": "127.0.0.1", "PORT": str(port)}
    command = [sys.executable, "-m", "flights.delivery.serve"]
    return service_process(command, ROOT, env, log, port, START_TIMEOUT)


def _load(url: str, bodies: list[bytes], requests: int) -> dict:
    """`requests` POSTs to /predict from CLIENTS threads, cycling through `bodies`."""
    import httpx

    latencies: list[float] = []
    failures: list[str] = []
    counter = iter(range(requests))
    lock = threading.Lock()

    def client() -> None:
        headers = {"content-type": "application/json"}
        with httpx.Client(base_url=url, timeout=60, headers=headers, trust_env=False) as http:
            while True:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                start = time.perf_counter()
                response = http.post("/predict", content=bodies[index % len(bodies)])
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200:
                        failures.append(f"{response.status_code}: {response.text[:300]}")

    workers = [threading.Thread(target=client) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"{len(failures)} of {requests} requests failed, e.g. {failures[0]}")
    milliseconds = np.array(latencies) * 1000
    return {
        "p50_ms": float(np.percentile(milliseconds, 50)),
        "p99_ms": float(np.percentile(milliseconds, 99)),
        "requests_per_s": requests / wall,
    }


def _http(requests: list[dict]) -> dict:
    """(c) the service under CLIENTS concurrent clients: single flights, then 1,000 flights a request.

    One bounded load of each kind (percentiles are over its requests), whatever `repeats` says, to
    keep the suite within a few minutes.
    """
    singles = [json.dumps({"flights": [flight]}).encode() for flight in requests[:SINGLE_REQUESTS]]
    batches = [
        json.dumps({"flights": requests[start : start + BATCH_FLIGHTS]}).encode()
        for start in range(0, len(requests) - BATCH_FLIGHTS + 1, BATCH_FLIGHTS)
    ]
    with _service(WORK / "serving" / "service.log") as service:
        url = service.url
        _load(url, singles, WARMUP_REQUESTS)
        single = _load(url, singles, SINGLE_REQUESTS)
        batch = _load(url, batches, BATCH_REQUESTS)
    results = {}
    for name, run in (("http_single", single), (f"http_{BATCH_FLIGHTS}", batch)):
        for figure, value in run.items():
            results[f"{name}_{figure}"] = value
    results[f"http_{BATCH_FLIGHTS}_flights_per_s"] = (
        results[f"http_{BATCH_FLIGHTS}_requests_per_s"] * BATCH_FLIGHTS
    )
    return results


def bench(repeats: int) -> dict:
    from flights.shared import paths
    from mlkit.runtime import pin_threads

    pin_threads()  # this process and the service it starts
    started = time.perf_counter()
    model, version = _model()
    flights = pd.read_parquet(ROOT / paths.PREPARED)
    pool = flights.sample(n=max(SINGLE_REQUESTS, BATCH_FLIGHTS * 10), random_state=0)
    requests = _request_dicts(pool)

    results: dict = {"model_version": version}
    results |= _batch(flights, model, version, repeats)
    results |= _single(requests, model, repeats)
    results |= _http(requests)
    in_process_rate = 1000 / results["single_lean_ms"]
    results["single_lean_per_s"] = in_process_rate
    results["http_single_vs_in_process_ratio"] = results["http_single_requests_per_s"] / in_process_rate
    results["http_single_p99_over_p50"] = results["http_single_p99_ms"] / results["http_single_p50_ms"]
    tail = results[f"http_{BATCH_FLIGHTS}_p99_ms"] / results[f"http_{BATCH_FLIGHTS}_p50_ms"]
    results[f"http_{BATCH_FLIGHTS}_p99_over_p50"] = tail
    results["load"] = {
        "clients": CLIENTS, "single_requests": SINGLE_REQUESTS, "batch_requests": BATCH_REQUESTS,
        "batch_flights": BATCH_FLIGHTS, "lean_calls": LEAN_CALLS, "pipeline_calls": PIPELINE_CALLS,
        "load_average": os.getloadavg()[0],
    }  # fmt: skip
    results["seconds"] = time.perf_counter() - started
    results["targets"] = {
        "batch_score_vs_bare_ratio": target(results["batch_score_vs_bare_ratio"], ">=", 0.8),
        "single_lean_ms": target(results["single_lean_ms"], "<", 5.0),
        "http_single_vs_in_process_ratio": target(results["http_single_vs_in_process_ratio"], ">=", 0.5),
        "http_single_p99_over_p50": target(results["http_single_p99_over_p50"], "<", 4.0),
        f"http_{BATCH_FLIGHTS}_p99_over_p50": target(tail, "<", 4.0),
    }
    _print(results)
    return results


def _print(results: dict) -> None:
    settings = ", ".join(f"{k}={v}" for k, v in threads().items())
    print(f"serving benchmark ({settings}, load average {results['load']['load_average']:.1f}):")
    for name in (
        "batch_score_flights_rows_per_s", "batch_predict_proba_rows_per_s", "batch_score_vs_bare_ratio",
        "single_lean_ms", "single_pipeline_ms", "http_single_p50_ms", "http_single_p99_ms",
        "http_single_requests_per_s", f"http_{BATCH_FLIGHTS}_p50_ms", f"http_{BATCH_FLIGHTS}_p99_ms",
        f"http_{BATCH_FLIGHTS}_requests_per_s", "http_single_vs_in_process_ratio",
    ):  # fmt: skip
        print(f"  {name:38s} {results[name]:12.3f}")
