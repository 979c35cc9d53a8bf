"""The stages of a single-table binary-classification project (`make new`), one function per dvc.yaml
stage: each reads its declared inputs, calls mlkit's components and writes its declared outputs. A
generated project's entry points are one line each over these, with its own `Project` (the title and
the schema module it edits)."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from sklearn.pipeline import Pipeline

from mlkit import fields
from mlkit.backtest import FOLD, PROBA, ROW, compared, fit_backtested, out_of_fold
from mlkit.baselines import MAJORITY_THRESHOLD, GroupRateClassifier, majority_class
from mlkit.bootstrap import delta_record
from mlkit.drift import drift_table
from mlkit.eda import rate_by, rate_by_bins
from mlkit.errors import DataError, ParamError
from mlkit.evaluation import feature_importance, held_out_metrics, slice_metrics
from mlkit.io import atomic_dir, read_json, read_parquet, write_csv, write_json, write_parquet, write_text
from mlkit.persistence import file_md5, load_model, save_model
from mlkit.plots import bar_chart, write_curve_figures, write_importance_figure
from mlkit.profile import field_rules
from mlkit.report import Section, render
from mlkit.scoring import missing_fields, rejected_share
from mlkit.split import split_account, summary
from mlkit.tabular import (
    PERIOD,
    ROW_ID,
    TRUSTED_TYPES,
    backtest_plan,
    build_pipeline,
    known_categories,
    periods,
    split_parts,
    stratified_folds,
)
from mlkit.validation import enforce, missing_values, quarantine, violations

RAW = Path("data/raw/table.parquet")
SPLIT = Path("data/split")
BACKTEST = Path("data/backtest")
SCORED = Path("data/scored")
PREDICTIONS = Path("data/predictions")
MODEL, BASELINE, MAJORITY = (
    Path("models/model.skops"),
    Path("models/baseline.skops"),
    Path("models/majority.skops"),
)
METRICS = Path("metrics")
EXPLORE_PLOTS, EVALUATE_PLOTS = Path("plots/explore"), Path("plots/evaluate")
EXPLORE_FIGURES, EVALUATE_FIGURES = Path("reports/figures/explore"), Path("reports/figures/evaluate")
REPORT = Path("reports/index.html")
LOCK, PARAMS = Path("dvc.lock"), Path("params.yaml")
# what a clean run must leave exactly as committed (make verify, the PR check)
REPRODUCED = (LOCK, METRICS, EXPLORE_PLOTS, EVALUATE_PLOTS)
CLASS_NAMES = ("negative", "positive")


def metrics_file(stage: str) -> Path:
    return METRICS / f"{stage}.json"


def split_part(name: str) -> Path:
    return SPLIT / f"{name}.parquet"


@dataclass(frozen=True)
class Project:
    """What a generated project adds to the stages: its title and its schema module's two schemas."""

    title: str
    hard: pa.DataFrameSchema
    soft: pa.DataFrameSchema

    def input_fields(self, data: dict) -> list[fields.FieldRule]:
        """The fields of a request or a batch row: every column but the target and the time column."""
        return field_rules(self.hard, [data["target"], data.get("time") or ""])


# ----------------------------------------------------------------------------------------- data
def read_source(path: Path) -> pd.DataFrame:
    """The source table, CSV or Parquet by extension; a clear DataError when it cannot be read."""
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except FileNotFoundError as error:
        raise DataError(f"data.source {path} does not exist: `dvc pull` fetches it") from error
    except Exception as error:  # pandas raises many types for a corrupt or odd file
        raise DataError(f"data.source {path} cannot be read: {error}") from error
    return frame


def ingest(params: dict, project: Project) -> None:
    """The source as typed Parquet (a deterministic sample when data.sample_fraction < 1), each row
    keeping its position in the source as ROW_ID."""
    data = params["data"]
    source = read_source(Path(data["source"]))
    if ROW_ID in source.columns:
        raise DataError(f"data.source has a column named {ROW_ID!r}, the name mlkit gives each row's key")
    table = source.rename_axis(ROW_ID).reset_index()
    if data["sample_fraction"] < 1:
        table = table.sample(frac=data["sample_fraction"], random_state=data["seed"]).sort_values(ROW_ID)
    write_parquet(table.reset_index(drop=True), RAW)
    write_json(
        {"rows_in": len(source), "rows_out": len(table), "columns": len(source.columns)},
        metrics_file("ingest"),
    )


