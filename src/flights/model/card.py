"""The model card: what the model is, what it was trained on, and what it may be used for."""

import platform
from importlib.metadata import version

import pandas as pd

from flights.model.features import feature_names, model_inputs, switches
from flights.shared import paths
from flights.shared.vocabulary import LABEL
from mlkit.backtest import Plan, RowCap
from mlkit.persistence import file_md5

LIBRARIES = ("scikit-learn", "skops", "numpy", "pandas", "pyarrow")
OUTCOME = {
    "disrupted": "arriving {minutes}+ minutes late, being cancelled or being diverted",
    "completed": "arriving {minutes}+ minutes late (among flights that arrived)",
}
INTENDED_USE = (
    "Ranks scheduled departures from New York's three airports (EWR, JFK, LGA) by their risk of "
    "{outcome}, for planning buffers and rebooking capacity. The weather inputs are the observed "
    "weather at the origin at the scheduled hour, standing in for a forecast: with weather the model "
    "is only as good as the forecast it is given; without it (features.weather: false) it is a "
    "booking-time model. Not for decisions about individual passengers or crews, nor for airports, "
    "years or carriers outside its training data."
)


PROTOCOL = (
    "rolling-origin backtest: each fold's month is scored by a model fitted only on the training "
    "months before it; the threshold is chosen on the folds' pooled out-of-fold predictions; the "
    "validation metrics are the mean over folds; the final model is refitted on every training month. "
    "The test months are used for no choice."
)


def model_card(params: dict, train: pd.DataFrame, plan: Plan, metrics: dict, cap: RowCap) -> dict:
    """No git revision or date: the model's version is its file hash as dvc.lock records it. `metrics` is
    the backtest's (mlkit.backtest.Backtest.metrics). The training rows name the fit sample only when
    the final fit was sampled (`cap`), so that a card of unsampled data reads as it always has."""
    sampled = cap.describe(len(train))
    groups = switches(params["features"])
    history = {key: params["features"][key] for key in ("history_days", "history_prior")}
    return {
        "model": params["train"]["model"],
        "hyperparameters": params["train"][params["train"]["model"]],
        "features": groups
        | ({"history": True} | history if groups["history"] else {})
        | {
            "inputs": model_inputs(groups["weather"]),
            "derived": feature_names(**groups),
            "context": str(paths.CONTEXT) if groups["congestion"] or groups["history"] else None,
        },
        "label": params["label"],
        "split": params["split"],
        "training": {"rows": len(train), "positive_rate": float(train[LABEL].mean())}
        | ({"fit_sample": sampled} if sampled["sampled"] else {}),
        "threshold": metrics["threshold"],
        "validation": {
            "protocol": PROTOCOL,
            "folds": plan.describe(),
            "mean": metrics["validation"],
            "by_fold": metrics["folds"],
        },
        "input_data_md5": {"train": file_md5(paths.split_part("train"))},
        # the interpreter's minor version: a patch release does not change the model, and any 3.11 runs it
        "libraries": {name: version(name) for name in LIBRARIES} | {"python": _python_minor()},
        "intended_use": INTENDED_USE.format(
            outcome=OUTCOME[params["label"]["policy"]].format(minutes=params["label"]["delay_minutes"])
        ),
    }


def _python_minor() -> str:
    return ".".join(platform.python_version_tuple()[:2])
