"""The report's model sections: the model against the baseline on the test months, what it may be used for,
its backtest, its slices and its card."""

from pathlib import Path

import pandas as pd

from flights.delivery.report.labels import LABELS, section
from mlkit.metrics import METRICS
from mlkit.report import Section
from mlkit.report_format import format_count, format_number, format_share

BASELINE = "baseline (carrier x hour)"


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
