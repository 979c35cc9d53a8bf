"""The benchmark figures of benchmarks/results.json: every suite's figures with its targets, per stage."""

from __future__ import annotations

from docsgen.sources import Sources, seconds, table

# benchmark figures: what each key measures, in the order shown; a key not listed here is shown by its name
BENCH_LABELS = {
    "full_pipeline_dvc_s": "full pipeline, all stages, all flights, `dvc repro --force --no-run-cache`",
    "full_pipeline_direct_s": "the same stage code run directly, one process per stage",
    "full_dvc_overhead_s": "what DVC adds to the full pipeline (difference of the two)",
    "data_stages_dvc_s": "data stages (ingest, validate, prepare, explore) under DVC",
    "data_stages_direct_s": "the same four run directly",
    "dvc_overhead_s": "DVC's added time on the data stages (median of back-to-back pairs)",
    "lock_rewrite_s": "DVC's round trip of `dvc.lock` after each stage",
    "noop_repro_s": "no-op `dvc repro`",
    "noop_repro_one_stage_repo_s": "no-op `dvc repro` of a one-stage repository (DVC's floor)",
    "noop_over_floor": "no-op `dvc repro` over DVC's floor (median of side-by-side pairs)",
    "noop_dvc_work_ms": "DVC's own work in the no-op, its imports done (in one process, median of 14)",
    "noop_dvc_work_one_stage_repo_ms": "... in the one-stage repository",
    "noop_dvc_work_without_params_ms": "... with no stage's `params:` (not a setup to use)",
    "noop_dvc_work_without_code_deps_ms": "... with no `src/` dependency (not a setup to use)",
    "noop_dvc_work_without_both_ms": "... with neither: only data dependencies, outputs, metrics, plots",
    "cpu_probe_s": "CPU probe: a fixed pure-Python loop (lower is a faster machine)",
    "check_cache_s": "`make check-cache`: every cache object `dvc.lock` names rehashed",
    "dvc_status_s": "`dvc status` beside it (trusts the hashes it has cached)",
    "objects_rehashed": "objects rehashed (files, folder manifests and their files)",
    "megabytes_rehashed": "megabytes rehashed",
    "cached_rerun_s": "re-run of an experiment already run (`dvc exp run -S`, stages from the run-cache)",
    "cached_rerun_without_code_deps_s": "the same with every `src/` dependency dropped from dvc.yaml",
    "cached_rerun_one_stage_repo_s": "the same in a one-stage repository (DVC's floor)",
    "sweep_4_experiments_j1_s": "4-experiment sweep, 1 worker",
    "sweep_4_experiments_j2_s": "the same 4 experiments, 2 workers",
    "j2_over_j1": "2 workers over 1 (the same 4 models)",
    "machine_two_processes_over_one": "two CPU-bound processes at once over one alone (the machine itself)",
    "push_all_outputs_s": "`make push`: every output and the run-cache to an empty bucket (moto, loopback)",
    "pull_all_outputs_s": "`make pull`: all of them into a fresh clone",
    "remote_objects": "objects in the bucket after one push",
    "remote_mb": "their size, MB",
    "changed_params_computed_s": "a changed parameter computed (`dvc repro`, 5 stages run)",
    "changed_params_restored_s": "the same change in a teammate's clone: `dvc repro --pull` restores it",
    "changed_params_pull_s": "the teammate's `make pull` before it (the runs' records)",
    "restored_over_computed": "restored over computed",
    "batch_score_vs_bare_ratio": "batch scoring (rules, quarantine, model) over bare `predict_proba`",
    "batch_score_flights_rows_per_s": "batch scoring, rows per second",
    "batch_predict_proba_rows_per_s": "bare `predict_proba`, rows per second",
    "single_lean_ms": "one flight in process, fast path",
    "single_pipeline_ms": "one flight in process, full Pipeline on a one-row DataFrame",
    "http_single_requests_per_s": "HTTP, 8 clients, single-flight requests per second",
    "http_single_vs_in_process_ratio": "... against the in-process rate",
    "http_single_p50_ms": "... p50 latency",
    "http_single_p99_ms": "... p99 latency",
    "http_single_p99_over_p50": "... p99 over p50",
    "http_1000_requests_per_s": "HTTP, 8 clients, 1,000-flight requests per second",
    "http_1000_flights_per_s": "... flights per second",
    "http_1000_p50_ms": "... p50 latency",
    "http_1000_p99_ms": "... p99 latency",
    "http_1000_p99_over_p50": "... p99 over p50",
    "make_new_s": "`make new` on palmerpenguins, its first `dvc repro` included",
    "make_new_first_repro_s": "... of which the first `dvc repro` (10 stages)",
    "project_install_s": "the generated project's environment from its hashed lock (apart)",
}
BENCH_SKIP = {
    "targets",
    "threads",
    "repeats",
    "load",
    "model_version",
    "seconds",
    "stage_direct_s",
    "stage_peak_mb",
    "dvc_overhead_pairs_s",
    "batch_rows",
    "batch_rejected",
    "single_lean_per_s",
}


