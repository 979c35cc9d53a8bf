"""The report's first screen: what the model adds over the baseline, the state of the data, and the
latest batch with its drift."""

from flights.delivery.report.labels import LABELS
from mlkit.report import Headline, KeyFigure, drift_figure, lift_figure
from mlkit.report_format import format_count, format_number, format_share


def headline(
    quality: dict, evaluate: dict, card: dict, intervals: dict, score: dict, drift: dict
) -> Headline:
    """The first screen: what the model adds over the baseline on the test months, the state of the
    data, and the latest batch with its drift."""
    test, lift = evaluate["test"], intervals["test"]["lift"]
    level = intervals["bootstrap"]["level"]
    auc, family = lift["roc_auc"], LABELS(card["model"])
    model, baseline = (format_number(evaluate[name]["roc_auc"], 3) for name in ("model", "baseline"))
    verdict = (
        f"On the {format_count(test['rows'])} flights of the test months, the {family} model ranks "
        f"disruption risk {'better than' if auc['low'] > 0 else 'no better than'} the baseline (the "
        f"historical rate of each carrier at each scheduled hour): ROC AUC {model} against {baseline}, "
        f"{auc['delta']:+.3f} with a {level:.0%} interval of {auc['low']:+.3f} to {auc['high']:+.3f}."
    )
    prepare, coverage = quality["prepare"], quality["validate"]["join_coverage"]
    weakest = min(coverage, key=lambda name: coverage[name]["coverage"])
    data = KeyFigure(
        "Flights in the data",
        format_count(prepare["rows_out"]),
        f"every hard rule passed; {format_share(prepare['label_rate'])} disrupted; lowest join coverage "
        f"{LABELS(weakest)} {format_share(coverage[weakest]['coverage'])}",
        "good",
    )
    batch = KeyFigure(
        "Flights scored in the latest batch",
        format_count(score["scored"]),
        f"{format_count(score['rejected'])} rejected; {format_share(score['flagged_share'])} flagged as "
        f"disrupted; mean probability {format_number(score['mean_probability'], 3)}",
        "good" if score["rejected"] == 0 else "neutral",
    )
    return Headline(
        verdict,
        [
            lift_figure(evaluate, "roc_auc", lift["roc_auc"], level),
            lift_figure(evaluate, "average_precision", lift["average_precision"], level),
            data,
            batch,
            drift_figure(drift["features"], drift["score"], LABELS),
        ],
    )
