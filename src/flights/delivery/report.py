"""The end users' report: what the data say, how good they are, and (once trained) what the model does.

This module holds what every part of the report shares, its names for keys (`LABELS`, `section`), and its
first screen (`headline`), which draws on all of them. The parts are modules of their own, one per story:
`report_model` (the model against the baseline), `report_batch` (the latest batch and its drift) and
`report_data` (the data and their quality).
"""

from mlkit.report import Headline, KeyFigure, Section, drift_figure, lift_figure
from mlkit.report_format import Labels, format_count, format_number, format_share

LABELS = Labels(
    {
        "hgb": "gradient-boosted trees",
        "logreg": "logistic regression",
        "dest": "destination",
        "sched_dep_time": "scheduled departure",
        "sched_arr_time": "scheduled arrival",
        "flight": "flight number",
        "missing_weather": "flights lacking some weather",
        "unseen_dest": "destinations unseen in training",
        "rejected": "rejected (quarantined)",
        "flagged_share": "flagged as disrupted",
        "model_version": "model version (file md5)",
        "l2_regularization": "L2 regularization",
        "max_iter": "boosting rounds",
        "dep_minute": "scheduled departure (minute of day)",
        "arr_minute": "scheduled arrival (minute of day)",
        "dewp": "dew point",
        "humid": "humidity",
        "visib": "visibility",
        "precip": "precipitation",
        "temp": "temperature",
        "wind_dir": "wind direction",
        "days_to_holiday": "days to a holiday",
        "days_from_holiday": "days since a holiday",
        "block_minutes": "scheduled block time",
        "positive_rate": "disrupted rate",
        "not_nullable": "not missing",
        "less_than_or_equal_to": "at most",
        "greater_than_or_equal_to": "at least",
        "dest_airports": "destination airports",
        "origin_airports": "origin airports",
    }
)


def section(title: str) -> Section:
    """A report section that names keys with the flights labels."""
    return Section(title, labels=LABELS)


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
