"""Faults survived, for real: a `dvc repro` killed with SIGKILL mid-stage, a cache object damaged on disk,
and a stage whose output folder is full or read-only (a private mount namespace: `unshare -m`).

One repo with its own cache is killed during `train` and recovered by `make repro`'s steps; its outputs
must then equal the uninterrupted session repo's, byte for byte. The same repo then has cache objects
damaged and repaired by the commands `make check-cache` prints.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
import yaml

from conftest import Repo, make_repo

pytestmark = pytest.mark.slow

KILLED_STAGE = "train"
STALE_LOCKS = ("python", "-m", "mlkit.tooling.stale_locks")  # make repro's first step
CHECK_CACHE = ("python", "-m", "mlkit.tooling.cache_check")  # make check-cache


def locked_outs(repo: Repo) -> dict[str, str]:
    """Every output's md5 as dvc.lock records it, keyed by path."""
    stages = yaml.safe_load((repo.path / "dvc.lock").read_text())["stages"]
    return {out["path"]: out["md5"] for stage in stages.values() for out in stage.get("outs", [])}


def rwlock_pids(repo: Repo) -> set[int]:
    path = repo.path / ".dvc/tmp/rwlock"
    if not path.exists():
        return set()
    lock = json.loads(path.read_text())
    holders = [*lock.get("write", {}).values(), *(h for hs in lock.get("read", {}).values() for h in hs)]
    return {holder["pid"] for holder in holders}


