"""`make new DATA=<csv or parquet> TARGET=<col> POSITIVE=<value> DEST=<folder> [TIME=<col>] [NAME=<pkg>]
[REMOTE=<folder or s3://...>]`: the request, every argument and the table checked before copier runs.

Each check raises GeneratorError naming what is wrong and what to do; the table is read once. This
docstring's first line is `make new --help`'s description.
"""

import argparse
import keyword
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mlkit.errors import DataError
from mlkit.tabular import PERIOD, ROW_ID, periods, time_kind

RESERVED = (ROW_ID, PERIOD)  # columns mlkit adds to the table
MIN_PERIODS = 3  # a walk-forward backtest needs a fitted period, a scored one, and a test period


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
