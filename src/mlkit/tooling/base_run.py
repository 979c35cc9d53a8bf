"""The change against its base revision, row by row: the base's per-row predictions and the paired
intervals of this change minus them.

The base revision is checked out into a temporary git worktree that shares this clone's DVC cache; its
outputs are pulled from the default remote when one is configured (else checked out from the cache),
then `dvc repro` brings them up to date (the run-cache restores what was computed before with the same
inputs; the rest is computed). Its prediction files are read, and the worktree removed.

Which comparison is made:
- paired: the base's rows and this change's are the same rows (the same keys, each once, with the same
  label, and for the backtest the same fold): a paired bootstrap of this change minus base, on the
  test rows and on the backtest's fold mean (folds as strata);
- re-scored: they are not (the change alters the data, the label or the split): the base's model is
  re-scored, in the base worktree with the base's code, on this change's test rows, which are then
  paired. The backtest's folds are compared unpaired (point deltas, no interval): a fold's model is
  not kept (only the final model is saved), so pairing a fold would need the base's model family
  re-fitted on this change's rows once per fold, a second backtest inside the check; and when the
  split changes, the base's folds score other periods than this change's, so no row has a partner.

A base whose prediction files are missing or lack a column (it predates them) gives no intervals and
a note naming the file; any other failure is a bug and is raised.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlkit.bootstrap import intervals_dict, paired_bootstrap, weighted_scores
from mlkit.commands import run
from mlkit.errors import DataError

PAIRED = "paired on the same rows: this change and the base scored the same {rows}, label for label"
RESCORED = (
    "the data, label or split differ from the base's: the base revision's model was re-scored on this "
    "change's test rows (paired there); the backtest's folds are compared unpaired (point deltas, no "
    "interval): the base's fold models are not kept, so pairing them would re-fit the base's backtest "
    "on this change's rows, and a changed split scores other periods than the base's folds"
)


@dataclass(frozen=True)
class PredictionFiles:
    """Where a project keeps its per-row predictions (paths relative to the repository's root) and how
    to re-score the base's model on this change's test data."""

    validation: Path  # the backtest's out-of-fold rows: keys, label, fold, proba
    test: Path  # the test rows, in the order of `test_data`: keys, label, proba
    keys: Sequence[str]  # the columns that name a row
    label: str
    fold: str
    proba: str  # the model's probability column
    test_data: Path  # this change's test data, what `rescore` reads
    # run in the base worktree with two more arguments, the test data and a Parquet file to write
    # with one column, `proba` (one probability per row of the test data, in its order)
    rescore: Sequence[str] = field(default_factory=tuple)
    # key columns only some data hold (a replica number when the data are scaled): part of a row's name
    # when this change's files hold them; a base without them holds other rows
    optional_keys: Sequence[str] = ()


@dataclass(frozen=True)
class BaseComparison:
    """This change minus base: intervals per metric (None: not computed), the base's test metrics when
    its model was re-scored, and which comparison was made."""

    test: dict[str, dict[str, float]] | None
    validation: dict[str, dict[str, float]] | None
    note: str
    rescored_test: dict[str, float] | None = None


@contextmanager
def base_worktree(commit: str) -> Iterator[Path]:
    """The base `commit` in a temporary git worktree, its DVC outputs reproduced, sharing this clone's
    DVC cache; removed afterwards. Raises DataError when its `dvc repro` fails."""
    cache = run("dvc", "cache", "dir")
    if cache.returncode != 0:
        raise DataError(f"dvc cache dir failed: {cache.stderr.strip()}")
    folder = Path(tempfile.mkdtemp(prefix="pr-base-"))
    tree = folder / "base"
    added = run("git", "worktree", "add", "--detach", "--quiet", str(tree), commit)
    try:
        if added.returncode != 0:
            raise DataError(f"git worktree add failed: {added.stderr.strip()}")
        run("dvc", "config", "--local", "cache.dir", str(Path(cache.stdout.strip()).resolve()), cwd=tree)
        run("dvc", "config", "--local", "core.analytics", "false", cwd=tree)
        has_remote = run("dvc", "remote", "default", cwd=tree).stdout.strip()
        run("dvc", "pull" if has_remote else "checkout", cwd=tree)  # what is missing, repro makes
        done = subprocess.run(["dvc", "repro"], cwd=tree, stdout=sys.stderr, check=False)
        if done.returncode != 0:
            raise DataError(f"dvc repro of the base revision {commit[:10]} failed")
        yield tree
    finally:
        run("git", "worktree", "remove", "--force", str(tree))
        shutil.rmtree(folder, ignore_errors=True)
        run("git", "worktree", "prune")


def joined(head: pd.DataFrame, base: pd.DataFrame, on: Sequence[str], proba: str) -> pd.DataFrame | None:
    """This change's rows with the base's probability as `base`, when both hold the same rows (the same
    `on` values, each once); else None."""
    on = list(on)
    if (
        not set(on) <= set(base.columns)
        or len(head) != len(base)
        or head.duplicated(on).any()
        or base.duplicated(on).any()
    ):
        return None
    both = head.merge(base[[*on, proba]].rename(columns={proba: "base"}), on=on, how="inner")
    return both if len(both) == len(head) else None


def read_predictions(tree: Path, path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """The base's prediction file `path` (relative to its worktree `tree`); raises DataError naming the
    file when it is missing or lacks one of `columns` (a base that predates them)."""
    if not (tree / path).exists():
        raise DataError(f"the base revision has no {path.as_posix()}: it predates the per-row predictions")
    frame = pd.read_parquet(tree / path)
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise DataError(
            f"the base revision's {path.as_posix()} lacks the column(s) {missing}: it predates them"
        )
    return frame


def rescore(tree: Path, files: PredictionFiles) -> np.ndarray:
    """The base's model (in the base worktree, with the base's code) on this change's test data."""
    data = files.test_data.resolve()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "proba.parquet"
        done = run(*files.rescore, str(data), str(out), cwd=tree)
        if done.returncode != 0 or not out.exists():
            raise DataError(f"re-scoring the base's model failed: {done.stderr.strip()[-2000:]}")
        return pd.read_parquet(out)["proba"].to_numpy()


