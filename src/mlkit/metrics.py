"""Which metrics there are and which direction of each is better: the one registry that every table,
experiment ranking and gate reads. Plain Python, so readers (report, PR check) start without
scikit-learn; `mlkit.evaluation` computes the values."""

METRICS: dict[str, str] = {
    "roc_auc": "higher",
    "average_precision": "higher",
    "log_loss": "lower",
    "brier": "lower",
    "accuracy": "higher",
    "f1": "higher",
    "precision": "higher",
    "recall": "higher",
}

CURVE_AXES = {
    "roc": ("fpr", "tpr"),
    "precision_recall": ("recall", "precision"),
    "calibration": ("predicted", "observed"),
}


def improvement(metric: str, new: float, old: float) -> float:
    """How much better `new` is than `old` (positive is better), whatever the metric's direction."""
    sign = 1.0 if METRICS[metric] == "higher" else -1.0
    return sign * (new - old)


def lift(model: dict[str, float], baseline: dict[str, float]) -> dict[str, float]:
    """Model minus baseline, metric by metric (the sign follows the raw values, not the direction)."""
    return {name: model[name] - baseline[name] for name in METRICS if name in model and name in baseline}
