"""The model families behind `train.model`, each one scikit-learn Pipeline from raw fields to probability."""

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from flights.model.features import CATEGORICAL_FEATURES, ScheduleFeatures, feature_names
from mlkit.config import require, require_choice, require_positive, require_seed, require_whole

FAMILIES = ("logreg", "hgb")
IMPUTE_STRATEGIES = ("median", "mean")


def check_params(train: dict, features: dict) -> None:
    """Reject bad hyperparameters before any data is read."""
    require_choice("train.model", train["model"], FAMILIES)
    require(isinstance(features["weather"], bool), "features.weather", features["weather"], "true or false")
    hgb, logreg = train["hgb"], train["logreg"]
    require_positive("train.hgb.learning_rate", hgb["learning_rate"])
    for name, minimum in (("max_iter", 1), ("max_leaf_nodes", 2), ("min_samples_leaf", 1)):
        require_whole(f"train.hgb.{name}", hgb[name], minimum)
    require_positive("train.hgb.l2_regularization", hgb["l2_regularization"], allow_zero=True)
    require_seed("train.hgb.seed", hgb["seed"])
    require_positive("train.logreg.C", logreg["C"])
    require_whole("train.logreg.max_iter", logreg["max_iter"], 1)
    require_whole("train.logreg.min_category_rows", logreg["min_category_rows"], 1)
    require_choice("train.logreg.impute", logreg["impute"], IMPUTE_STRATEGIES)


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


def build_pipeline(train: dict, features: dict) -> Pipeline:
    """The unfitted Pipeline of the chosen family: schedule features, encoding, estimator."""
    check_params(train, features)
    weather = features["weather"]
    numeric = feature_names(weather)[len(CATEGORICAL_FEATURES) :]
    if train["model"] == "hgb":
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
        estimator = _hgb(train["hgb"], len(feature_names(weather)))
    else:
        encode = ColumnTransformer(
            [
                (
                    "categories",
                    OneHotEncoder(
                        handle_unknown="ignore", min_frequency=train["logreg"]["min_category_rows"]
                    ),
                    CATEGORICAL_FEATURES,
                ),
                (
                    "numbers",
                    make_pipeline(
                        SimpleImputer(strategy=train["logreg"]["impute"], add_indicator=True),
                        StandardScaler(),
                    ),
                    numeric,
                ),
            ],
            verbose_feature_names_out=False,
        )
        estimator = LogisticRegression(C=train["logreg"]["C"], max_iter=train["logreg"]["max_iter"])
    return Pipeline(
        [("schedule", ScheduleFeatures(weather=weather)), ("encode", encode), ("model", estimator)]
    )


# The types beyond skops' defaults that our model files may hold; anything else is refused at load.
TRUSTED_TYPES = [
    "flights.model.features.ScheduleFeatures",
    "functools.partial",
    "mlkit.baselines.GroupRateClassifier",
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils.validation.check_array",
]


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