def compare_with_base(tree: Path, files: PredictionFiles, settings: Mapping[str, Any]) -> BaseComparison:
    """This change (the workspace) minus the base (its worktree `tree`), with the bootstrap `settings`
    of the intervals file (group_by, resamples, level, seed)."""
    group_by = list(settings.get("group_by") or [])
    options = {key: settings[key] for key in ("resamples", "level", "seed") if key in settings}

    def interval(frame: pd.DataFrame, base: np.ndarray, strata: str | None = None) -> dict:
        found = paired_bootstrap(
            frame[files.label].to_numpy(), base, frame[files.proba].to_numpy(),
            frame[group_by] if group_by else None, **options,
            strata=None if strata is None else frame[strata],
        )  # fmt: skip
        return intervals_dict(found)

    label = [*files.keys, files.label]
    needed = {"test": [*label, files.proba], "valid": [*label, files.fold, files.proba]}
    where = {"test": files.test, "valid": files.validation}
    head = {name: pd.read_parquet(path) for name, path in where.items()}
    base = {name: read_predictions(tree, path, needed[name]) for name, path in where.items()}
    label += [key for key in files.optional_keys if key in head["test"].columns]
    test = joined(head["test"], base["test"], label, files.proba)
    valid = joined(head["valid"], base["valid"], [*label, files.fold], files.proba)
    if test is not None and valid is not None:
        rows = f"{len(test):,} test and {len(valid):,} backtest rows"
        return BaseComparison(
            interval(test, test["base"].to_numpy()),
            interval(valid, valid["base"].to_numpy(), files.fold),
            PAIRED.format(rows=rows),
        )
    if not files.rescore:
        return BaseComparison(
            None, None, "the rows differ from the base's and no re-scoring is set: no intervals"
        )
    proba = rescore(tree, files)
    if len(proba) != len(head["test"]):
        raise DataError(f"the re-scored base gave {len(proba)} probabilities for {len(head['test'])} rows")
    scores = weighted_scores(head["test"][files.label].to_numpy(), proba)
    return BaseComparison(interval(head["test"], proba), None, RESCORED, scores)


def change_vs_base(commit: str, files: PredictionFiles, settings: Mapping[str, Any]) -> BaseComparison:
    """`compare_with_base` against the base `commit` reproduced in a temporary worktree; a base that
    cannot be reproduced, re-scored or read gives no intervals, and a note that says why."""
    try:
        with base_worktree(commit) as tree:
            return compare_with_base(tree, files, settings)
    except DataError as error:
        return BaseComparison(None, None, f"no intervals against base: {error}")