def _bench_value(key: str, value: float) -> str:
    if key.endswith("_ms"):
        return f"{value:.2f} ms" if value < 10 else f"{value:.0f} ms"
    if key.endswith("_per_s"):
        return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
    if key.endswith("_s"):
        return seconds(value)
    if key.endswith("_mb"):
        return f"{value:.0f} MB"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.2f}"


def _bench_suite(suite: dict) -> str:
    targets = suite.get("targets", {})
    keys = [k for k in BENCH_LABELS if k in suite] + sorted(
        k
        for k, v in suite.items()
        if k not in BENCH_LABELS and k not in BENCH_SKIP and isinstance(v, int | float)
    )
    rows = []
    for key in keys:
        target = targets.get(key)
        limit = f"{target['relation']} {_bench_value(key, target['limit'])}" if target else ""
        met = ("yes" if target["met"] else "**no**") if target else ""
        rows.append([BENCH_LABELS.get(key, f"`{key}`"), _bench_value(key, suite[key]), limit, met])
    return table(["figure", "measured", "target", "met"], rows, ["l", "r", "l", "l"])


def benchmarks(src: Sources) -> str:
    """Every suite of benchmarks/results.json: its figures, targets and settings."""
    found = src.json("benchmarks/results.json")
    parts = []
    titles = {
        "pipeline": "Pipeline",
        "cache": "Cache check",
        "experiments": "Experiments",
        "remote": "Team remote",
        "serving": "Serving",
    }
    for name in [*(n for n in titles if n in found), *(n for n in found if n not in titles)]:
        suite = found[name]
        threads = suite.get("threads", {})
        setting = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in threads.items())
        repeats = suite.get("repeats")
        parts.append(f"**{titles.get(name, name)}** ({repeats} repeats; {setting})\n\n{_bench_suite(suite)}")
    return "\n\n".join(parts)


def stage_times(src: Sources) -> str:
    """Each stage's direct time and peak memory, slowest first."""
    pipeline = src.json("benchmarks/results.json")["pipeline"]
    times, memory = pipeline["stage_direct_s"], pipeline.get("stage_peak_mb", {})
    rows = [
        [f"`{name}`", seconds(times[name]), f"{memory[name]:.0f} MB" if name in memory else ""]
        for name in sorted(times, key=lambda n: -times[n])
    ]
    return table(
        ["stage", "run directly (median)", "peak memory (largest of the repeats)"], rows, ["l", "r", "r"]
    )


def targets_met(src: Sources) -> str:
    """Inline: how many benchmark targets the committed results meet."""
    found = src.json("benchmarks/results.json")
    targets = [t for suite in found.values() for t in suite.get("targets", {}).values()]
    return f"{sum(t['met'] for t in targets)} of {len(targets)}"


def room_edits(src: Sources) -> str:
    """What a folder dependency costs: per room, the stages one edited module re-runs, and the seconds."""
    found = src.json("benchmarks/results.json").get("pipeline", {}).get("room_edit_rerun")
    if not found:
        return "Not in the committed `benchmarks/results.json` yet: the next `make bench` measures it."
    rows = [
        [f"`{room}`", f"`{edit['edited']}`", str(edit["stages_rerun"]), seconds(edit["seconds"])]
        for room, edit in found.items()
    ]
    return table(["room", "module edited", "stages re-run", "`dvc repro` time"], rows, ["l", "l", "r", "r"])


def run_cache(src: Sources) -> str:
    """What the shared run-cache saves a teammate, and what `make push` / `make pull` cost, on all flights."""
    found = src.json("benchmarks/results.json").get("remote")
    if not found:
        return "Not in the committed `benchmarks/results.json` yet: the next `make bench` measures it."
    rows = [
        [
            "one clone computes a changed parameter (`dvc repro`, 5 stages)",
            seconds(found["changed_params_computed_s"]),
        ],
        [
            "a teammate's `make pull` (the runs' records among the rest)",
            seconds(found["changed_params_pull_s"]),
        ],
        [
            "the teammate makes the same change: `dvc repro --pull` restores every stage",
            seconds(found["changed_params_restored_s"]),
        ],
        ["restored over computed", f"{found['restored_over_computed']:.2f}"],
        [
            f"`make push` of every output ({found['remote_objects']:,} objects, {found['remote_mb']:.0f} MB)",
            seconds(found["push_all_outputs_s"]),
        ],
        ["`make pull` of all of them into a fresh clone", seconds(found["pull_all_outputs_s"])],
    ]
    caption = f"Medians of {found['repeats']} repeats, one `make bench` run, moto's S3 server on loopback."
    return table(["all flights", "time"], rows, ["l", "r"]) + f"\n\n{caption}"
