"""`make new DATA=<csv or parquet> TARGET=<col> POSITIVE=<value> DEST=<folder> [TIME=<col>] [NAME=<pkg>]
[REMOTE=<folder or s3://...>]`: a table becomes a DVC project on mlkit that stands alone.

Every argument is checked before copier runs, with an error naming what is wrong. The project is made in
a scratch folder beside DEST: copier renders the repository's template (copier.yml at its root, so that
`copier update` can bring later template changes), the schema is written from a profile of the data,
the data is copied in and tracked with DVC, mlkit's wheel goes to vendor/ and is pinned by hash in a
lock cut from this repository's, the first `dvc repro` runs, the data and outputs are pushed to the
default remote, and everything is one git commit. Only then does the folder become DEST: on any
failure, nothing is left at DEST (nor a remote folder this command created).

The request and its checks are `mlkit.tooling.new_request`, copier's answers `mlkit.tooling.new_answers`,
the project's lock `mlkit.tooling.new_lock`; here, the rendering and the first run.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

import mlkit
from mlkit.profile import profile, schema_code
from mlkit.tooling.new_answers import answers
from mlkit.tooling.new_lock import project_lock
from mlkit.tooling.new_request import GeneratorError, Request, check, check_target
from mlkit.tooling.wheel import build_wheel

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "mlkit new",
    "GIT_AUTHOR_EMAIL": "mlkit-new@localhost",
    "GIT_COMMITTER_NAME": "mlkit new",
    "GIT_COMMITTER_EMAIL": "mlkit-new@localhost",
}


def run(command: Sequence[str], cwd: Path, env: dict, step: str) -> None:
    result = subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        detail = (result.stderr or result.stdout).strip()[-3000:]
        raise GeneratorError(f"{step} failed ({' '.join(command)}):\n{detail}")


def environment(project: Path) -> dict:
    """The environment of the project's commands here: this interpreter's tools first on PATH, the
    project's package and the mlkit in use importable (the project's own .venv does this after
    `make setup`)."""
    source = str(Path(mlkit.__file__).resolve().parents[1])
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return (
        os.environ
        | GIT_IDENTITY
        | {
            "PATH": path,
            "PYTHONPATH": f"{project / 'src'}{os.pathsep}{source}",
            "DVC_NO_ANALYTICS": "1",
            "PYTHONHASHSEED": "0",
        }
    )


def template_root() -> Path:
    """The repository holding copier.yml: the template's commit is recorded from its git history."""
    here = Path(__file__).resolve()
    for folder in here.parents:
        if (folder / "copier.yml").exists():
            return folder
    raise GeneratorError("copier.yml not found above mlkit: make new runs from the repository's checkout")


def render(request: Request, frame: pd.DataFrame, work: Path, timings: dict) -> None:
    """Make the whole project in `work` (which must not exist yet)."""
    import copier

    classes = check_target(frame, request.target, request.positive)
    started = time.perf_counter()
    scratch = work.parent / f"{work.name}.vendor"
    wheel = build_wheel(scratch)
    data = answers(request, frame, classes, wheel.name)
    copier.run_copy(
        str(template_root()), work, data=data, defaults=True, unsafe=True, quiet=True, vcs_ref="HEAD"
    )
    (work / "vendor").mkdir()
    shutil.move(wheel, work / "vendor" / wheel.name)
    shutil.rmtree(scratch)
    repo_lock = (template_root() / "requirements.lock").read_text()
    (work / "requirements.lock").write_text(project_lock(repo_lock, work / "vendor" / wheel.name))
    columns = profile(frame)
    schema = schema_code(columns, request.data.name, len(frame), request.target, classes)
    (work / "src" / request.name / "schema.py").write_text(schema)
    (work / "data").mkdir(exist_ok=True)
    shutil.copyfile(request.data, work / "data" / request.data.name)
    timings["render_s"] = time.perf_counter() - started
    env = environment(work)
    run(["ruff", "format", "--quiet", "src", "tests"], work, env, "ruff format")  # `make lint` passes
    if not (work / ".git").exists():
        run(["git", "init", "--quiet", "--initial-branch", "main"], work, env, "git init")
    run(["dvc", "init", "--quiet"], work, env, "dvc init")
    run(["dvc", "add", "--quiet", f"data/{request.data.name}"], work, env, "dvc add")
    if not request.remote.startswith("s3://"):
        Path(request.remote).mkdir(parents=True, exist_ok=True)
    run(["dvc", "remote", "add", "--default", "storage", request.remote], work, env, "dvc remote add")
    started = time.perf_counter()
    run(["dvc", "repro", "--quiet"], work, env, "the first dvc repro")
    timings["repro_s"] = time.perf_counter() - started
    run(["dvc", "push", "--quiet", "--run-cache"], work, env, f"dvc push to {request.remote}")
    run(["git", "add", "--all"], work, env, "git add")
    message = (
        f"{data['project_name']}: generated by make new from {request.data.name} with its first "
        "dvc repro (dvc.lock, metrics/)"
    )
    run(["git", "commit", "--quiet", "-m", message], work, env, "git commit")


def generate(request: Request, frame: pd.DataFrame) -> dict:
    """Make the project and move it to DEST; on failure remove everything this call made. Returns the
    timings of its steps (seconds)."""
    timings: dict = {}
    remote_made = not request.remote.startswith("s3://") and not Path(request.remote).exists()
    request.dest.parent.mkdir(parents=True, exist_ok=True)
    holder = Path(tempfile.mkdtemp(prefix=f".{request.dest.name}.new-", dir=request.dest.parent))
    try:
        started = time.perf_counter()
        render(request, frame, holder / "project", timings)
        if request.dest.exists():
            request.dest.rmdir()  # empty, as checked
        os.replace(holder / "project", request.dest)
        timings["total_s"] = time.perf_counter() - started
    except BaseException:
        if remote_made:
            shutil.rmtree(request.remote, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(holder, ignore_errors=True)
    return timings


def main(argv: Sequence[str] | None = None) -> int:
    try:
        request, frame = check(argv)
        timings = generate(request, frame)
        if request.timings:
            request.timings.write_text(json.dumps(timings, indent=2, sort_keys=True) + "\n")
    except GeneratorError as error:
        print(f"make new: {error}", file=sys.stderr)
        return 2
    print(
        f"make new: {request.dest} is a DVC project on mlkit (one git commit, data pushed to "
        f"{request.remote}), first dvc repro {timings['repro_s']:.1f} s. "
        f"Next: cd {request.dest} && make setup"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
