"""Pipeline timings on all 336,776 flights: DVC runs against the same stage code run directly."""

from benchmarks.workspace import cpu_probe, median, one_stage_repo, run, scratch_repo, target

DATA_STAGES = ["ingest", "validate", "prepare", "explore"]
MODEL_STAGES = ["split", "baseline", "train", "evaluate", "score", "monitor", "report"]
TARGETS = {"noop_repro_s": 1.0, "data_stages_dvc_s": 15.0, "dvc_overhead_s": 2.0, "full_pipeline_dvc_s": 45.0}


def bench(repeats: int) -> dict:
    repo = scratch_repo("pipeline")
    full, data, noop, probe = [], [], [], []
    direct: dict[str, list] = {stage: [] for stage in DATA_STAGES + MODEL_STAGES}
    peak: dict[str, float] = {}
    one_stage = one_stage_repo()
    floor = [run(["dvc", "repro"], one_stage).seconds for _ in range(repeats)]
    for _ in range(repeats):
        probe.append(cpu_probe())
        full.append(run(["dvc", "repro", "--force", "--no-run-cache"], repo).seconds)
        noop.append(run(["dvc", "repro"], repo).seconds)
        data.append(run(["dvc", "repro", "--force", "--no-run-cache", "explore"], repo).seconds)
        for stage in direct:
            result = run(["python", "-m", f"flights.stages.{stage}"], repo)
            direct[stage].append(result.seconds)
            peak[stage] = max(peak.get(stage, 0.0), result.peak_mb)
    stage_s = {stage: median(times) for stage, times in direct.items()}
    data_direct = sum(stage_s[s] for s in DATA_STAGES)
    full_direct = sum(stage_s.values())
    results = {
        "full_pipeline_dvc_s": median(full),
        "full_pipeline_direct_s": full_direct,
        "data_stages_dvc_s": median(data),
        "data_stages_direct_s": data_direct,
        "dvc_overhead_s": median(data) - data_direct,
        "full_dvc_overhead_s": median(full) - full_direct,
        "noop_repro_s": median(noop),
        "noop_repro_one_stage_repo_s": median(floor),
        "stage_direct_s": stage_s,
        "cpu_probe_s": median(probe),
        "stage_peak_mb": peak,
    }
    results["targets"] = {name: target(results[name], "<", limit) for name, limit in TARGETS.items()}
    return results
