"""`data.scale`: each kept flight replicated with a distinct key, deterministically; scale 1 is the data
itself (flights.data.ingest.replicate). And what keeps the stages' memory bounded gives the results of
the code it replaced: reads by columns and months, chunked scoring, the training-row cap (mlkit.io,
mlkit.evaluation, mlkit.backtest). Real raw tables from a small source folder."""

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from pandera.errors import SchemaErrors
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from conftest import ingested, write_source
from flights.data.ingest import replicated_parts
from flights.data.prepare import prepare
from flights.data.tables import HARD
from flights.data.validate import coverage
from flights.shared.vocabulary import FLIGHT_KEYS, REPLICA, flight_keys
from mlkit.backtest import RowCap, fit_backtested, walk_forward
from mlkit.evaluation import positive_proba
from mlkit.io import parquet_columns, read_parquet, write_parquet
from mlkit.validation import DataError, enforce


def params(folder, **overrides) -> dict:
    return {"source": str(folder), "months": [1], "sample_fraction": 1.0, "seed": 1, "scale": 1} | overrides


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return write_source(tmp_path_factory.mktemp("scale-source"))


@pytest.fixture(scope="module")
def plain(source):
    return ingested(params(source))


@pytest.fixture(scope="module")
def tripled(source):
    return ingested(params(source, scale=3))


def test_scale_one_is_the_table_itself(plain):
    assert REPLICA not in plain["flights"].columns
    assert flight_keys(plain["flights"].columns) == FLIGHT_KEYS


def test_replicas_are_copies_with_distinct_keys(plain, tripled):
    flights, original = tripled["flights"], plain["flights"]
    assert len(flights) == 3 * len(original)
    assert not flights.duplicated(flight_keys(flights.columns)).any()
    assert flights.duplicated(FLIGHT_KEYS).sum() == 2 * len(original)  # only the replica tells copies apart
    for k in range(3):
        copy = flights[flights[REPLICA] == k].drop(columns=REPLICA).reset_index(drop=True)
        pd.testing.assert_frame_equal(copy, original)
    assert flights[REPLICA].head(6).tolist() == [0, 1, 2, 0, 1, 2]  # each flight's copies side by side
    enforce(flights, HARD["flights"], "flights")  # the raw key, replica included, holds


def test_replicas_written_by_parts_are_the_replicated_table(plain, tripled):
    """ingest writes the replicas a part at a time (the replicated table never whole in memory)."""
    parts = list(replicated_parts(plain["flights"], 3, part_rows=700))
    assert len(parts) == -(-len(plain["flights"]) // 233) and all(len(part) <= 700 for part in parts)
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), tripled["flights"])
    assert len(list(replicated_parts(plain["flights"], 1))) == 1  # scale 1: the table itself, in one part


def test_replication_is_deterministic(source, tripled):
    pd.testing.assert_frame_equal(ingested(params(source, scale=3))["flights"], tripled["flights"])


def test_a_repeated_replica_breaks_the_key(tripled):
    flights = tripled["flights"].copy()
    flights.loc[1, REPLICA] = 0
    with pytest.raises((DataError, SchemaErrors), match="unique"):
        enforce(flights, HARD["flights"], "flights")


def test_replicas_join_like_their_flight(plain, tripled):
    """Coverage shares and the prepared rows of each replica are those of the original flights."""

    def tripled_counts(found: dict) -> dict:
        counts = {key: found[key] * 3 for key in ("rows", "matched", "unmatched")}
        return found | counts | {"top_unmatched": [[key, n * 3] for key, n in found["top_unmatched"]]}

    assert coverage(tripled) == {name: tripled_counts(found) for name, found in coverage(plain).items()}
    label = {"policy": "disrupted", "delay_minutes": 15}
    table, accounting = prepare(tripled, label)
    original, _ = prepare(plain, label)
    assert accounting["rows_out"] == 3 * len(original)
    first = table[table[REPLICA] == 0].drop(columns=REPLICA).reset_index(drop=True)
    pd.testing.assert_frame_equal(first, original)


