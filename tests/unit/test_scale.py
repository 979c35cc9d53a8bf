"""`data.scale`: each kept flight replicated with a distinct key, deterministically; scale 1 is the data
itself (flights.data.ingest.replicate). Real raw tables from a small source folder."""

import pandas as pd
import pytest
from pandera.errors import SchemaErrors

from conftest import ingested, write_source
from flights.data.prepare import prepare
from flights.data.tables import HARD
from flights.data.validate import coverage
from flights.vocabulary import FLIGHT_KEYS, REPLICA, flight_keys
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
