"""A scratch git+DVC copy of the project, so benchmarks never touch the working tree or its cache."""

import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"


def environment() -> dict[str, str]:
    """What every benchmarked command runs with; PYTHONPATH=src, as dvc.yaml's commands set it, so that a
    stage run directly imports the scratch copy's code, not the working tree's (installed editable)."""
    env = dict(os.environ, DVC_NO_ANALYTICS="1", PYTHONHASHSEED="0", PYTHONPATH="src")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return env


@dataclass
class Run:
    seconds: float
    peak_mb: float
    output: str


def run(command: list[str], cwd: Path, check: bool = True) -> Run:
    """Run a command, returning its wall time and its own peak resident memory (not its parent's)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if check and process.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{output[-3000:]}")
    return Run(seconds, usage.ru_maxrss / 1024, output)


BUSY = [sys.executable, "-c", "sum(i * i for i in range(15_000_000))"]


def cpu_probe() -> float:
    """Seconds of a fixed pure-Python loop in a fresh process: how fast the shared machine is just now,
    printed beside absolute timings (the same code has measured 40% apart between runs)."""
    start = time.perf_counter()
    subprocess.run(BUSY, check=True)
    return time.perf_counter() - start


def median(values: list[float]) -> float:
    return statistics.median(values)


def _empty(name: str) -> Path:
    target = WORK / name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    return target


def _commit_all(target: Path, setup: list[list[str]], message: str) -> None:
    """`git init`, the `setup` commands, then one commit of everything."""
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "config", "user.email", "bench@example.invalid"],
        ["git", "config", "user.name", "bench"],
        *setup,
        ["git", "add", "-A"],
        ["git", "commit", "-qm", message],
    ):
        run(command, target)


def scratch_repo(name: str) -> Path:
    """A fresh git repository holding the project's tracked files, with one commit."""
    target = _empty(name)
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split("\n")  # fmt: skip
    for relative in filter(None, files):
        source = ROOT / relative
        if source.is_file() and not relative.startswith("benchmarks/work"):
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    _commit_all(target, [], "benchmark workspace")
    return target


def drop_declarations(repo: Path, code: bool = False, params: bool = False) -> None:
    """Rewrite reproduced `repo`'s dvc.yaml without its `src/` dependencies (`code`) and/or its stages'
    `params:`, and accept its outputs as they stand (`dvc commit --force`: nothing re-run, dvc.lock
    rewritten); fails unless `dvc status` is then clean.

    Not a setup to use (an edit would then re-run nothing): it measures what DVC pays for those
    declarations. Comments are not kept."""
    dvc_yaml = repo / "dvc.yaml"
    spec = yaml.safe_load(dvc_yaml.read_text())
    for stage in spec["stages"].values():
        if code:
            stage["deps"] = [dep for dep in stage.get("deps", []) if not dep.startswith("src/")]
        if params:
            stage.pop("params", None)
    dvc_yaml.write_text(yaml.safe_dump(spec, sort_keys=False, width=1000))
    run(["dvc", "commit", "--force", "--quiet"], repo)
    if "up to date" not in run(["dvc", "status"], repo).output:
        raise RuntimeError(f"{repo}: dvc status is not clean after dvc commit")


ONE_STAGE = """stages:
  copy:
    cmd: python -c "import shutil; shutil.copy('params.yaml', 'out.yaml')"
    params: [x]
    outs: [out.yaml]
"""


def one_stage_repo() -> Path:
    """A git+DVC repository with a single one-line stage: what DVC itself costs, whatever the pipeline."""
    target = _empty("one_stage")
    (target / "dvc.yaml").write_text(ONE_STAGE)
    (target / "params.yaml").write_text("x: 0\n")
    setup = [["dvc", "init", "-q"], ["dvc", "config", "core.analytics", "false"], ["dvc", "repro", "-q"]]
    _commit_all(target, setup, "one stage")
    return target


def threads() -> dict[str, str]:
    """What the thread settings are, printed beside every timing."""
    from mlkit.runtime import THREADS, jobs

    return {
        "stage_threads": str(THREADS),
        "stage_processes": f"{jobs()}, 1 in each queue worker",
        "cpus_available": str(len(os.sched_getaffinity(0))),
    }


def target(measured: float, relation: str, limit: float) -> dict:
    """A measured figure against its limit: relation '<' means measured must stay below the limit."""
    met = measured < limit if relation == "<" else measured >= limit
    return {"measured": measured, "relation": relation, "limit": limit, "met": met}