# ----------------------------------------------------------------------- bounded memory: the same results
def test_parquet_read_by_columns_and_months_equals_the_frame_cut(plain, tmp_path):
    """What `split` and `score` read (a part's months, a few columns) is the whole file's rows cut in pandas,
    down to the bytes of the part written back."""
    path = tmp_path / "flights.parquet"
    flights = plain["flights"].assign(month=lambda f: f["day"] % 3 + 1)  # three "months" in January's rows
    write_parquet(flights, path)
    for months in ([1], [2, 3]):
        part = read_parquet(path, filters=[("month", "in", months)])
        pd.testing.assert_frame_equal(part, flights[flights["month"].isin(months)].reset_index(drop=True))
        write_parquet(part, tmp_path / "a.parquet")
        write_parquet(flights[flights["month"].isin(months)], tmp_path / "b.parquet")
        assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    assert parquet_columns(path) == list(flights.columns)
    pd.testing.assert_frame_equal(read_parquet(path, columns=["dest", "month"]), flights[["dest", "month"]])


def test_chunked_scoring_gives_the_numbers_of_one_call():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(1000, 3)), columns=["a", "b", "c"])
    model = HistGradientBoostingClassifier(max_iter=20).fit(frame, frame["a"] + rng.normal(size=1000) > 0)
    whole = model.predict_proba(frame)[:, 1]
    assert np.array_equal(positive_proba(model, frame, chunk_rows=97), whole)


def test_the_row_cap_samples_deterministically_and_only_beyond_it():
    positions = np.arange(100, 300, 2)
    cap = RowCap(max_rows=30, seed=1)
    sample = cap.apply(positions)
    assert len(sample) == 30 and set(sample) <= set(positions)
    assert (np.diff(sample) > 0).all()  # kept in the data's order
    assert np.array_equal(sample, RowCap(max_rows=30, seed=1).apply(positions))
    assert not np.array_equal(sample, RowCap(max_rows=30, seed=2).apply(positions))
    assert RowCap(max_rows=100).apply(positions) is positions
    assert cap.describe(100) == {"max_rows": 30, "seed": 1, "sampled": True}
    assert cap.describe(30)["sampled"] is False


class Recording(LogisticRegression):
    """A logistic regression on `x` that records how many rows each fit was given."""

    seen: ClassVar[list[int]] = []

    def fit(self, X, y):
        Recording.seen.append(len(X))
        return super().fit(X[["x"]], y)

    def predict_proba(self, X):
        return super().predict_proba(X[["x"]])


def test_a_capped_backtest_fits_on_the_sample_one_fit_at_a_time_and_scores_every_row(monkeypatch):
    """Beyond the cap the fits run one after another in this process (where they are recorded), though
    two processes are allowed: one fit's memory at a time, not one per process."""
    monkeypatch.setenv("MLKIT_JOBS", "2")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"period": np.repeat([1, 2, 3], 200), "x": rng.normal(size=600)})
    frame["y"] = (frame["x"] + rng.normal(size=600) > 0).astype(int)
    Recording.seen.clear()
    plan = walk_forward("period", [1, 2, 3], [2, 3])
    result = fit_backtested(Recording, frame, "y", plan, cap=RowCap(max_rows=250, seed=0))
    assert sorted(Recording.seen) == [
        200,
        250,
        250,
    ]  # fold 2 on period 1 (200 rows); fold 3 and the final fit capped
    assert len(result.predictions) == 400  # periods 2 and 3, every row scored


def test_below_the_cap_the_fits_run_side_by_side(monkeypatch):
    monkeypatch.setenv("MLKIT_JOBS", "2")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"period": np.repeat([1, 2, 3], 50), "x": rng.normal(size=150)})
    frame["y"] = (frame["x"] + rng.normal(size=150) > 0).astype(int)
    Recording.seen.clear()
    fit_backtested(Recording, frame, "y", walk_forward("period", [1, 2, 3], [2, 3]), cap=RowCap(max_rows=150))
    assert Recording.seen == []  # every fit in a forked worker
