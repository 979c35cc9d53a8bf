"""The grid of a sweep: checked against the parameters, expanded into runs, each run named, and split
into shares for several machines. Pure functions: nothing here runs DVC or git."""

import itertools
import json
import re
from collections.abc import Mapping
from typing import Any

from mlkit.config import parent_of, require


def _is_parameter(params: Mapping[str, Any], dotted: str) -> bool:
    """`dotted` (such as `train.hgb.max_iter`) names one value of `params`, not a section."""
    parent, name = parent_of(params, dotted)
    return parent is not None and name in parent and not isinstance(parent[name], Mapping)


def check_grid(grid: Any, params: Mapping[str, Any], source: str) -> None:
    """A grid as `expand` takes it, every key an existing parameter of `params`: checked before anything
    is queued, so that a typo in the third block cannot leave the first two in the queue."""
    blocks = "a non-empty list of blocks, each a mapping parameter: [values]"
    require(isinstance(grid, list) and len(grid) > 0, "grid", grid, blocks, source)
    for index, block in enumerate(grid):
        require(isinstance(block, Mapping) and len(block) > 0, f"grid[{index}]", block, blocks, source)
        for key, values in block.items():
            name = f"grid[{index}].{key}"
            require(
                isinstance(values, list) and len(values) > 0,
                name,
                values,
                "a non-empty list of values",
                source,
            )
            require(_is_parameter(params, str(key)), name, key, "a parameter of params.yaml", source)
    named: dict[str, dict] = {}  # a name names one run: `dvc exp run --name` would replace the first
    for run in expand(grid):
        name = experiment_name(run)
        require(
            name not in named,
            "grid",
            run,
            f"a run named apart from {named.get(name)} (both are {name!r})",
            source,
        )
        named[name] = run


def expand(grid: list[dict[str, list]]) -> list[dict[str, object]]:
    """Every combination of values within each block of the grid, blocks one after another."""
    runs = []
    for block in grid:
        names = sorted(block)
        for values in itertools.product(*(block[name] for name in names)):
            runs.append(dict(zip(names, values, strict=True)))
    return runs


def experiment_name(settings: dict[str, object]) -> str:
    """A readable, git-ref-safe name such as `model-hgb_learning_rate-0.05` (a list of months [4, 5]
    gives `months-4-5`: brackets, commas and spaces are not allowed in a git ref)."""
    parts = [f"{key.rsplit('.', 1)[-1]}-{_ref_safe(str(value))}" for key, value in settings.items()]
    return "_".join(parts).lower()


def parse_shard(text: str) -> tuple[int, int]:
    """`SHARD=i/N` as (i, N), 1 <= i <= N; a ValueError says what is wrong."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"SHARD={text!r} is invalid: expected i/N with 1 <= i <= N, such as 1/2")
    return int(match[1]), int(match[2])


def shard(runs: list[dict[str, object]], index: int, count: int) -> list[dict[str, object]]:
    """Share `index` of `count` (1-based) of the expanded grid, in the grid's order.

    The points are sorted by their canonical form (the settings as JSON with sorted keys), and the k-th
    of them (from 0) goes to share k mod count + 1: every point is in exactly one share, shares differ
    in size by one at most, and the partition does not depend on the order of the grid's blocks or
    values. Adding a point may move others to another share, so every share must read the same grid
    (the same commit).
    """
    order = sorted(range(len(runs)), key=lambda k: json.dumps(runs[k], sort_keys=True))
    mine = {k for position, k in enumerate(order) if position % count == index - 1}
    return [run for k, run in enumerate(runs) if k in mine]


def _ref_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
