"""The figures of the model against the baseline: results on the test months and on the backtest's
folds, importance, the PR check's gates, the intervals of every delta and the feature-group ablation."""

from __future__ import annotations

from docsgen.sources import (
    LOWER_IS_BETTER,
    METRIC_LABELS,
    FigureError,
    Sources,
    count,
    metric,
    months,
    share,
    signed,
    table,
)


def metrics_table(sections: dict, names: list[str], metrics: list[str], lift: dict | None) -> str:
    """A row per (key, label) of `names` found in `sections`, a column per metric, and the lift's row."""
    header = ["", *(METRIC_LABELS[m] for m in metrics)]
    rows = [
        [label, *(metric(sections[key].get(m)) for m in metrics)] for key, label in names if key in sections
    ]
    if lift is not None:
        rows.append(["lift (model - baseline)", *(signed(lift.get(m)) for m in metrics)])
    return table(header, rows, ["l"] + ["r"] * len(metrics))


def _model_name(src: Sources) -> str:
    train = src.params["train"]
    weather = "with" if src.params.get("features", {}).get("weather", True) else "without"
    return f"model (`{train['model']}`, {weather} weather)"


def results(src: Sources) -> str:
    """Model against the baseline on the test months, and on the backtest that choices are made on."""
    ev, split = src.evaluate, src.params["split"]
    metrics = [m for m in METRIC_LABELS if m in ev["model"]]
    names = [
        ("majority", "majority class"),
        ("baseline", "baseline: carrier x scheduled hour rate"),
        ("model", _model_name(src)),
    ]
    test = ev.get("test", {})
    lines = [
        f"**Test months** ({months(split['test_months'])}: {count(test['rows'])} flights, "
        f"{share(test['positive_rate'])} disrupted; never used for any choice):",
        "",
        metrics_table(ev, names, metrics, ev.get("lift")),
    ]
    validation = ev.get("validation")
    if validation:
        lines += [
            "",
            f"**Validation** (the mean over the backtest's {len(validation.get('folds', {}))} folds, "
            f"{months(split['backtest_months'])}, each scored by a model fitted only on the training months "
            "before it; what settings, thresholds and the PR check's gates are judged on):",
            "",
            metrics_table(validation, names[1:], [m for m in metrics if m != "f1"], validation.get("lift")),
        ]
    lines += [
        "",
        "Higher is better for ROC AUC, average precision and F1; lower for log loss and Brier. "
        "F1 uses the threshold chosen on the backtest's pooled out-of-fold predictions.",
    ]
    return "\n".join(lines)


def folds(src: Sources) -> str:
    """The backtest, fold by fold: the month scored, the months its model was fitted on, its flights and
    the model against the baseline there; then the mean that every choice is made on."""
    validation, split = src.evaluate["validation"], src.params["split"]
    counts = src.json("metrics/split.json").get("backtest", {})
    rows = []
    for month in sorted(split["backtest_months"]):
        fold = validation["folds"][f"month_{month}"]
        size = counts.get(f"month {month}", {})
        rows.append(
            [
                months([month]),
                months([m for m in split["train_months"] if m < month]),
                count(size["rows"]) if size else "",
                share(size["positive_rate"]) if size else "",
                metric(fold["model"]["roc_auc"]),
                metric(fold["baseline"]["roc_auc"]),
                signed(fold["lift"]["roc_auc"]),
                metric(fold["model"]["log_loss"]),
            ]
        )
    rows.append(
        [
            "**mean over folds**",
            "",
            "",
            "",
            metric(validation["model"]["roc_auc"]),
            metric(validation["baseline"]["roc_auc"]),
            signed(validation["lift"]["roc_auc"]),
            metric(validation["model"]["log_loss"]),
        ]
    )
    header = [
        "fold: month scored",
        "model fitted on",
        "flights",
        "disrupted",
        "model ROC AUC",
        "baseline ROC AUC",
        "lift",
        "model log loss",
    ]
    return table(header, rows, ["l", "l", "r", "r", "r", "r", "r", "r"])


def importance(src: Sources) -> str:
    """The permutation importance of the committed model, top features."""
    found = src.csv("plots/evaluate/importance.csv")[:10]
    rows = [
        [f"`{row['feature']}`", f"{float(row['importance']):.4f}", f"{float(row['std']):.4f}"]
        for row in found
    ]
    return table(["feature", "drop in ROC AUC when shuffled", "std over repeats"], rows, ["l", "r", "r"])


