"""The partition of a sweep's grid into shares (`make sweep SHARD=i/N`) and the reading of experiment
refs; the sharded sweep itself runs in tests/integration/test_sweep_shards.py."""

import pytest

from mlkit.tooling.experiment_sharing import experiment_refs
from mlkit.tooling.sweep_grid import expand, parse_shard, shard

GRID = [
    {"train.hgb.learning_rate": [0.05, 0.1], "train.hgb.max_leaf_nodes": [15, 31, 63]},
    {"features.weather": [False]},
    {"train.model": ["logreg"], "train.logreg.C": [0.1, 1.0]},
]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 9, 12])
def test_the_shares_partition_the_grid_evenly(count):
    runs = expand(GRID)
    shares = [shard(runs, index, count) for index in range(1, count + 1)]
    assert sorted(map(str, (run for share in shares for run in share))) == sorted(map(str, runs))
    sizes = [len(share) for share in shares]
    assert max(sizes) - min(sizes) <= 1, sizes
    for share in shares:  # in the grid's order
        assert share == [run for run in runs if run in share]


def test_a_share_does_not_depend_on_the_order_of_the_grid():
    reordered = [
        {"train.model": ["logreg"], "train.logreg.C": [1.0, 0.1]},
        {"features.weather": [False]},
        {"train.hgb.max_leaf_nodes": [63, 31, 15], "train.hgb.learning_rate": [0.1, 0.05]},
    ]
    for index in (1, 2, 3):
        first, second = shard(expand(GRID), index, 3), shard(expand(reordered), index, 3)
        assert sorted(map(str, first)) == sorted(map(str, second))


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "1/0", "a/b", "-1/2", ""])
def test_a_bad_shard_is_refused_by_name(text):
    with pytest.raises(ValueError, match=r"SHARD=.* is invalid: expected i/N"):
        parse_shard(text)


def test_a_shard_is_read_as_index_and_count():
    assert parse_shard("2/3") == (2, 3) and parse_shard(" 1 / 1 ") == (1, 1)


def test_experiment_refs_are_read_by_name_and_baseline():
    baseline, other = "a8" + "9" * 38, "d1" + "7" * 38
    listed = "\n".join(
        [
            f"1111\trefs/exps/{baseline[:2]}/{baseline[2:]}/lr-0.1",
            f"2222\trefs/exps/{other[:2]}/{other[2:]}/lr-0.1",
            "3333\trefs/exps/exec/EXEC_HEAD",  # DVC's own, not an experiment
            "4444\trefs/heads/main",
        ]
    )
    assert experiment_refs(listed) == {"lr-0.1": {baseline: "1111", other: "2222"}}
    spaced = f"5555 refs/exps/{baseline[:2]}/{baseline[2:]}/lr-0.2"  # git for-each-ref's form
    assert experiment_refs(spaced) == {"lr-0.2": {baseline: "5555"}}
