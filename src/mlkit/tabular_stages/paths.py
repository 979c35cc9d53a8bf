"""Where a generated project's stages read and write (its one registry of paths), and the `Project` each
stage is handed."""

from dataclasses import dataclass
from pathlib import Path

import pandera.pandas as pa

from mlkit import fields
from mlkit.profile import field_rules

RAW = Path("data/raw/table.parquet")
SPLIT = Path("data/split")
BACKTEST = Path("data/backtest")
SCORED = Path("data/scored")
PREDICTIONS = Path("data/predictions")
MODEL, BASELINE, MAJORITY = (
    Path("models/model.skops"),
    Path("models/baseline.skops"),
    Path("models/majority.skops"),
)
METRICS = Path("metrics")
EXPLORE_PLOTS, EVALUATE_PLOTS = Path("plots/explore"), Path("plots/evaluate")
EXPLORE_FIGURES, EVALUATE_FIGURES = Path("reports/figures/explore"), Path("reports/figures/evaluate")
REPORT = Path("reports/index.html")
LOCK, PARAMS = Path("dvc.lock"), Path("params.yaml")
# what a clean run must leave exactly as committed (make verify, the PR check)
REPRODUCED = (LOCK, METRICS, EXPLORE_PLOTS, EVALUATE_PLOTS)
CLASS_NAMES = ("negative", "positive")


def metrics_file(stage: str) -> Path:
    return METRICS / f"{stage}.json"


def split_part(name: str) -> Path:
    return SPLIT / f"{name}.parquet"


@dataclass(frozen=True)
class Project:
    """What a generated project adds to the stages: its title and its schema module's two schemas."""

    title: str
    hard: pa.DataFrameSchema
    soft: pa.DataFrameSchema

    def input_fields(self, data: dict) -> list[fields.FieldRule]:
        """The fields of a request or a batch row: every column but the target and the time column."""
        return field_rules(self.hard, [data["target"], data.get("time") or ""])
