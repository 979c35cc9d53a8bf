"""Evaluation of a probabilistic binary classifier against its baseline: metrics computed with
scikit-learn (the registry of their names and directions is `mlkit.metrics`), slices, curves, permutation
importance (their figures are drawn by `mlkit.plots`)."""

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from mlkit.metrics import lift

CHUNK_ROWS = 250_000


def positive_proba(model: Pipeline, frame: pd.DataFrame, chunk_rows: int = CHUNK_ROWS) -> np.ndarray:
    """The positive class's probability of each row of `frame`, scored `chunk_rows` rows at a time, so
    that a pipeline's derived features exist for one chunk at once, never for a whole large table. Rows
    are scored independently: the numbers are those of one call on everything."""
    starts = range(0, len(frame), chunk_rows) if len(frame) else [0]  # no rows: the model's own answer
    return np.concatenate([model.predict_proba(frame.iloc[i : i + chunk_rows])[:, 1] for i in starts])


def score(y: np.ndarray, proba: np.ndarray, threshold: float) -> dict[str, float]:
    """Every metric of `mlkit.metrics.METRICS`; the threshold makes the yes/no of the last four."""
    y = np.asarray(y)
    proba = np.asarray(proba, dtype=float)
    predicted = (proba >= threshold).astype(int)
    single_class = len(np.unique(y)) < 2
    precision, recall, f1, _ = skm.precision_recall_fscore_support(
        y, predicted, average="binary", zero_division=0
    )
    return {
        "roc_auc": float("nan") if single_class else float(skm.roc_auc_score(y, proba)),
        "average_precision": float("nan") if single_class else float(skm.average_precision_score(y, proba)),
        # clipped for log loss alone: a probability of exactly 0 or 1 on the wrong side is not infinite
        "log_loss": float(skm.log_loss(y, np.clip(proba, 1e-7, 1 - 1e-7), labels=[0, 1])),
        "brier": float(skm.brier_score_loss(y, proba)),
        "accuracy": float(skm.accuracy_score(y, predicted)),
        "f1": float(f1),
        "precision": float(precision),
        "recall": float(recall),
    }


def choose_threshold(y: np.ndarray, proba: np.ndarray) -> float:
    """The probability cut that maximises F1; chosen on validation data, never on the test set."""
    precision, recall, thresholds = skm.precision_recall_curve(y, proba)
    f1 = np.divide(
        2 * precision * recall,
        precision + recall,
        out=np.zeros_like(precision),
        where=(precision + recall) > 0,
    )
    return float(thresholds[int(np.argmax(f1[:-1]))])


def slice_scores(
    y: np.ndarray, proba: np.ndarray, groups: pd.Series, threshold: float, min_rows: int
) -> dict:
    """Metrics per group (slices with fewer than `min_rows` rows are reported by size only)."""
    result = {}
    frame = pd.DataFrame({"y": np.asarray(y), "p": np.asarray(proba), "g": groups.to_numpy()})
    for group, part in frame.groupby("g", sort=True):
        entry = {"rows": len(part), "positive_rate": float(part["y"].mean())}
        if len(part) >= min_rows:
            entry |= score(part["y"].to_numpy(), part["p"].to_numpy(), threshold)
        result[str(group)] = entry
    return result


def _thin(table: pd.DataFrame, points: int) -> pd.DataFrame:
    """Keep at most `points` evenly spaced rows (always the first and last), so plot files stay small."""
    if len(table) <= points:
        return table.reset_index(drop=True)
    keep = np.unique(np.linspace(0, len(table) - 1, points).round().astype(int))
    return table.iloc[keep].reset_index(drop=True)


def roc_table(y: np.ndarray, proba: np.ndarray, points: int = 200) -> pd.DataFrame:
    fpr, tpr, _ = skm.roc_curve(y, proba)
    return _thin(pd.DataFrame({"fpr": fpr, "tpr": tpr}), points)


def precision_recall_table(y: np.ndarray, proba: np.ndarray, points: int = 200) -> pd.DataFrame:
    precision, recall, _ = skm.precision_recall_curve(y, proba)
    return _thin(pd.DataFrame({"recall": recall, "precision": precision}), points)


def calibration_table(y: np.ndarray, proba: np.ndarray, bins: int = 10) -> pd.DataFrame:
    observed, predicted = calibration_curve(y, proba, n_bins=bins, strategy="quantile")
    return pd.DataFrame({"predicted": predicted, "observed": observed})


def confusion_table(
    y: np.ndarray, proba: np.ndarray, threshold: float, names: tuple[str, str] = ("negative", "positive")
) -> pd.DataFrame:
    """Long form (actual, predicted) for DVC's confusion template."""
    labels = dict(enumerate(names))
    predicted = (np.asarray(proba) >= threshold).astype(int)
    return pd.DataFrame({"actual": pd.Series(y).map(labels), "predicted": pd.Series(predicted).map(labels)})


def curve_tables(y: np.ndarray, proba: np.ndarray) -> dict[str, pd.DataFrame]:
    """The tables behind the ROC, precision-recall and calibration plots."""
    return {
        "roc": roc_table(y, proba),
        "precision_recall": precision_recall_table(y, proba),
        "calibration": calibration_table(y, proba),
    }


def held_out_metrics(y: np.ndarray, proba: dict, thresholds: dict, validation: dict) -> dict:
    """The sections `model`, `baseline`, every other model scored, and `lift` (model minus baseline), with
    the validation metrics beside them (`mlkit.backtest.compared`: the fold mean and each fold)."""
    scores = {name: score(y, proba[name], thresholds[name]) for name in proba}
    return scores | {
        "lift": lift(scores["model"], scores["baseline"]),
        "validation": validation,
        "threshold": thresholds,
        "test": {"rows": len(y), "positive_rate": float(y.mean())},
    }


def slice_metrics(
    y: np.ndarray, frame: pd.DataFrame, proba: dict, thresholds: dict, columns: list[str], min_rows: int
) -> dict:
    """Model and baseline metrics within each value of each slicing column."""
    return {
        column: {
            name: slice_scores(y, proba[name], frame[column], thresholds[name], min_rows)
            for name in ("model", "baseline")
        }
        for column in columns
    }


def feature_importance(
    model: Pipeline, X: pd.DataFrame, y: pd.Series, repeats: int, seed: int
) -> pd.DataFrame:
    """Permutation importance of the features the Pipeline's first step derives (drop in ROC AUC when
    one is shuffled); they are derived once and only the later steps are re-run."""
    features = model[0].transform(X)
    found = permutation_importance(
        model[1:], features, y, scoring="roc_auc", n_repeats=repeats, random_state=seed
    )
    table = pd.DataFrame(
        {"feature": features.columns, "importance": found.importances_mean, "std": found.importances_std}
    )
    return table.sort_values(["importance", "feature"], ascending=[False, True], kind="stable")