def gates(src: Sources) -> str:
    """The PR check's thresholds from params.yaml."""
    gates = src.params["gates"]
    rows = []
    for name in dict.fromkeys([*gates.get("tolerance", {}), *gates.get("min_lift", {})]):
        tolerance, lift = gates.get("tolerance", {}).get(name), gates.get("min_lift", {}).get(name)
        direction = "lower" if name in LOWER_IS_BETTER else "higher"
        rows.append(
            [
                METRIC_LABELS.get(name, name),
                direction,
                "" if tolerance is None else f"{tolerance:g}",
                "" if lift is None else f"{lift:g}",
            ]
        )
    valid_lift = src.evaluate.get("validation", {}).get("lift", {}).get("roc_auc")
    note = (
        "\n\nThe committed model's validation lift in ROC AUC (the backtest's fold mean): "
        f"{signed(valid_lift)}."
        if valid_lift is not None
        else ""
    )
    return (
        table(
            [
                "metric",
                "better",
                "`gates.tolerance` (largest regression vs base)",
                "`gates.min_lift` (must beat the baseline by)",
            ],
            rows,
            ["l", "l", "r", "r"],
        )
        + note
    )


def intervals(src: Sources) -> str:
    """The committed model's lift over the baseline on the backtest's fold mean (gated) and on the test
    months, each with its bootstrap interval."""
    found = src.json("metrics/intervals.json")
    settings, lifts = found["bootstrap"], found["test"]["lift"]
    folds = found.get("validation", {}).get("lift", {})

    def shown(lift: dict | None) -> list[str]:
        if not lift:
            return ["n/a", ""]
        return [signed(lift["delta"]), f"[{signed(lift['low'])}, {signed(lift['high'])}]"]

    rows = [
        [
            METRIC_LABELS.get(name, name),
            "lower" if name in LOWER_IS_BETTER else "higher",
            *shown(folds.get(name)),
            *shown(lifts[name]),
        ]
        for name in METRIC_LABELS
        if name in lifts
    ]
    level = f"{settings['level']:.0%}"
    header = [
        "metric",
        "better",
        "lift, backtest fold mean",
        f"{level} interval",
        "lift, test months",
        f"{level} interval",
    ]
    return (
        table(header, rows, ["l", "l", "r", "r", "r", "r"])
        + f"\n\nA paired bootstrap over {' x '.join(settings['group_by'])} ({settings['groups']} groups "
        f"of the test months, {settings['resamples']} resamples, seed {settings['seed']}; on the backtest, "
        "the mean over folds of each fold's lift, each resample weighting the days once for all folds), from "
        "`metrics/intervals.json`."
    )


ABLATION = "reports/ablation.csv"  # `make ablation`: a snapshot of `dvc exp show --csv`


GROUPS = ("weather", "congestion", "calendar", "history")


def ablation(src: Sources) -> str:
    """Each feature group's measured contribution: the committed model and its experiments (`make ablation`)
    with groups switched off, against the carrier x hour baseline on the test months."""
    rows = src.csv(ABLATION)
    committed = next((r for r in rows if r["rev"] == "workspace"), None)
    experiments = sorted(
        (r for r in rows if r["Experiment"].startswith("ablation-")), key=lambda r: r["Experiment"]
    )
    if committed is None or not experiments:
        raise FigureError(f"{ABLATION} holds no committed row or no ablation experiment: run `make ablation`")

    def groups_on(row: dict) -> str:
        on = [g for g in GROUPS if row[f"params.yaml:features.{g}"].lower() == "true"]
        return ", ".join(on) if on else "none (schedule only)"

    full = float(committed["model.roc_auc"])
    body = [
        [
            "committed" if row is committed else f"`{row['Experiment']}`",
            groups_on(row),
            metric(float(row["model.roc_auc"])),
            signed(float(row["lift.roc_auc"])),
            signed(float(row["model.roc_auc"]) - full),
        ]
        for row in [committed, *experiments]
    ]
    header = ["experiment", "feature groups on", "ROC AUC", "lift over baseline", "vs committed"]
    baseline = metric(float(committed["baseline.roc_auc"]))
    return (
        table(header, body, ["l", "l", "r", "r", "r"])
        + f"\n\nTest months; the carrier x hour baseline has ROC AUC {baseline} in every row. "
        + f"Snapshot of `dvc exp show --csv` in `{ABLATION}`, written by `make ablation`."
    )