def validate(params: dict, project: Project) -> None:
    """HARD rules stop the pipeline with every broken rule listed; SOFT findings are counted."""
    table = read_parquet(RAW).drop(columns=ROW_ID)
    enforce(table, project.hard, "source")
    soft = violations(table, project.soft, "source")
    write_json(
        {
            "rows": len(table),
            "missing_values": missing_values(table),
            "soft_findings": [v.as_dict() for v in soft],
            "soft_failing_rows": sum(v.failing_rows for v in soft),
        },
        metrics_file("validate"),
    )


def labelled(params: dict, project: Project) -> tuple[pd.DataFrame, int]:
    """The validated table with its target as 0/1 (data.positive is 1) and the split's PERIOD; rows
    without a target are left out and their number returned."""
    data = params["data"]
    raw = read_parquet(RAW)
    table = project.hard.validate(raw.drop(columns=ROW_ID)).assign(**{ROW_ID: raw[ROW_ID]})
    target = data["target"]
    missing = int(table[target].isna().sum())
    table = table[table[target].notna()].reset_index(drop=True)
    table[target] = (table[target].astype(str) == str(data["positive"])).astype("int64")
    split = params["split"]
    if split["method"] == "time":
        table[PERIOD] = periods(table[data["time"]], split["time_kind"])
    else:
        table[PERIOD] = stratified_folds(table[target], split["test_share"], split["folds"], split["seed"])
    return table, missing


def explore(params: dict, project: Project) -> None:
    """The positive rate by each categorical feature and by deciles of each numeric one, and the
    missing values per column: tables (DVC plots) and their PNG renderings."""
    table, _ = labelled(params, project)
    target, settings = params["data"]["target"], params["explore"]
    found = {}
    for column in params["features"]["categorical"]:
        found[f"rate_by_{column}"] = (rate_by(table, column, target, settings["top_n"]), column, "rate")
    for column in params["features"]["numeric"]:
        edges = sorted(set(np.nanquantile(table[column].astype(float), np.linspace(0, 1, 6)).tolist()))
        if len(edges) > 1:
            found[f"rate_by_{column}"] = (rate_by_bins(table, column, edges, target), column, "rate")
    missing = table.drop(columns=[PERIOD, ROW_ID]).isna().mean().rename("missing_share")
    found["missing_values"] = (missing.rename_axis("column").reset_index(), "column", "missing_share")
    with atomic_dir(EXPLORE_PLOTS) as tables, atomic_dir(EXPLORE_FIGURES) as images:
        for name, (frame, x, y) in found.items():
            write_csv(frame, tables / f"{name}.csv")
            bar_chart(frame, x, y, name.replace("_", " "), images / f"{name}.png")


def split(params: dict, project: Project) -> None:
    """The train and test parts and the data's row account (metrics/data_quality.json)."""
    table, without_target = labelled(params, project)
    target, parts = params["data"]["target"], split_parts(params["split"])
    present = set(table[PERIOD].unique().tolist())
    for name, wanted in parts.items():
        absent = sorted(set(wanted) - present, key=str)
        if absent:
            raise ParamError(
                f"params.yaml: split part {name!r} asks for periods {absent}, absent from the data"
            )
    found = {name: table[table[PERIOD].isin(wanted)].reset_index(drop=True) for name, wanted in parts.items()}
    for name, part in found.items():
        write_parquet(part, split_part(name))
    plan = backtest_plan(params["split"])
    folds = {fold.name: found["train"][found["train"][PERIOD] == fold.period] for fold in plan.folds}
    method = params["split"]["method"]
    write_json(
        summary(found, target) | {"backtest": summary(folds, target), "method": method}, metrics_file("split")
    )
    write_json(
        {
            "ingest": read_json(metrics_file("ingest")),
            "validate": read_json(metrics_file("validate")),
            "target": {"rows_without_target": without_target, "positive_rate": float(table[target].mean())},
            "split": split_account(table, PERIOD, parts),
        },
        metrics_file("data_quality"),
    )


