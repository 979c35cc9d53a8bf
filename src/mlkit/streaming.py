"""Tables larger than memory, a part at a time: stages read, sample and write them row group by row
group (pyarrow writes at most PART_ROWS rows to a group), so that their memory stays bounded as the data
grow; a table of one row group is read and written in one piece, with the bytes of `mlkit.io`'s
whole-table reader and writer."""

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mlkit.errors import DataError
from mlkit.io import atomic_path, read_parquet

PART_ROWS = 1_048_576  # pyarrow's largest row group, and the rows of a part that `period_filters` plans


def _opened(path: Path) -> pq.ParquetFile:
    """A Parquet file opened for reading; one that is not readable (truncated, corrupt, not Parquet) is a
    DataError that names it, as in `mlkit.io.read_parquet`."""
    try:
        return pq.ParquetFile(path)
    except FileNotFoundError:
        raise
    except (pa.ArrowException, OSError) as error:
        raise DataError(f"{path} is not a readable Parquet file: {error}") from None


def parquet_rows(path: Path) -> int:
    """The number of rows of a Parquet file, from its footer (no row is read)."""
    return _opened(path).metadata.num_rows


def read_parquet_parts(
    path: Path, columns: list[str] | None = None, filters: list | None = None
) -> Iterator[pd.DataFrame]:
    """`read_parquet` one row group at a time, in the file's order: a table larger than memory is
    streamed, a part at most a row group's rows."""
    source = _opened(path)
    keep = pq.filters_to_expression(filters) if filters else None
    for group in range(source.num_row_groups):
        part = source.read_row_group(group, columns=columns)
        yield (part.filter(keep) if keep is not None else part).to_pandas()


def read_columns(path: Path, columns: list[str]) -> pd.DataFrame:
    """`read_parquet(path, columns)` a column at a time: reading a large table costs its frame and one
    column more, where a whole read holds the Arrow table and the frame at once (twice the memory)."""
    return pd.concat([read_parquet(path, columns=[column]) for column in columns], axis=1)


def read_parquet_rows(path: Path, positions: np.ndarray) -> pd.DataFrame:
    """The rows of a Parquet file at `positions` (0-based, distinct, in any order), in that order and
    indexed by position, as `read_parquet(path).take(positions)` with the index kept: a sample of a
    large table is read a row group at a time, never the whole table."""
    source = _opened(path)
    wanted = np.sort(positions)
    pieces, start = [], 0
    for group in range(source.num_row_groups):
        rows = source.metadata.row_group(group).num_rows
        low, high = np.searchsorted(wanted, [start, start + rows])
        if high > low:
            pieces.append(source.read_row_group(group).take(wanted[low:high] - start))
        start += rows
    table = pa.concat_tables(pieces) if pieces else source.schema_arrow.empty_table()
    return table.to_pandas().set_axis(pd.Index(wanted), axis=0).loc[positions]


def period_filters(path: Path, columns: list[str], max_rows: int = PART_ROWS) -> list[list]:
    """pyarrow filters, one per part, that read the table at `path` in parts of whole periods (the
    distinct values of `columns`, as year and month) in period order: consecutive periods while a part
    stays within `max_rows` rows; a period larger than that is a part by itself. A stage that must
    hold whole periods (to sort by time) holds one part at a time; a small table is one part."""
    counts = pd.concat([part.value_counts() for part in read_parquet_parts(path, columns=columns)])
    counts = counts.groupby(level=list(range(counts.index.nlevels))).sum().sort_index()
    parts: list[list] = []
    rows = 0
    for period, count in counts.items():
        values = period if isinstance(period, tuple) else (period,)
        condition = [
            (column, "==", value.item() if hasattr(value, "item") else value)
            for column, value in zip(columns, values, strict=True)
        ]
        if not parts or rows + count > max_rows:
            parts.append([])
            rows = 0
        parts[-1].append(condition)
        rows += count
    return parts


def read_by_periods(
    path: Path, periods: list[str], columns: list[str] | None = None
) -> Iterator[pd.DataFrame]:
    """The table at `path` (its `columns`) a part of whole periods at a time, in period order: the parts
    `period_filters` plans."""
    for part in period_filters(path, periods):
        yield read_parquet(path, columns=columns, filters=part)


def copy_parquet_rows(source: Path, path: Path, filters: list) -> None:
    """The rows of `source` that pass `filters` (as `read_parquet`'s), copied into `path` a row group at
    a time, atomically and without a pandas round trip: the bytes `write_parquet` gives those rows."""
    table, keep = _opened(source), pq.filters_to_expression(filters)
    with atomic_path(path) as tmp, pq.ParquetWriter(tmp, table.schema_arrow, compression="zstd") as writer:
        for group in range(table.num_row_groups):
            writer.write_table(table.read_row_group(group).filter(keep))


def write_parquet_parts(parts: Iterable[pd.DataFrame], path: Path) -> None:
    """One Parquet file from a table's parts, written as they come (no two parts in memory), atomically.
    The first part with rows fixes the schema; one part gives the bytes of `write_parquet`."""
    with atomic_path(path) as tmp:
        writer, schema, last = None, None, None
        try:
            for part in parts:
                last = part
                if part.empty:
                    continue
                table = pa.Table.from_pandas(part, schema=schema, preserve_index=False)
                if writer is None:
                    schema = table.schema
                    writer = pq.ParquetWriter(tmp, schema, compression="zstd")
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()
        if writer is None:  # no part had rows: the empty table, with the last part's columns
            if last is None:
                raise ValueError(f"no part given to write {path}")
            last.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")


def missing_shares(path: Path) -> pd.Series:
    """The share of rows missing a value, for every column of a Parquet file in its order, as
    `read_parquet(path).isna().mean()`, read a column and a row group at a time."""
    missing = {
        column: sum(int(part[column].isna().sum()) for part in read_parquet_parts(path, [column]))
        for column in _opened(path).schema_arrow.names
    }
    return pd.Series(missing, dtype=float) / max(parquet_rows(path), 1)
