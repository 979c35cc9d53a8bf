"""The model families behind `train.model`, each one scikit-learn Pipeline from raw fields to probability."""

from pathlib import Path

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from flights.model.context import attach, read_context
from flights.model.features import CATEGORICAL_FEATURES, ScheduleFeatures, feature_names, switches
from mlkit.backtest import Plan, walk_forward
from mlkit.context import ContextTable
from mlkit.persistence import load_model


def _hgb(params: dict, n_features: int) -> HistGradientBoostingClassifier:
    categorical = np.arange(n_features) < len(CATEGORICAL_FEATURES)
    return HistGradientBoostingClassifier(
        learning_rate=params["learning_rate"],
        max_iter=params["max_iter"],
        max_leaf_nodes=params["max_leaf_nodes"],
        min_samples_leaf=params["min_samples_leaf"],
        l2_regularization=params["l2_regularization"],
        categorical_features=categorical,
        early_stopping=False,
        random_state=params["seed"],
    )


def _hgb_parts(train: dict, numeric: list[str]) -> tuple[ColumnTransformer, object]:
    encode = ColumnTransformer(
        [
            (
                "categories",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan
                ),
                CATEGORICAL_FEATURES,
            ),
            ("numbers", "passthrough", numeric),
        ],
        verbose_feature_names_out=False,
    )
    return encode, _hgb(train["hgb"], len(CATEGORICAL_FEATURES) + len(numeric))


def _logreg_parts(train: dict, numeric: list[str]) -> tuple[ColumnTransformer, object]:
    settings = train["logreg"]
    encode = ColumnTransformer(
        [
            (
                "categories",
                OneHotEncoder(handle_unknown="ignore", min_frequency=settings["min_category_rows"]),
                CATEGORICAL_FEATURES,
            ),
            (
                "numbers",
                make_pipeline(
                    SimpleImputer(strategy=settings["impute"], add_indicator=True),
                    StandardScaler(),
                ),
                numeric,
            ),
        ],
        verbose_feature_names_out=False,
    )
    return encode, LogisticRegression(C=settings["C"], max_iter=settings["max_iter"])


# The encoding and estimator of each family flights.shared.params.Family allows (a test keeps the two equal).
FAMILY_PARTS = {"hgb": _hgb_parts, "logreg": _logreg_parts}


def build_pipeline(train: dict, features: dict, context: ContextTable | None = None) -> Pipeline:
    """The unfitted Pipeline of the chosen family: schedule features, encoding, estimator, given the
    context table when one is passed (flights.model.context). The sections are as flights.shared.params
    validated them (every stage validates params.yaml when it starts)."""
    groups = switches(features)
    numeric = feature_names(**groups)[len(CATEGORICAL_FEATURES) :]
    encode, estimator = FAMILY_PARTS[train["model"]](train, numeric)
    pipeline = Pipeline([("schedule", ScheduleFeatures(**groups)), ("encode", encode), ("model", estimator)])
    return pipeline if context is None else attach(pipeline, context)


def backtest_plan(split: dict) -> Plan:
    """The folds of params.yaml's `split` (as flights.shared.params.Split validated it): one per backtest
    month, fitted on every training month before it (at least `min_fit_months`); the final model on all
    training months."""
    return walk_forward("month", split["train_months"], split["backtest_months"], split["min_fit_months"])


# The types beyond skops' defaults that our model files may hold; anything else is refused at load.
TRUSTED_TYPES = [
    "flights.model.features.ScheduleFeatures",
    "functools.partial",
    "mlkit.baselines.GroupRateClassifier",
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils.validation.check_array",
]


def load_pipeline(model: Path, context: Path) -> Pipeline:
    """The saved Pipeline with the context table attached: what every stage that scores loads."""
    return attach(load_model(model, TRUSTED_TYPES), read_context(context))


def expected_weather(pipeline: Pipeline) -> list[str]:
    """The weather fields a flight should carry for this model: those nearly all its training flights had
    (none for a model fitted before this was learned: re-run `dvc repro` to have them flagged)."""
    return getattr(pipeline.named_steps["schedule"], "expected_weather_", [])


def known_categories(pipeline: Pipeline) -> dict[str, list[str]]:
    """The values of each categorical feature that the fitted Pipeline saw in training."""
    encoder = pipeline.named_steps["encode"].named_transformers_["categories"]
    return {
        column: [str(value) for value in values]
        for column, values in zip(CATEGORICAL_FEATURES, encoder.categories_, strict=True)
    }
