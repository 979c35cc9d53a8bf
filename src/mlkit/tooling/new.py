"""`make new DATA=<csv or parquet> TARGET=<col> POSITIVE=<value> DEST=<folder> [TIME=<col>] [NAME=<pkg>]
[REMOTE=<folder or s3://...>]`: a table becomes a DVC project on mlkit that stands alone.

Every argument is checked before copier runs, with an error naming what is wrong. The project is made in
a scratch folder beside DEST: copier renders the repository's template (copier.yml at its root, so that
`copier update` can bring later template changes), the schema is written from a profile of the data,
the data is copied in and tracked with DVC, mlkit's wheel goes to vendor/ and is pinned by hash in a
lock cut from this repository's, the first `dvc repro` runs, the data and outputs are pushed to the
default remote, and everything is one git commit. Only then does the folder become DEST: on any
failure, nothing is left at DEST (nor a remote folder this command created).
"""

import argparse
import hashlib
import importlib.metadata
import json
import keyword
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import mlkit
from mlkit.errors import DataError
from mlkit.profile import profile, schema_code
from mlkit.tabular import PERIOD, ROW_ID, choose_group_by, periods, time_kind
from mlkit.tooling.wheel import build_wheel

RESERVED = (ROW_ID, PERIOD)  # columns mlkit adds to the table
MIN_PERIODS = 3  # a walk-forward backtest needs a fitted period, a scored one, and a test period
TEST_SHARE = 0.2  # of the periods (at least one), the last ones
BACKTEST_FOLDS = 3  # the last training periods scored, each by a model fitted on those before it
# What the generated project installs beyond mlkit: the fast YAML and HTTP parts, the S3 remote,
# `copier update`, its tests and docs. Their dependencies come along (from installed metadata).
PROJECT_TOOLS = (
    "ruamel.yaml.clib",
    "httptools",
    "uvloop",
    "dvc-s3",
    "copier",
    "pytest",
    "httpx",
    "ruff",
    "check-jsonschema",
    "mkdocs",
    "setuptools",
)
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "mlkit new",
    "GIT_AUTHOR_EMAIL": "mlkit-new@localhost",
    "GIT_COMMITTER_NAME": "mlkit new",
    "GIT_COMMITTER_EMAIL": "mlkit-new@localhost",
}


class GeneratorError(ValueError):
    """A bad argument or a failed step: its message says which, and what to do."""


@dataclass(frozen=True)
class Request:
    data: Path
    target: str
    positive: str
    dest: Path
    time: str | None
    name: str
    remote: str
    timings: Path | None = None


# ------------------------------------------------------------------------------------ the checks
def read_table(path: Path) -> pd.DataFrame:
    """The table at `path` (CSV or Parquet by extension), or GeneratorError naming what is wrong."""
    if not path.exists():
        raise GeneratorError(f"DATA={path}: no such file")
    if not path.is_file():
        raise GeneratorError(f"DATA={path}: not a file")
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise GeneratorError(f"DATA={path}: a .csv or .parquet file is expected")
    try:
        frame = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
    except pd.errors.EmptyDataError as error:
        raise GeneratorError(f"DATA={path}: the file is empty") from error
    except Exception as error:  # a corrupt file or an unreadable encoding: pandas raises many types
        raise GeneratorError(f"DATA={path}: cannot be read: {error}") from error
    if frame.empty:
        raise GeneratorError(f"DATA={path}: the table has no rows")
    return frame


def check_target(frame: pd.DataFrame, target: str, positive: str) -> list[str]:
    """The target's two values as text, the negative first; GeneratorError unless TARGET is a column
    with exactly two values and POSITIVE one of them."""
    if target not in frame.columns:
        raise GeneratorError(f"TARGET={target!r} is not a column of DATA (columns: {list(frame.columns)})")
    values = sorted(frame[target].dropna().astype(str).unique().tolist())
    if len(values) != 2:
        shown = values[:10] + (["..."] if len(values) > 10 else [])
        raise GeneratorError(
            f"TARGET={target!r} has {len(values)} distinct value(s) {shown}: a binary outcome has two"
        )
    if positive not in values:
        raise GeneratorError(f"POSITIVE={positive!r} is not a value of TARGET={target!r} (values: {values})")
    return [v for v in values if v != positive] + [positive]


