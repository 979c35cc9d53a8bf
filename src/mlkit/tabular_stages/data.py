"""The data stages: the source read as typed Parquet, its rules enforced, explored and split into the
train and test parts with the data's row account."""

from pathlib import Path

import numpy as np
import pandas as pd

from mlkit.eda import rate_by, rate_by_bins
from mlkit.errors import DataError, ParamError
from mlkit.io import atomic_dir, read_json, read_parquet, write_csv, write_json, write_parquet
from mlkit.plots import bar_chart
from mlkit.split import split_account, summary
from mlkit.tabular import PERIOD, ROW_ID, backtest_plan, periods, split_parts, stratified_folds
from mlkit.tabular_stages.paths import EXPLORE_FIGURES, EXPLORE_PLOTS, RAW, Project, metrics_file, split_part
from mlkit.validation import enforce, missing_values, violations


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
