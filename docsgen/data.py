"""The figures of the data and the model: results against the baseline, data quality, split, gates,
the batch and its drift."""

from __future__ import annotations

from docsgen.sources import (
    LOWER_IS_BETTER,
    METRIC_LABELS,
    FigureError,
    Sources,
    cell,
    count,
    metric,
    miss,
    months,
    share,
    signed,
    table,
)


def _metrics_table(sections: dict, names: list[str], metrics: list[str], lift: dict | None) -> str:
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
        _metrics_table(ev, names, metrics, ev.get("lift")),
    ]
    validation = ev.get("validation")
    if validation:
        lines += [
            "",
            f"**Validation** (the mean over the backtest's {len(validation.get('folds', {}))} folds, "
            f"{months(split['backtest_months'])}, each scored by a model fitted only on the training months "
            "before it; what settings, thresholds and the PR check's gates are judged on):",
            "",
            _metrics_table(validation, names[1:], [m for m in metrics if m != "f1"], validation.get("lift")),
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


def tables(src: Sources) -> str:
    """Rows of each raw table as read and as kept (a sample keeps fewer flights)."""
    ingest = src.quality["ingest"]
    rows = [
        [f"`{name}`", count(ingest["rows_read"][name]), count(ingest["rows_kept"][name])]
        for name in ingest["rows_read"]
    ]
    note = (
        f"`data.sample_fraction` = {ingest.get('sample_fraction', 1.0)}; months {months(ingest['months'])}."
    )
    return table(["table", "rows read", "rows kept"], rows, ["l", "r", "r"]) + "\n\n" + note


def label(src: Sources) -> str:
    """Flight status counts and both class rates."""
    prepare = src.quality["prepare"]
    status = prepare["status_counts"]
    total = sum(status.values())
    described = {
        "completed": "arrived: has an arrival delay",
        "cancelled": "no `dep_time`",
        "diverted": "departed, no arrival delay",
    }
    rows = [[name, described.get(name, ""), count(n), share(n / total)] for name, n in status.items()]
    policy = prepare["label_policy"]
    text = (
        f"Label rate under the committed policy (`label.policy: {policy}`): "
        f"**{share(prepare['label_rate'])}**; among completed flights only (the `completed` policy, the BTS "
        f"convention): **{share(prepare['label_rate_completed_only'])}**. "
        f"Rows excluded by the policy: {count(prepare['rows_excluded_by_label_policy'])}."
    )
    return table(["status", "meaning", "flights", "share"], rows, ["l", "l", "r", "r"]) + "\n\n" + text


def coverage(src: Sources) -> str:
    """How many flights find their row in each joined table, and the commonest misses."""
    joins = src.quality["validate"]["join_coverage"]
    floors = src.params.get("validate", {}).get("min_join_coverage", {})
    rows = []
    for name, found in joins.items():
        top = ", ".join(f"{cell(miss(key))} ({count(n)})" for key, n in found.get("top_unmatched", [])[:4])
        floor = floors.get(name)
        rows.append(
            [
                f"`{name}`",
                count(found["matched"]),
                count(found["unmatched"]),
                share(found["coverage"], 2),
                share(floor, 0) if floor is not None else "",
                top or "-",
            ]
        )
    return table(
        [
            "join",
            "matched",
            "unmatched",
            "coverage",
            "floor (`validate.min_join_coverage`)",
            "commonest misses",
        ],
        rows,
        ["l", "r", "r", "r", "r", "l"],
    )


def findings(src: Sources) -> str:
    """What prepare counts and fixes rather than hides."""
    prepare = src.quality["prepare"]
    rows = [
        [f"flights without {name.replace('_', ' ')}", count(n)] for name, n in prepare["rows_without"].items()
    ]
    rows += [
        [f"weather values blanked: {name.replace('_', ' ')}", count(n)]
        for name, n in prepare.get("weather_values_blanked", {}).items()
    ]
    return table(["finding (metrics/data_quality.json, `prepare`)", "flights"], rows, ["l", "r"])


def split(src: Sources) -> str:
    """Rows and class rate of each part of the temporal split."""
    parts = src.json("metrics/split.json")
    params = src.params["split"]
    which = {"train": params["train_months"], "test": params["test_months"]}
    role = {
        "train": "the final model is fitted on these; the backtest's folds "
        f"({months(params['backtest_months'])}) are among them",
        "test": "reported, never used for a choice",
    }
    names = [*(n for n in which if n in parts), *(n for n in parts if n not in which and n != "backtest")]
    rows = [
        [
            f"`{name}`",
            months(which.get(name, [])),
            count(parts[name]["rows"]),
            share(parts[name]["positive_rate"]),
            role.get(name, ""),
        ]
        for name in names
    ]
    outside = src.quality.get("split", {}).get("rows_outside_parts", 0)
    return (
        table(["part", "months", "flights", "disrupted", "role"], rows, ["l", "l", "r", "r", "l"])
        + f"\n\nFlights in months that no part lists: {count(outside)}."
    )


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


def batch(src: Sources) -> str:
    """What the committed `score` stage scored."""
    score = src.json("metrics/score.json")
    month = src.params.get("score", {}).get("month")
    rows = [
        ["rows in the batch", count(score["rows"])],
        ["scored", count(score["scored"])],
        ["rejected (quarantined)", f"{count(score['rejected'])} ({share(score['rejected_share'], 2)})"],
        ["flagged as disrupted", share(score["flagged_share"])],
        ["mean probability", metric(score["mean_probability"], 3)],
        ["flights lacking some weather", count(score.get("missing_weather", 0))],
        ["flights to a destination unseen in training", count(score.get("unseen_dest", 0))],
        ["threshold", metric(score["threshold"], 3)],
    ]
    return table([f"`score` stage (`score.month: {month}`)", "value"], rows, ["l", "r"])


def drift(src: Sources) -> str:
    """Features the `monitor` stage flags, with their population stability index."""
    found = src.json("metrics/drift.json")
    flag = src.params.get("monitor", {}).get("psi_flag")
    features = found["features"]
    rows = [
        [f"`{name}`", f"{features[name]['psi']:.3f}"]
        for name in sorted(features, key=lambda n: -features[n]["psi"])
        if features[name]["flagged"]
    ]
    score = found.get("score", {})
    text = (
        f"{count(found['batch_rows'])} scored flights against {count(found['reference_rows'])} training "
        f"flights; flag at PSI >= {flag}. Flagged: {len(rows)} of {len(features)} features; the score "
        f"distribution's PSI is {score.get('psi', float('nan')):.3f}"
        f"{' (flagged)' if score.get('flagged') else ''}."
    )
    if not rows:
        return text
    return text + "\n\n" + table(["flagged feature", "PSI"], rows, ["l", "r"])


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


PENGUINS = "benchmarks/penguins_metrics.json"  # `make bench` (its generator suite) writes it


def penguins(src: Sources) -> str:
    """The second pipeline: the project `make new` made from palmerpenguins, model against baseline."""
    found = src.json(PENGUINS)
    test, validation, split = found["test"], found["validation"], found["split"]
    quality, periods = found["data_quality"], found["periods"]

    def years(values: list) -> str:
        return ", ".join(str(v) for v in values)

    metrics = ["roc_auc", "average_precision", "log_loss", "brier"]
    rate = f"baseline: positive rate by {' x '.join(found['baseline_group_by'])}"
    names = [("majority", "majority class"), ("baseline", rate), ("model", f"model (`{found['model']}`)")]
    return "\n".join(
        [
            f"{count(quality['ingest']['rows_out'])} penguins, "
            f"{count(quality['target']['rows_without_target'])} without a recorded sex left out (counted in "
            f"`metrics/data_quality.json`); split by `year`: train {count(split['train']['rows'])} rows "
            f"({years(periods['train_periods'])}; the backtest's folds: "
            f"{years(periods['backtest_periods'])}, "
            f"each fitted on the years before it), test {count(split['test']['rows'])} rows "
            f"({years(periods['test_periods'])}).",
            "",
            f"**Test** ({years(periods['test_periods'])}, never used for any choice):",
            "",
            _metrics_table(test, names, metrics, test["lift"]),
            "",
            f"**Validation** (the backtest's fold mean, {years(periods['backtest_periods'])}; "
            "what the PR check gates):",
            "",
            _metrics_table(validation, names[1:], metrics, validation["lift"]),
        ]
    )
