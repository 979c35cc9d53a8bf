"""The delivery stages: the latest batch scored as a user's file would be, its drift against the
training data, and the HTML report."""

import numpy as np
import pandas as pd
import pandera.pandas as pa
from sklearn.pipeline import Pipeline

from mlkit import fields
from mlkit.drift import drift_table
from mlkit.io import atomic_dir, read_json, read_parquet, write_json, write_parquet, write_text
from mlkit.persistence import file_md5
from mlkit.report import Section, render
from mlkit.scoring import missing_fields, rejected_share
from mlkit.tabular import known_categories
from mlkit.tabular_stages.model import load
from mlkit.tabular_stages.paths import (
    EVALUATE_FIGURES,
    EXPLORE_FIGURES,
    MODEL,
    REPORT,
    SCORED,
    Project,
    metrics_file,
    split_part,
)
from mlkit.validation import quarantine


def batch_schema(project: Project, data: dict, model: Pipeline) -> pa.DataFrameSchema:
    """The input rules of a file to score, for a model that knows its categories."""
    known = known_categories(model)
    return fields.batch_schema(project.input_fields(data), {c: v for c, v in known.items() if v})


def score_rows(
    frame: pd.DataFrame,
    project: Project,
    data: dict,
    model: Pipeline,
    version: str,
    threshold: float,
    max_rejected_share: float,
    limit_name: str,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(scored rows, rejected rows with their reason, summary): rows breaking the input rules are
    quarantined, up to `max_rejected_share` (mlkit.scoring.TooManyRejected beyond it)."""
    rules = project.input_fields(data)
    names = [rule.name for rule in rules]
    fields.refuse_near_misses(frame.columns, names, "rows to score")
    valid, rejected = quarantine(
        frame[[c for c in names if c in frame.columns]], batch_schema(project, data, model), "rows to score"
    )
    share = rejected_share(rejected, len(frame), max_rejected_share, limit_name)
    valid = fields.as_rule_types(valid, rules)
    probability = model.predict_proba(valid)[:, 1] if len(valid) else np.empty(0)
    scored = valid.assign(
        probability=probability,
        positive=probability >= threshold,
        missing_fields=missing_fields(valid, names),
        model_version=version,
    )
    return (
        scored,
        rejected,
        {
            "rows": len(frame),
            "scored": len(scored),
            "rejected": len(rejected),
            "rejected_share": share,
            "mean_probability": float(probability.mean()) if len(valid) else float("nan"),
            "flagged_share": float(scored["positive"].mean()) if len(valid) else float("nan"),
            "threshold": threshold,
            "model_version": version,
        },
    )


def score(params: dict, project: Project) -> None:
    """The latest batch (the test part, its target left out) scored with the model, as a user's file
    would be (`make predict`)."""
    batch = read_parquet(split_part("test"))
    model = load(MODEL)
    scored, rejected, found = score_rows(
        batch,
        project,
        params["data"],
        model,
        file_md5(MODEL),
        read_json(metrics_file("train"))["threshold"],
        params["score"]["max_rejected_share"],
        "score.max_rejected_share",
    )
    with atomic_dir(SCORED) as folder:
        write_parquet(scored, folder / "scored.parquet")
        write_parquet(rejected, folder / "quarantine.parquet")
    write_json(found, metrics_file("score"))


def monitor(params: dict, project: Project) -> None:
    """Drift of the scored batch against the training data, per feature and in score."""
    settings, features = (
        params["monitor"],
        [*params["features"]["categorical"], *params["features"]["numeric"]],
    )
    reference = read_parquet(split_part("train"))
    batch = read_parquet(SCORED / "scored.parquet")
    drift = drift_table(reference[features], batch[features], settings["psi_bins"], settings["psi_flag"])
    reference_score = pd.DataFrame({"score": load(MODEL).predict_proba(reference)[:, 1]})
    in_score = drift_table(
        reference_score,
        batch[["probability"]].set_axis(["score"], axis=1),
        settings["psi_bins"],
        settings["psi_flag"],
    )
    write_json(
        {
            "features": drift,
            "score": in_score["score"],
            "reference_rows": len(reference),
            "batch_rows": len(batch),
            "flagged": sorted(n for n, e in drift.items() if e["flagged"]),
        },
        metrics_file("drift"),
    )


def _metric_table(evaluation: dict) -> pd.DataFrame:
    names = ("roc_auc", "average_precision", "log_loss", "brier")
    rows = [
        {"where": where, "who": who, **{n: section[who][n] for n in names}}
        for where, section in (("validation (backtest mean)", evaluation["validation"]), ("test", evaluation))
        for who in ("model", "baseline", "lift")
    ]
    return pd.DataFrame(rows)


def report(params: dict, project: Project) -> None:
    """reports/index.html: self-contained, the model against its baseline first."""
    evaluation, quality = read_json(metrics_file("evaluate")), read_json(metrics_file("data_quality"))
    split_metrics, scored = read_json(metrics_file("split")), read_json(metrics_file("score"))
    drift = read_json(metrics_file("drift"))
    chosen = params["split"]
    how = (
        f"by time: column {params['data']['time']!r}, backtest periods {chosen['backtest_periods']}, "
        f"test periods {chosen['test_periods']}"
        if chosen["method"] == "time"
        else f"stratified and seeded (seed {chosen['seed']}): {chosen['test_share']:.0%} of each "
        f"class held out for test, {chosen['folds']}-fold cross-validation on the rest"
    )
    lift = evaluation["validation"]["lift"]["roc_auc"]
    sections = [
        Section("Model against its baseline")
        .add_text(
            f"The {params['train']['model']} model adds {lift:+.3f} ROC AUC over the baseline (the "
            f"positive rate by {', '.join(params['baseline']['group_by']) or 'nothing: the prior'}) "
            f"on validation."
        )
        .add_text(f"Split {how}.")
        .add_table(_metric_table(evaluation))
        .add_images(sorted(EVALUATE_FIGURES.glob("*.png"))),
        Section("Data")
        .add_text(
            f"{quality['ingest']['rows_out']} rows read, {quality['target']['rows_without_target']} without "
            f"a target left out; {quality['validate']['soft_failing_rows']} soft findings "
            f"(metrics/validate.json)."
        )
        .add_table(pd.DataFrame([{"part": n, **split_metrics[n]} for n in ("train", "test")]))
        .add_images(sorted(EXPLORE_FIGURES.glob("*.png"))),
        Section("Latest batch").add_text(
            f"{scored['scored']} rows scored, {scored['rejected']} quarantined; drift flagged on: "
            f"{', '.join(drift['flagged']) or 'no feature'}; score PSI {drift['score']['psi']:.3f}."
        ),
    ]
    write_text(render(project.title, sections), REPORT)
