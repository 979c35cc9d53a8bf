"""The team's remote on all flights, against moto's S3 server on loopback (real S3 protocol over HTTP):
`make push` and `make pull` of every output with the run-cache, and a teammate's clone reproducing a
changed-params commit from the pulled run-cache against computing it, all in one run.

Each repeat: the first clone changes `train.hgb.max_iter` to a value never run, computes it (`dvc repro`)
and pushes; the teammate's clone pulls, makes the same change and runs `dvc repro --pull`, which must
restore every changed stage from the run-cache (fetching the outputs its records name) and run none."""

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import yaml
from tests.s3 import S3Server, start_s3_server

from benchmarks.workspace import WORK, median, run, scratch_repo, target

PUSH = ["python", "-m", "mlkit.tooling.remote", "push"]
PULL = ["python", "-m", "mlkit.tooling.remote", "pull"]
COMMIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-qam"]
CHANGED = {"train", "evaluate", "score", "monitor", "report"}  # downstream of `train` in dvc.yaml
MAX_ITER = 100  # params.yaml's train.hgb.max_iter; each repeat sets MAX_ITER + 1 + repeat, never run


@contextlib.contextmanager
def _server() -> Iterator[S3Server]:
    """A moto server, its keys and endpoint in this process's environment (which `run` passes on)."""
    WORK.mkdir(parents=True, exist_ok=True)
    server = start_s3_server(WORK / "moto.log")
    saved = dict(os.environ)
    os.environ.update(server.env)
    try:
        yield server
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()


def _clone(source: Path, name: str) -> Path:
    target_dir = WORK / name
    run(["rm", "-rf", str(target_dir)], WORK)
    run(["git", "clone", "-q", str(source), str(target_dir)], WORK)
    return target_dir


def _restored(output: str) -> tuple[set[str], set[str]]:
    ran = set(re.findall(r"Running stage '([^']+)'", output))
    restored = set(re.findall(r"Stage '([^']+)' is cached - skipping run, checking out outputs", output))
    return ran, restored


def _set_max_iter(repo: Path, value: int) -> None:
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["train"]["hgb"]["max_iter"] = value
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def _size_mb(server: S3Server, bucket: str) -> tuple[int, float]:
    pages = server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
    sizes = [item["Size"] for page in pages for item in page.get("Contents", [])]
    return len(sizes), sum(sizes) / 2**20


def bench(repeats: int) -> dict:
    with _server() as server:
        alice = scratch_repo("remote")
        run(["dvc", "repro"], alice)
        run(["dvc", "remote", "add", "-d", "team", f"{server.bucket('team')}/flights"], alice)
        run(["git", "commit", "-q", "--allow-empty", "-am", "reproduced, the team's remote"], alice)
        pushes, pulls = [], []
        for attempt in range(repeats):  # every push to an empty bucket, every pull into an empty clone
            name = f"push-{attempt}"
            run(["dvc", "remote", "add", "--local", name, f"{server.bucket(name)}/flights"], alice)
            pushes.append(run([*PUSH, "--remote", name], alice).seconds)
        objects, megabytes = _size_mb(server, "push-0")
        run(PUSH, alice)
        for attempt in range(repeats):
            pulls.append(run(PULL, _clone(alice, f"remote-clone-{attempt}")).seconds)

        teammate = WORK / f"remote-clone-{repeats - 1}"
        computed, restored, pulled = [], [], []
        for attempt in range(repeats):
            value = MAX_ITER + 1 + attempt
            _set_max_iter(alice, value)
            compute = run(["dvc", "repro"], alice)
            if _restored(compute.output) != (CHANGED, set()):
                raise RuntimeError(f"computing max_iter={value} did not run exactly {sorted(CHANGED)}")
            computed.append(compute.seconds)
            run(["git", "commit", "-qam", f"train.hgb.max_iter={value}"], alice)
            run(PUSH, alice)
            pulled.append(run(PULL, teammate).seconds)
            _set_max_iter(teammate, value)  # the same change, tried again by the teammate
            restore = run(["dvc", "repro", "--pull"], teammate)
            if _restored(restore.output) != (set(), CHANGED):
                raise RuntimeError(
                    f"the teammate did not restore {sorted(CHANGED)}:\n{restore.output[-2000:]}"
                )
            restored.append(restore.seconds)
            run([*COMMIT, "restored from the run-cache"], teammate)  # a clean workspace for the next pull
    ratio = median(restored) / median(computed)
    return {
        "push_all_outputs_s": median(pushes),
        "pull_all_outputs_s": median(pulls),
        "remote_objects": objects,
        "remote_mb": megabytes,
        "changed_params_computed_s": median(computed),
        "changed_params_restored_s": median(restored),
        "changed_params_pull_s": median(pulled),
        "restored_over_computed": ratio,
        "targets": {"restored_over_computed": target(ratio, "<", 0.25)},
    }
