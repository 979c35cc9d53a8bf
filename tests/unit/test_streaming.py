"""mlkit.streaming: tables read, sampled and written a row group at a time give the results of the
whole-table reads and writes of mlkit.io (down to the bytes where the table is one row group), and the
flights stages built on them give the whole-table results: prepare by months, the group-rate baseline
without a key per row."""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import ingested, write_source
from flights.data.prepare import account, clean_weather, prepare, prepare_part
from mlkit.baselines import GroupRateClassifier
from mlkit.errors import DataError
from mlkit.io import read_parquet, write_parquet
from mlkit.streaming import (
    copy_parquet_rows,
    missing_shares,
    parquet_rows,
    period_filters,
    read_by_periods,
    read_columns,
    read_parquet_parts,
    read_parquet_rows,
    write_parquet_parts,
)


@pytest.fixture(scope="module")
def flights(tmp_path_factory):
    source = write_source(tmp_path_factory.mktemp("source"))  # January: 2,000 flights
    return ingested({"source": str(source), "months": [1], "sample_fraction": 1.0, "seed": 1, "scale": 1})


def groups_file(frame: pd.DataFrame, path, rows: int):
    """`frame` written in row groups of `rows` rows, as pyarrow writes a large table."""
    write_parquet(frame, path)
    pq.write_table(pq.read_table(path), path, row_group_size=rows, compression="zstd")
    assert pq.ParquetFile(path).num_row_groups == -(-len(frame) // rows)
    return path


def test_parts_read_and_written_give_the_whole_table(flights, tmp_path):
    table = flights["flights"]
    path = groups_file(table, tmp_path / "groups.parquet", rows=len(table) // 4 + 1)
    whole = read_parquet(path, filters=[("day", "<", 10)])
    parts = list(read_parquet_parts(path, filters=[("day", "<", 10)]))
    assert len(parts) == 4
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole)
    write_parquet_parts(parts, tmp_path / "parts.parquet")
    pd.testing.assert_frame_equal(read_parquet(tmp_path / "parts.parquet"), whole)
    assert parquet_rows(path) == len(table)
    pd.testing.assert_frame_equal(
        read_columns(path, ["dest", "day"]), read_parquet(path, columns=["dest", "day"])
    )
    pd.testing.assert_series_equal(missing_shares(path), table.isna().mean())


def test_one_part_or_one_row_group_gives_the_bytes_of_the_whole_table_writer(flights, tmp_path):
    table = flights["flights"]
    write_parquet(table, tmp_path / "whole.parquet")
    write_parquet_parts([table.iloc[:0], table], tmp_path / "parts.parquet")  # an empty part is skipped
    assert (tmp_path / "parts.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    copy_parquet_rows(tmp_path / "whole.parquet", tmp_path / "copy.parquet", [("month", "in", [2])])
    write_parquet(table[table["month"] == 2], tmp_path / "cut.parquet")
    assert (tmp_path / "copy.parquet").read_bytes() == (tmp_path / "cut.parquet").read_bytes()


def test_a_part_that_fails_leaves_no_file(flights, tmp_path):
    def parts():
        yield flights["flights"]
        raise RuntimeError("the second part cannot be made")

    with pytest.raises(RuntimeError, match="second part"):
        write_parquet_parts(parts(), tmp_path / "out.parquet")
    assert list(tmp_path.iterdir()) == []


def test_only_empty_parts_give_an_empty_table_with_the_columns(flights, tmp_path):
    write_parquet_parts([flights["flights"].iloc[:0]], tmp_path / "empty.parquet")
    empty = read_parquet(tmp_path / "empty.parquet")
    assert empty.empty and list(empty.columns) == list(flights["flights"].columns)


def test_rows_read_by_position_are_the_sample_pandas_draws(flights, tmp_path):
    table = flights["flights"]
    path = groups_file(table, tmp_path / "groups.parquet", rows=1000)
    positions = np.random.RandomState(0).choice(len(table), size=500, replace=False)
    pd.testing.assert_frame_equal(read_parquet_rows(path, positions), table.sample(n=500, random_state=0))


def test_period_filters_read_whole_periods_in_order_within_the_row_limit(flights, tmp_path):
    table = flights["flights"]
    path = groups_file(table, tmp_path / "groups.parquet", rows=5000)
    days = table.groupby(["month", "day"]).size()
    limit = int(days.max()) * 3  # three days at most per part
    parts = period_filters(path, ["month", "day"], max_rows=limit)
    read = [read_parquet(path, filters=part) for part in parts]
    assert all(len(part) <= limit for part in read) and len(parts) >= len(days) // 3
    together = pd.concat(read, ignore_index=True)
    assert list(together.groupby(["month", "day"], sort=False).size().index) == sorted(days.index)
    assert len(together) == len(table) and not together.duplicated().any()
    assert len(period_filters(path, ["month", "day"], max_rows=1)) == len(days)  # a period alone at most
    assert len(period_filters(path, ["month"])) == 1  # a small table is one part
    by_days = list(read_by_periods(path, ["month", "day"], ["day", "flight"]))
    assert len(by_days) == len(period_filters(path, ["month", "day"]))
    pd.testing.assert_frame_equal(pd.concat(by_days, ignore_index=True), together[["day", "flight"]])


def test_prepare_by_whole_days_gives_the_whole_table(flights):
    """The stage prepares whole months at a time; the test's source holds one month, so: halves of it."""
    label = {"policy": "completed", "delay_minutes": 15}
    whole, whole_account = prepare(flights, label)
    weather, blanked = clean_weather(flights["weather"])
    tables, counts = [], None
    for first_half in (True, False):
        days = flights["flights"][(flights["flights"]["day"] <= 15) == first_half]
        table, part_counts = prepare_part(days, {**flights, "weather": weather}, label)
        tables.append(table)
        counts = part_counts if counts is None else counts + part_counts
    pd.testing.assert_frame_equal(pd.concat(tables, ignore_index=True), whole)
    assert account(counts, blanked, label) == whole_account


def test_group_rates_skip_rows_without_a_group_and_give_them_the_prior():
    frame = pd.DataFrame({"carrier": ["AA", "AA", None, "UA", "UA", "UA"], "hour": [5, 5, 5, 6, 6, 7]})
    y = np.array([1, 0, 1, 1, 1, 0])
    model = GroupRateClassifier(("carrier", "hour"), smoothing=0).fit(frame, y)
    assert model.rates_ == {"AA|5": 0.5, "UA|6": 1.0, "UA|7": 0.0}
    unseen = pd.DataFrame({"carrier": ["UA", None, "B6"], "hour": [6, 6, 6]})
    assert model.predict_proba(unseen)[:, 1].tolist() == [1.0, model.prior_, model.prior_]


def test_a_file_that_is_not_parquet_is_named(tmp_path):
    bad = tmp_path / "flights.parquet"
    bad.write_bytes(b"not parquet at all")
    for read in (parquet_rows, lambda path: list(read_parquet_parts(path)), missing_shares):
        with pytest.raises(DataError, match=f"{bad} is not a readable Parquet file"):
            read(bad)
    with pytest.raises(DataError, match="is not a readable Parquet file"):
        copy_parquet_rows(bad, tmp_path / "copy.parquet", [("month", "==", 1)])
    assert not (tmp_path / "copy.parquet").exists()
