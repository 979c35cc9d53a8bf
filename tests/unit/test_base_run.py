"""The change against its base (mlkit.tooling.base_run) on real prediction files: a base that predates
them is named as such, and only that failure is turned into a note."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlkit.errors import DataError
from mlkit.tooling.base_run import PredictionFiles, compare_with_base

FILES = PredictionFiles(
    validation=Path("predictions/validation.parquet"),
    test=Path("predictions/test.parquet"),
    keys=["day", "flight"],
    label="label",
    fold="fold",
    proba="proba",
    test_data=Path("unused.parquet"),
)
SETTINGS = {"group_by": ["day"], "resamples": 50, "level": 0.95, "seed": 0}


def predictions(root: Path, shift: float, drop: str | None = None, replicas: int = 0) -> Path:
    """Validation and test prediction files under `root`: 20 days of 30 rows, the probability a noisy
    copy of the label moved by `shift`; `drop` leaves a column out of the validation file; `replicas`
    copies each row that many times with its number in a `replica` column (scaled data)."""
    rng = np.random.default_rng(0)
    rows = 600
    label = rng.integers(0, 2, rows)
    frame = pd.DataFrame(
        {
            "day": np.repeat(np.arange(20), 30),
            "flight": np.arange(rows),
            "label": label,
            "fold": np.repeat([6, 8], rows // 2),
            "proba": np.clip(0.3 * label + rng.uniform(0, 0.7, rows) + shift, 0, 1),
        }
    )
    if replicas:
        frame = pd.concat([frame.assign(replica=copy) for copy in range(replicas)], ignore_index=True)
    for path, part in ((FILES.validation, frame), (FILES.test, frame.drop(columns="fold"))):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        part.drop(columns=[drop] if drop in part else []).to_parquet(root / path)
    return root


def test_the_same_rows_are_paired_on_both_parts(tmp_path, monkeypatch):
    monkeypatch.chdir(predictions(tmp_path / "head", 0.0))
    found = compare_with_base(predictions(tmp_path / "base", 0.0), FILES, SETTINGS)
    assert found.note.startswith("paired on the same rows: this change and the base scored the same 600")
    assert found.test["roc_auc"]["delta"] == 0 and found.validation["roc_auc"]["delta"] == 0


def test_replicated_rows_are_paired_by_their_replica_number(tmp_path, monkeypatch):
    """Scaled data repeat each row's keys: the replica number is part of a row's name, or no row would
    have one partner and the comparison would fall back to re-scoring, without a backtest interval."""
    monkeypatch.chdir(predictions(tmp_path / "head", 0.0, replicas=2))
    base = predictions(tmp_path / "base", 0.0, replicas=2)
    assert compare_with_base(base, FILES, SETTINGS).note.startswith("the rows differ from the base's")
    found = compare_with_base(base, replace(FILES, optional_keys=("replica",)), SETTINGS)
    assert found.note.startswith("paired on the same rows: this change and the base scored the same 1,200")
    assert found.validation["roc_auc"]["delta"] == 0


def test_a_base_without_the_replica_number_holds_other_rows(tmp_path, monkeypatch):
    monkeypatch.chdir(predictions(tmp_path / "head", 0.0, replicas=1))
    replicated = replace(FILES, optional_keys=("replica",))
    found = compare_with_base(predictions(tmp_path / "base", 0.0), replicated, SETTINGS)
    assert found.test is None and found.note.startswith("the rows differ from the base's")


def test_a_base_without_prediction_files_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(predictions(tmp_path / "head", 0.0))
    (tmp_path / "base").mkdir()
    with pytest.raises(DataError, match=r"the base revision has no predictions/test\.parquet: it predates"):
        compare_with_base(tmp_path / "base", FILES, SETTINGS)


def test_a_base_file_without_a_column_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(predictions(tmp_path / "head", 0.0))
    base = predictions(tmp_path / "base", 0.0, drop="fold")
    with pytest.raises(DataError, match=r"predictions/validation\.parquet lacks the column\(s\) \['fold'\]"):
        compare_with_base(base, FILES, SETTINGS)
