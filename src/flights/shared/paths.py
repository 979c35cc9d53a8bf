"""The one registry of the pipeline's files; dvc.yaml declares the same paths (a test checks it)."""

from pathlib import Path

PARAMS = Path("params.yaml")
LOCK = Path("dvc.lock")
REQUIREMENTS = Path("requirements.lock")

SOURCE = Path("data/source")  # a folder source of the user's, declared as a dependency of ingest
RAW = Path("data/raw")
PREPARED = Path("data/prepared/flights.parquet")
CONTEXT = Path("data/context/context.parquet")  # what a request cannot carry: flights.model.context
SPLIT = Path("data/split")
SPLIT_PARTS = ("train", "test")  # the backtest's folds are months of train
SCORED = Path("data/scored")
BACKTEST = Path("data/backtest")  # out-of-fold probabilities of train and baseline, one file each
MODEL_BACKTEST = BACKTEST / "model.parquet"
BASELINE_BACKTEST = BACKTEST / "baseline.parquet"
PREDICTIONS = Path("data/predictions")  # per flight: the label, model's and baseline's probability
VALIDATION_PREDICTIONS = PREDICTIONS / "validation.parquet"  # out of fold, the backtest months
TEST_PREDICTIONS = PREDICTIONS / "test.parquet"

MODELS = Path("models")
MODEL = MODELS / "model.skops"
MODEL_CARD = MODELS / "model_card.json"
BASELINE = MODELS / "baseline.skops"
MAJORITY = MODELS / "majority.skops"

METRICS = Path("metrics")
INGEST_METRICS = METRICS / "ingest.json"
VALIDATE_METRICS = METRICS / "validate.json"
PREPARE_METRICS = METRICS / "prepare.json"
SPLIT_METRICS = METRICS / "split.json"
DATA_QUALITY = METRICS / "data_quality.json"  # written by split: ingest, validate, prepare and split
TRAIN_METRICS = METRICS / "train.json"
BASELINE_METRICS = METRICS / "baseline.json"
EVALUATE_METRICS = METRICS / "evaluate.json"
SLICE_METRICS = METRICS / "slices.json"
INTERVALS = METRICS / "intervals.json"
SCORE_METRICS = METRICS / "score.json"
DRIFT_METRICS = METRICS / "drift.json"

PLOTS = Path("plots")
EXPLORE_PLOTS = PLOTS / "explore"
EVALUATE_PLOTS = PLOTS / "evaluate"
FIGURES = Path("reports/figures")
EXPLORE_FIGURES = FIGURES / "explore"
EVALUATE_FIGURES = FIGURES / "evaluate"
REPORT = Path("reports/index.html")
# What a clean `dvc repro` must leave exactly as committed (`make verify`, the PR check's gate): the lock
# file and every output kept in git.
REPRODUCED = (LOCK, METRICS, PLOTS, MODEL_CARD)
PR_REPORT = Path("reports/pr-report.md")
SWEEP_SPEC = Path("sweep.yaml")
SWEEP_REPORTS = Path("reports/sweep")
PR_FIGURES = Path("reports/pr")


def raw_table(name: str) -> Path:
    return RAW / f"{name}.parquet"


def split_part(name: str) -> Path:
    return SPLIT / f"{name}.parquet"
