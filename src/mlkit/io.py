"""Atomic, byte-stable writers: an output is either complete or absent, never half-written."""

import errno
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mlkit.errors import DataError

FLOAT_DIGITS = 6
# Why writing an output can fail whatever the code does: the machine's state, which the user must change.
WRITE_FAULTS = {
    errno.ENOSPC: "free space on that disk (or point the output folder at a larger one)",
    errno.EDQUOT: "free space within your disk quota, or ask for a larger one",
    errno.EFBIG: "the file system refuses a file this large: use one that allows it",
    errno.EROFS: "remount that file system read-write, or run the pipeline in a writable copy",
    errno.EACCES: "give the user running the stage write access to the folder",
    errno.EPERM: "give the user running the stage write access to the folder",
}


class WriteError(OSError):
    """An output could not be written for a reason outside the code (full disk, read-only folder, no
    permission); `filename` is the output's own path, not the temporary file's."""

    def advice(self) -> str:
        return WRITE_FAULTS.get(self.errno or 0, "fix the cause")


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn a machine-state OSError raised while writing `path` into a WriteError naming `path`; pyarrow's
    carries no file name at all."""
    try:
        yield
    except WriteError:
        raise
    except OSError as error:
        if error.errno not in WRITE_FAULTS:
            raise
        raise WriteError(error.errno, os.strerror(error.errno), str(path)) from error


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; move it into place only if the block succeeds."""
    path = Path(path)
    tmp = None
    try:
        with _writing(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            os.close(handle)
            yield Path(tmp)
            os.chmod(tmp, 0o644)  # mkstemp makes it private; outputs are ordinary files
            os.replace(tmp, path)
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def _rounded(value: Any) -> Any:
    """Round floats so that metrics files diff cleanly; NaN becomes null (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, FLOAT_DIGITS)
    return value


def write_json(obj: Any, path: Path) -> None:
    """Write JSON with sorted keys and rounded floats."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_rounded(obj), indent=2, sort_keys=True) + "\n")


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def read_parquet(path: Path, columns: list[str] | None = None, filters: list | None = None) -> pd.DataFrame:
    """A Parquet file, or only its `columns` and the rows that pass `filters` (pyarrow's filters, as
    [("month", "in", [11, 12])]), read column by column and row group by row group so that the rest is
    never loaded; one that is not readable (truncated, corrupt, not Parquet) is a DataError that names
    it, not pyarrow's bare "magic bytes not found"."""
    try:
        return pd.read_parquet(path, columns=columns, filters=filters)
    except FileNotFoundError:
        raise
    except (pa.ArrowException, OSError) as error:
        raise DataError(f"{path} is not a readable Parquet file: {error}") from None


def parquet_columns(path: Path) -> list[str]:
    """The column names of a Parquet file, from its footer (no row is read)."""
    return pq.read_schema(path).names


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Parquet without the index; byte-stable for pinned pandas and pyarrow."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g", lineterminator="\n")


def write_text(text: str, path: Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


@contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Yield a temporary folder beside `path`; it replaces `path` only if the block succeeds."""
    path = Path(path)
    with _writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        try:
            yield tmp
        except WriteError as error:  # a file written inside the temporary folder: name its final path
            if error.filename is None or not Path(error.filename).is_relative_to(tmp):
                raise
            final = path / Path(error.filename).relative_to(tmp)
            raise WriteError(error.errno, error.strerror, str(final)) from error
        with _writing(path):
            tmp.chmod(0o755)
            if path.exists():
                shutil.rmtree(path)
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