def check_name(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or keyword.iskeyword(name):
        raise GeneratorError(
            f"NAME={name!r} is not a valid package name: lower-case letters, digits and _, not starting "
            "with a digit (e.g. penguins_sex)"
        )
    if name in sys.stdlib_module_names or name in ("mlkit", "tests", "src"):
        raise GeneratorError(f"NAME={name!r} would shadow the module of the same name: choose another")
    return name


def default_name(dest: Path) -> str:
    name = re.sub(r"[^a-z0-9_]+", "_", dest.name.lower()).strip("_") or "project"
    return f"project_{name}" if name[0].isdigit() else name


def check_dest(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise GeneratorError(f"DEST={dest} exists and is not an empty folder: choose a new folder")


def check_remote(remote: str) -> None:
    if remote.startswith("s3://"):
        return
    if "://" in remote:
        raise GeneratorError(f"REMOTE={remote!r}: a folder or an s3:// URL is expected")
    path = Path(remote)
    if path.exists() and not path.is_dir():
        raise GeneratorError(f"REMOTE={remote}: exists and is not a folder")


def check(argv: Sequence[str] | None = None) -> tuple[Request, pd.DataFrame]:
    """Parse and check every argument, reading the data once; GeneratorError on the first problem."""
    parser = argparse.ArgumentParser(prog="make new", description=__doc__.splitlines()[0])
    for flag in ("data", "target", "positive", "dest"):
        parser.add_argument(f"--{flag}", required=True)
    for flag in ("time", "name", "remote"):
        parser.add_argument(f"--{flag}", default="")
    parser.add_argument("--timings", type=Path, help="write the seconds of each step there, as JSON")
    args = parser.parse_args(argv)
    for flag in ("data", "target", "positive", "dest"):
        if not getattr(args, flag):
            raise GeneratorError(
                f"{flag.upper()} is required: make new DATA=... TARGET=... POSITIVE=... DEST=..."
            )
    dest = Path(args.dest).absolute()
    check_dest(dest)
    name = check_name(args.name) if args.name else check_name(default_name(dest))
    remote = args.remote or str(dest.parent / f"{dest.name}-dvc-remote")
    check_remote(remote)
    frame = read_table(Path(args.data))
    clash = [c for c in RESERVED if c in frame.columns]
    if clash:
        raise GeneratorError(f"DATA has column(s) {clash}, names mlkit gives its own columns: rename them")
    check_target(frame, args.target, args.positive)
    if args.time:
        if args.time not in frame.columns:
            raise GeneratorError(
                f"TIME={args.time!r} is not a column of DATA (columns: {list(frame.columns)})"
            )
        if args.time == args.target:
            raise GeneratorError(f"TIME={args.time!r} is the target")
        try:
            kind = time_kind(frame[args.time])
        except DataError as error:
            raise GeneratorError(str(error)) from error
        found = periods(frame[args.time].dropna(), kind).nunique()
        if found < MIN_PERIODS:
            raise GeneratorError(
                f"TIME={args.time!r} has {found} period(s); a backtest needs at least {MIN_PERIODS} "
                "(a fitted one, a scored one and a test one): leave TIME out for a stratified split"
            )
    if not os.path.isabs(remote) and "://" not in remote:
        remote = str(Path(remote).absolute())
    request = Request(
        Path(args.data), args.target, args.positive, dest, args.time or None, name, remote, args.timings
    )
    return request, frame


# ------------------------------------------------------------------------------------ the answers
def time_split(values: pd.Series, kind: str) -> dict[str, list]:
    """The last TEST_SHARE of the periods (at least one) for test, the rest for training, the last
    BACKTEST_FOLDS training periods (leaving at least one before them) as the backtest's folds."""
    found = sorted(periods(values.dropna(), kind).unique().tolist())
    test = max(1, round(TEST_SHARE * len(found)))
    train = found[:-test]
    backtest = train[-min(BACKTEST_FOLDS, len(train) - 1) :]
    as_plain = int if kind == "number" and all(float(p).is_integer() for p in found) else (lambda p: p)
    return {
        name: [as_plain(p) for p in part]
        for name, part in (
            ("train_periods", train),
            ("backtest_periods", backtest),
            ("test_periods", found[-test:]),
        )
    }


def answers(request: Request, frame: pd.DataFrame, classes: list[str], wheel: str) -> dict:
    """copier's answers: the project's names and what the data decides (features, split, baseline)."""
    columns = {c.name: c for c in profile(frame)}
    special = {request.target, request.time}
    categorical = [n for n, c in columns.items() if n not in special and c.kind is str and c.categories]
    numeric = [
        n
        for n, c in columns.items()
        if n not in special and c.kind is not str and not (c.kind is int and frame[n].nunique() == len(frame))
    ]
    ignored = [n for n in columns if n not in special and n not in categorical and n not in numeric]
    if not categorical and not numeric:
        raise GeneratorError(
            "DATA has no column to learn from besides TARGET and TIME "
            f"(left out as ids or free text: {ignored})"
        )
    labelled = frame[frame[request.target].notna()]
    split: dict = {"time_kind": ""}
    fit_rows = labelled
    if request.time:
        kind = time_kind(frame[request.time])
        split = {"time_kind": kind, **time_split(frame[request.time], kind)}
        fit_rows = labelled[periods(labelled[request.time], kind).isin(split["train_periods"])]
    y = (fit_rows[request.target].astype(str) == request.positive).astype(int).to_numpy()
    group_by = choose_group_by(fit_rows, y, categorical, smoothing=20)
    return {
        "project_name": f"{request.name}: {request.target} = {request.positive}",
        "package": request.name,
        "data_file": request.data.name,
        "target": request.target,
        "positive": request.positive,
        "classes": classes,
        "time": request.time or "",
        **split,
        "categorical": categorical,
        "numeric": numeric,
        "ignored": ignored,
        "group_by": group_by,
        "mlkit_wheel": wheel,
    }


# ------------------------------------------------------------------------------------ the lock
def _blocks(lock: str) -> dict[str, str]:
    """The lock's entries by canonical name: each entry's text (pin, hashes, `# via` lines)."""
    found: dict[str, str] = {}
    name = None
    for line in lock.splitlines(keepends=True):
        if line and not line[0].isspace() and not line.startswith("#"):
            name = canonicalize_name(re.split(r"[=<>\[ ]", line, maxsplit=1)[0])
            found[name] = ""
        if name is not None:
            found[name] += line
    return found


def closure(roots: Sequence[str]) -> set[str]:
    """The installed distributions `roots` need, transitively (markers of this interpreter)."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def project_lock(repo_lock: str, wheel: Path) -> str:
    """The generated project's hashed lock: this repository's pins of what mlkit and the project's
    tools need, and mlkit's wheel from vendor/ by its hash."""
    roots = [*mlkit_dependencies(), *PROJECT_TOOLS]
    needed = closure(roots)
    entries = _blocks(repo_lock)
    kept = [entries[name] for name in sorted(needed) if name in entries]
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    header = (
        "# The project's pinned, hashed environment (`make setup`): cut by `make new` from the lock of the\n"
        "# repository it was generated from, with mlkit's wheel from vendor/.\n"
    )
    return header + "".join(kept) + f"./vendor/{wheel.name} \\\n    --hash=sha256:{digest}\n"


def mlkit_dependencies() -> list[str]:
    """mlkit's dependencies as its pyproject.toml lists them."""
    import tomllib

    pyproject = tomllib.loads((Path(mlkit.__file__).parent / "pyproject.toml").read_text())
    return [Requirement(text).name for text in pyproject["project"]["dependencies"]]


# ------------------------------------------------------------------------------------ the making
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
