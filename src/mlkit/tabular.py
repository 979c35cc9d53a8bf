"""A single-table binary-classification project on mlkit: the pieces a generated project (`make new`)
needs beside the components, as pure functions (the model families, the default baseline's columns,
the split without a time column, the backtest plan of either split).

The stage bodies that read and write the project's files are in `mlkit.tabular_stages`.
"""

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from mlkit.backtest import Fold, Plan, walk_forward
from mlkit.baselines import GroupRateClassifier
from mlkit.errors import DataError, ParamError

PERIOD = "period"  # the split's column: the time period, or the fold of a stratified split
ROW_ID = "row_id"  # a row's position in the source table: its key in predictions and quarantines
TEST_FOLD = -1  # the PERIOD of the test rows of a stratified split
MAX_BASELINE_LEVELS = 50  # a baseline column with more values makes rates of a handful of rows
BASELINE_CANDIDATES = 8  # the best single columns whose pairs are tried

# The types beyond skops' defaults that the model files may hold; anything else is refused at load.
TRUSTED_TYPES = [
    "mlkit.baselines.GroupRateClassifier",
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils.validation.check_array",
    "functools.partial",
]


def build_pipeline(train: dict, features: dict) -> Pipeline:
    """The unfitted Pipeline of `train.model` (hgb or logreg): encoding of `features.categorical` and
    `features.numeric`, then the estimator; step 0 yields named columns (permutation importance)."""
    categorical, numeric = list(features["categorical"]), list(features["numeric"])
    family = train["model"]
    if family == "hgb":
        settings = train["hgb"]
        encode = ColumnTransformer(
            [
                (
                    "categories",
                    OrdinalEncoder(
                        handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan
                    ),
                    categorical,
                ),
                ("numbers", "passthrough", numeric),
            ],
            verbose_feature_names_out=False,
        )
        estimator = HistGradientBoostingClassifier(
            learning_rate=settings["learning_rate"],
            max_iter=settings["max_iter"],
            max_leaf_nodes=settings["max_leaf_nodes"],
            min_samples_leaf=settings["min_samples_leaf"],
            l2_regularization=settings["l2_regularization"],
            categorical_features=np.arange(len(categorical) + len(numeric)) < len(categorical),
            early_stopping=False,
            random_state=settings["seed"],
        )
    elif family == "logreg":
        settings = train["logreg"]
        encode = ColumnTransformer(
            [
                (
                    "categories",
                    OneHotEncoder(
                        handle_unknown="ignore",
                        min_frequency=settings["min_category_rows"],
                        sparse_output=False,
                    ),
                    categorical,
                ),
                (
                    "numbers",
                    make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()),
                    numeric,
                ),
            ],
            verbose_feature_names_out=False,
        )
        estimator = LogisticRegression(C=settings["C"], max_iter=settings["max_iter"])
    else:
        raise ParamError(f"params.yaml: train.model = {family!r}: choose hgb or logreg")
    return Pipeline([("encode", encode.set_output(transform="pandas")), ("model", estimator)])


def known_categories(pipeline: Pipeline) -> dict[str, list[str]]:
    """The values of each categorical feature the fitted Pipeline saw in training."""
    transformer = pipeline.named_steps["encode"]
    encoder = transformer.named_transformers_["categories"]
    columns = transformer.transformers_[0][2]
    return {
        column: [str(v) for v in values if not pd.isna(v)]
        for column, values in zip(columns, getattr(encoder, "categories_", []), strict=False)
    }


def stratified_folds(labels: pd.Series, test_share: float, folds: int, seed: int) -> np.ndarray:
    """A seeded stratified split without a time column: one PERIOD per row, TEST_FOLD for the test rows
    (`test_share` of each class) and 0..folds-1 for the training rows (each class spread evenly)."""
    rng = np.random.default_rng(seed)
    period = np.empty(len(labels), dtype=np.int64)
    values = labels.to_numpy()
    for value in np.unique(values):
        rows = rng.permutation(np.flatnonzero(values == value))
        test = round(test_share * len(rows))
        period[rows[:test]] = TEST_FOLD
        period[rows[test:]] = np.arange(len(rows) - test) % folds
    return period


def backtest_plan(split: dict) -> Plan:
    """The validation protocol of `split`: by time, a walk-forward backtest over `backtest_periods`
    (mlkit.backtest); stratified, k-fold cross-validation (each fold fitted on the other folds)."""
    if split["method"] == "time":
        return walk_forward(PERIOD, split["train_periods"], split["backtest_periods"])
    folds = tuple(range(split["folds"]))
    return Plan(PERIOD, folds, tuple(Fold(k, tuple(f for f in folds if f != k), "fold") for k in folds))


def split_parts(split: dict) -> dict[str, list]:
    """The PERIOD values of the train and test parts."""
    if split["method"] == "time":
        return {"train": list(split["train_periods"]), "test": list(split["test_periods"])}
    return {"train": list(range(split["folds"])), "test": [TEST_FOLD]}


def periods(values: pd.Series, kind: str) -> pd.Series:
    """The split's periods from the time column: numbers as they are (a year is a period), dates as
    their calendar month (`2013-05`)."""
    if kind == "number":
        return values
    return pd.to_datetime(values).dt.strftime("%Y-%m")


def time_kind(values: pd.Series) -> str:
    """'number' or 'date' for a time column; raises DataError naming the column when it is neither."""
    present = values.dropna()
    if present.empty:
        raise DataError(f"TIME column {values.name!r} holds no value")
    if pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present):
        return "number"
    parsed = pd.to_datetime(present.astype(str), errors="coerce", format="mixed")
    bad = present[parsed.isna()]
    if len(bad):
        raise DataError(
            f"TIME column {values.name!r} does not parse as dates or numbers: {len(bad)} value(s) such as "
            f"{bad.astype(str).head(3).tolist()}"
        )
    return "date"


def _oof_log_loss(
    frame: pd.DataFrame, y: np.ndarray, columns: tuple[str, ...], smoothing: float, seed: int
) -> float:
    proba = np.empty(len(y))
    splitter = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    for fit, scored in splitter.split(frame, y):
        model = GroupRateClassifier(columns, smoothing).fit(frame.iloc[fit], y[fit])
        proba[scored] = model.predict_proba(frame.iloc[scored])[:, 1]
    return float(log_loss(y, np.clip(proba, 1e-7, 1 - 1e-7)))


def choose_group_by(
    frame: pd.DataFrame, y: np.ndarray, candidates: Sequence[str], smoothing: float, seed: int = 0
) -> list[str]:
    """The default baseline's columns: the one or two categorical columns (at most MAX_BASELINE_LEVELS
    values each) whose smoothed positive rate has the lowest out-of-fold log loss on the fit rows; a
    pair only when it beats the best single column. Empty when no column qualifies."""
    usable = [c for c in candidates if 1 < frame[c].nunique(dropna=False) <= MAX_BASELINE_LEVELS]
    if not usable:
        return []
    single: dict[tuple[str, ...], float] = {
        (c,): _oof_log_loss(frame, y, (c,), smoothing, seed) for c in sorted(usable)
    }
    best = sorted(single, key=lambda key: (single[key], key))
    scores = dict(single)
    for pair in combinations(sorted(c for (c,) in best[:BASELINE_CANDIDATES]), 2):
        scores[pair] = _oof_log_loss(frame, y, pair, smoothing, seed)
    chosen = min(scores, key=lambda key: (scores[key], len(key), key))
    return list(chosen)