# ----------------------------------------------------------------------------------------- model
def baseline(params: dict, project: Project) -> None:
    """The smoothed positive rate by baseline.group_by and the majority class, backtested as the model."""
    train, target = read_parquet(split_part("train")), params["data"]["target"]
    plan, settings = backtest_plan(params["split"]), params["baseline"]
    group_by = tuple(settings["group_by"])
    unknown = sorted(set(group_by) - set(params["features"]["categorical"]))
    if unknown:
        raise ParamError(f"params.yaml: baseline.group_by names {unknown}, not in features.categorical")
    if group_by:
        rate = fit_backtested(
            lambda: GroupRateClassifier(group_by, settings["smoothing"]), train, target, plan
        )
    else:  # no categorical column to group by: the prior is the baseline
        rate = fit_backtested(majority_class, train, target, plan)
    majority = fit_backtested(majority_class, train, target, plan, MAJORITY_THRESHOLD)
    save_model(rate.model, BASELINE)
    save_model(majority.model, MAJORITY)
    write_parquet(out_of_fold(rate), BACKTEST / "baseline.parquet")
    write_json(
        {"baseline": rate.metrics(), "majority": majority.metrics(), "group_by": list(group_by)},
        metrics_file("baseline"),
    )


def train(params: dict, project: Project) -> None:
    """The chosen family backtested on the folds of `split`, its out-of-fold predictions and the model
    fitted on every training period."""
    train_part, target = read_parquet(split_part("train")), params["data"]["target"]
    result = fit_backtested(
        lambda: build_pipeline(params["train"], params["features"]),
        train_part,
        target,
        backtest_plan(params["split"]),
    )
    save_model(result.model, MODEL)
    write_parquet(out_of_fold(result), BACKTEST / "model.parquet")
    write_json(result.metrics() | {"model": params["train"]["model"]}, metrics_file("train"))


def load(path: Path) -> Pipeline:
    return load_model(path, TRUSTED_TYPES)


def evaluate(params: dict, project: Project) -> None:
    """Test metrics of model, baseline and majority beside their backtest, slices, curves, importance
    and the intervals of the model's lift over the baseline (a paired bootstrap over rows)."""
    test, target, settings = read_parquet(split_part("test")), params["data"]["target"], params["evaluate"]
    y = test[target].to_numpy()
    trained, baselines = read_json(metrics_file("train")), read_json(metrics_file("baseline"))
    thresholds = {
        "model": trained["threshold"],
        "baseline": baselines["baseline"]["threshold"],
        "majority": baselines["majority"]["threshold"],
    }
    models = {"model": load(MODEL), "baseline": load(BASELINE), "majority": load(MAJORITY)}
    proba = {name: model.predict_proba(test)[:, 1] for name, model in models.items()}
    oof_model, oof_base = (
        read_parquet(BACKTEST / "model.parquet"),
        read_parquet(BACKTEST / "baseline.parquet"),
    )
    train_part = read_parquet(split_part("train"))
    validated = (
        train_part.loc[oof_model[ROW], [ROW_ID, target]]
        .reset_index(drop=True)
        .assign(
            fold=oof_model[FOLD].to_numpy(),
            model=oof_model[PROBA].to_numpy(),
            baseline=oof_base[PROBA].to_numpy(),
        )
    )
    boot = params["bootstrap"] | {"group_by": [ROW_ID]}
    record = delta_record(y, proba["baseline"], proba["model"], test, **boot)
    folds = delta_record(
        validated[target].to_numpy(),
        validated["baseline"].to_numpy(),
        validated["model"].to_numpy(),
        validated,
        **boot,
        strata=FOLD,
    )
    slices = [c for c in settings["slices"] if c in test.columns]
    sample = test.sample(n=min(settings["importance_rows"], len(test)), random_state=settings["seed"])
    with (
        atomic_dir(EVALUATE_PLOTS) as tables,
        atomic_dir(EVALUATE_FIGURES) as images,
        atomic_dir(PREDICTIONS) as predictions,
    ):
        write_curve_figures(y, proba, thresholds["model"], CLASS_NAMES, tables, images)
        importance = feature_importance(
            models["model"], sample, sample[target], settings["importance_repeats"], settings["seed"]
        )
        write_importance_figure(importance, tables, images)
        write_parquet(validated, predictions / "validation.parquet")
        write_parquet(
            test[[ROW_ID, target]].assign(model=proba["model"], baseline=proba["baseline"]),
            predictions / "test.parquet",
        )
    validation = compared(trained, baselines["baseline"])
    write_json(
        held_out_metrics(y, proba, thresholds, validation) | {"split": params["split"]["method"]},
        metrics_file("evaluate"),
    )
    write_json(
        slice_metrics(y, test, proba, thresholds, slices, settings["min_slice_rows"]), metrics_file("slices")
    )
    write_json(
        {
            "bootstrap": record["bootstrap"],
            "test": {"lift": record["delta"]},
            "validation": {"lift": folds["delta"], "strata": FOLD},
        },
        metrics_file("intervals"),
    )


# ----------------------------------------------------------------------------------------- delivery
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