def stage_process(dvc: psutil.Process, stage: str, timeout: float = 300) -> psutil.Process:
    """The process of `stage` that `dvc` started, once it runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in dvc.children(recursive=True):
            try:
                if f"flights.stages.{stage}" in " ".join(child.cmdline()):
                    return child
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.05)
    raise TimeoutError(f"stage {stage} did not start within {timeout} s")


@pytest.fixture(scope="module")
def killed_and_recovered(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A repo whose `dvc repro` was SIGKILLed while `train` ran, then recovered by `make repro`'s steps."""
    repo = make_repo(tmp_path_factory.mktemp("killed"))  # its own cache: every stage really runs
    dvc = subprocess.Popen(
        ["dvc", "repro"],
        cwd=repo.path,
        env=repo.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        stage = stage_process(psutil.Process(dvc.pid), KILLED_STAGE)
        time.sleep(1.0)  # well inside the stage: it fits models for several seconds
        assert stage.is_running(), "the stage ended before it could be killed"
        dvc.send_signal(signal.SIGKILL)
        dvc.wait(timeout=30)
        output = dvc.stdout.read() if dvc.stdout else ""
    finally:
        if dvc.poll() is None:
            dvc.kill()
    try:  # the stage must not run on unseen once its DVC is gone
        stage.wait(timeout=30)
        orphan_ended = True
    except psutil.TimeoutExpired:
        stage.kill()
        orphan_ended = False
    leftovers = sorted(
        p.relative_to(repo.path).as_posix()
        for p in repo.path.rglob(".*.tmp")
        if not p.relative_to(repo.path).as_posix().startswith((".dvc/", ".git/"))
    )
    dead_holders = rwlock_pids(repo)
    recovery = [repo.run(*STALE_LOCKS), repo.dvc("repro")]
    return {
        "repo": repo,
        "output": output,
        "orphan_ended": orphan_ended,
        "leftovers": leftovers,
        "dead_holders": dead_holders,
        "killed_pid": dvc.pid,
        "recovery": recovery,
    }


def test_sigkill_during_a_stage_is_recovered_by_make_repro(killed_and_recovered, pipeline_repo):
    run = killed_and_recovered
    repo: Repo = run["repo"]
    assert f"Running stage '{KILLED_STAGE}'" in run["output"]
    assert run["orphan_ended"], "the killed DVC's stage process kept running"
    assert run["leftovers"] == [], "a killed stage left temporary files among the outputs"
    assert run["dead_holders"] == {run["killed_pid"]}, "the killed DVC left no rwlock entry: nothing to test"
    dropped, repro = run["recovery"]
    assert f"pid {run['killed_pid']}" in dropped.stderr
    assert f"Running stage '{KILLED_STAGE}'" in repro.stdout  # rerun, not taken from a half-made state
    assert rwlock_pids(repo) == set()
    assert repo.dvc("status").stdout.strip() == "Data and pipelines are up to date."
    # byte-identical to the uninterrupted run of the same params
    assert locked_outs(repo) == locked_outs(pipeline_repo)
    assert repo.hashes("models", "metrics", "data/split") == pipeline_repo.hashes(
        "models", "metrics", "data/split"
    )


def test_stale_locks_keeps_a_live_holder(killed_and_recovered):
    """The entry of a running process stays; only those of ended (or reused) pids go."""
    repo: Repo = killed_and_recovered["repo"]
    lock = repo.path / ".dvc/tmp/rwlock"
    live = {"pid": os.getpid(), "cmd": "dvc repro (this test)"}
    lock.write_text(json.dumps({"read": {str(repo.path / "params.yaml"): [live]}}))
    try:
        result = repo.run(*STALE_LOCKS)
        assert result.stderr == ""
        assert rwlock_pids(repo) == {os.getpid()}
        # the same pid, but the file written long before this process started: a reused pid, dropped
        started = psutil.Process().create_time()
        os.utime(lock, (started - 60, started - 60))
        repo.run(*STALE_LOCKS)
        assert rwlock_pids(repo) == set()
    finally:
        lock.write_text("{}")


def damage(path: Path) -> None:
    """Flip bytes in the middle of a cache object, as bit rot does (size kept)."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(255 - b for b in data[middle : middle + 16])
    path.chmod(0o644)
    path.write_bytes(bytes(data))


def cache_object(repo: Repo, md5: str) -> Path:
    return repo.path / ".dvc/cache/files/md5" / md5[:2] / md5[2:]


def test_a_damaged_cache_object_is_named_with_its_repair(killed_and_recovered):
    """Bytes flipped in a folder's member object (its workspace copy intact) and in a file's object that
    `dvc checkout` then copies into the workspace: both named, and the printed repairs restore them."""
    repo: Repo = killed_and_recovered["repo"]
    assert repo.run(*CHECK_CACHE).returncode == 0
    outs = locked_outs(repo)
    prepared = cache_object(repo, outs["data/prepared/flights.parquet"])
    manifest = json.loads(cache_object(repo, outs["data/split"]).read_text())
    member = cache_object(repo, next(e["md5"] for e in manifest if e["relpath"] == "train.parquet"))
    damage(prepared)
    damage(member)
    # DVC itself copies the damaged object into the workspace and says nothing
    (repo.path / "data/prepared/flights.parquet").unlink()
    assert repo.dvc("checkout").returncode == 0
    checked = repo.run(*CHECK_CACHE, check=False)
    assert checked.returncode == 1, checked.stderr
    text = checked.stderr
    assert "2 damaged cache object(s)" in text
    assert "stage 'prepare', output data/prepared/flights.parquet" in text and str(prepared) in text
    assert "stage 'split', output data/split (data/split/train.parquet)" in text and str(member) in text
    repairs = re.findall(r"repair: (.+?)   \(", text)
    assert repairs == [
        f"rm -f '{prepared}' && dvc repro --force --single-item prepare",  # checked out damaged: rebuilt
        f"rm -f '{member}' && dvc commit --force split",  # the workspace copy is intact: saved again
    ]
    for repair in repairs:
        subprocess.run(repair, shell=True, cwd=repo.path, env=repo.env, check=True, capture_output=True)
    assert repo.run(*CHECK_CACHE).returncode == 0
    assert repo.dvc("status").stdout.strip() == "Data and pipelines are up to date."
    assert locked_outs(repo) == outs


# --- a full disk and a read-only folder: a private mount namespace over the session repo's output ---------

NAMESPACES = shutil.which("unshare") is not None and subprocess.run(["unshare", "-m", "true"]).returncode == 0
OUTPUT = "data/prepared"  # the prepare stage's output folder: a stage of a second or two


def run_in_namespace(repo: Repo, mount: str) -> subprocess.CompletedProcess:
    """`prepare` run by the stage runner as DVC runs it, with OUTPUT mounted by `mount` in a private
    namespace; then what OUTPUT holds there, so that the test sees no half-written file."""
    script = (
        f"mount --make-rprivate / && {mount} && "
        f"DVC_STAGE=prepare python -m flights.stages.prepare; code=$?; "
        f"echo; echo listing:; ls -A {OUTPUT}; exit $code"
    )
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        cwd=repo.path,
        env=repo.env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.skipif(not NAMESPACES, reason="needs root for a private mount namespace (unshare -m)")
@pytest.mark.parametrize(
    "mount, reason, advice",
    [
        (f"mount -t tmpfs -o size=4k tmpfs {OUTPUT}", "No space left on device", "free space on that disk"),
        (
            f"mount --bind {OUTPUT} {OUTPUT} && mount -o remount,bind,ro {OUTPUT}",
            "Read-only file system",
            "remount that file system read-write",
        ),
    ],
    ids=["ENOSPC", "EROFS"],
)
def test_an_output_that_cannot_be_written_gets_one_clear_message(pipeline_repo, mount, reason, advice):
    before = pipeline_repo.hashes(OUTPUT)
    result = run_in_namespace(pipeline_repo, mount)
    assert result.returncode == 1, result.stderr
    message = f"error: stage 'prepare' could not write {OUTPUT}/flights.parquet: {reason}."
    assert result.stderr.strip().startswith(message), result.stderr
    assert advice in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    listing = result.stdout.split("listing:\n", 1)[1].split()
    expected = [] if "tmpfs" in mount else sorted(p.name for p in (pipeline_repo.path / OUTPUT).iterdir())
    assert sorted(listing) == expected  # nothing half-written, no temporary file left
    assert pipeline_repo.hashes(OUTPUT) == before
