"""The delivery and tooling of a single-table project (`make new`): the HTTP service, batch scoring of
a user's file, the PR report and verify, each built from the project's `Project` and params."""

import argparse
import sys
from pathlib import Path
from typing import Annotated

from fastapi import Body, FastAPI
from pydantic import BaseModel, ConfigDict, Field, create_model

from mlkit import records
from mlkit.config import load_params
from mlkit.errors import DataError, ParamError
from mlkit.io import read_json
from mlkit.runtime import pin_threads
from mlkit.scoring import TooManyRejected, check_paths, fraction, read_table, with_own_columns, write_table
from mlkit.serving import (
    ModelVersionError,
    add_basic_routes,
    add_request_logging,
    bearer_guard,
    git_revision,
    limit_request_body,
    run_service,
    verified_model,
)
from mlkit.tabular import TRUSTED_TYPES, known_categories
from mlkit.tabular_stages.delivery import score_rows
from mlkit.tabular_stages.paths import EVALUATE_PLOTS, LOCK, MODEL, PARAMS, REPRODUCED, Project, metrics_file
from mlkit.tooling import pr_report, verify

MAX_BYTES_PER_ROW = 4_000


class Prediction(BaseModel):
    probability: float = Field(description="probability of the positive class")
    positive: bool = Field(description="probability at or above the threshold chosen on validation data")


class PredictResponse(BaseModel):
    model_version: str
    threshold: float
    predictions: list[Prediction]


def create_app(project: Project, root: Path = Path()) -> FastAPI:
    """Serve the model under `root`, refusing a file whose hash dvc.lock does not record: POST /predict
    takes {"rows": [...]} in the schema's field names (all but the target and the time column)."""
    import pandas as pd

    params = load_params(root / PARAMS)
    model, version = verified_model(root / MODEL, root / LOCK, TRUSTED_TYPES)
    threshold = read_json(root / metrics_file("train"))["threshold"]
    evaluation = read_json(root / metrics_file("evaluate"))
    categories = {c: v for c, v in known_categories(model).items() if v}
    rules = project.input_fields(params["data"])
    row = records.request_model(
        "Row", rules, "One row in the source table's field names.", choices=categories
    )
    max_rows = params["serve"]["max_rows"]
    request = create_model(
        "PredictRequest",
        __config__=ConfigDict(extra="forbid"),
        rows=(list[row], Field(min_length=1, max_length=max_rows)),  # type: ignore[valid-type]
    )
    info = {
        "version": version,
        "git_revision": git_revision(root),
        "threshold": threshold,
        "metrics": {name: evaluation[name] for name in ("model", "baseline", "lift")},
        "known_categories": categories,
    }
    app = FastAPI(title=project.title, version=version)
    limit_request_body(app, max_rows * MAX_BYTES_PER_ROW)
    add_request_logging(app)

    guard = bearer_guard()  # /predict and /model behind $MLKIT_API_TOKEN when it is set
    add_basic_routes(app, version, info, guard)

    @app.post("/predict", response_model=PredictResponse, dependencies=guard)
    async def predict(body: Annotated[request, Body()]) -> PredictResponse:  # type: ignore[valid-type]
        records = [r.inputs() for r in body.rows]  # type: ignore[attr-defined]
        frame = pd.DataFrame(records, columns=[rule.name for rule in rules])
        proba = model.predict_proba(frame)[:, 1]
        return PredictResponse(
            model_version=version,
            threshold=threshold,
            predictions=[Prediction(probability=float(p), positive=bool(p >= threshold)) for p in proba],
        )

    return app


def serve(project: Project) -> None:
    """`make serve`: uvicorn on 127.0.0.1:PORT (default 8000)."""
    run_service(lambda: create_app(project))


def predict(project: Project, argv: list[str] | None = None) -> int:
    """`make predict INPUT=... OUTPUT=...`: score a CSV or Parquet file; rejected rows go beside OUTPUT
    as `<name>.quarantine.<ext>` with their reason."""
    parser = argparse.ArgumentParser(description=predict.__doc__.splitlines()[0])  # type: ignore[union-attr]
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--max-rejected-share", type=fraction)
    args = parser.parse_args(argv)
    pin_threads()
    quarantine_path = args.output.with_suffix(f".quarantine{args.output.suffix}")
    try:
        check_paths(args.input, args.output)
        params = load_params(PARAMS)
        limit, limit_name = args.max_rejected_share, "--max-rejected-share"
        if limit is None:
            limit, limit_name = params["score"]["max_rejected_share"], "score.max_rejected_share"
        model, version = verified_model(MODEL, LOCK, TRUSTED_TYPES)
        names = [rule.name for rule in project.input_fields(params["data"])]
        rows = read_table(args.input, names, "input rows")
        threshold = read_json(metrics_file("train"))["threshold"]
        scored, rejected, found = score_rows(
            rows, project, params["data"], model, version, threshold, limit, limit_name
        )
    except TooManyRejected as error:
        args.output.unlink(missing_ok=True)
        write_table(with_own_columns(rows, error.rejected), quarantine_path)
        print(f"error: {error}\nevery rejected row and its reason: {quarantine_path}", file=sys.stderr)
        return 1
    except (DataError, ModelVersionError, ParamError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    write_table(with_own_columns(rows, scored), args.output)
    write_table(with_own_columns(rows, rejected), quarantine_path)
    print(
        f"scored {found['scored']} rows with model {version}; "
        f"rejected {found['rejected']} ({quarantine_path})"
    )
    return 0


def pr_report_project(project: Project, package: str) -> pr_report.Project:
    """The PR report's view of the project: its title, its own row counts, its files."""
    return pr_report.Project(
        title=f"Pull-request report: {project.title}",
        data_sources={"quality": metrics_file("data_quality"), "split": metrics_file("split")},
        data_fields=(
            ("rows read", "quality.ingest.rows_out"),
            ("rows without a target", "quality.target.rows_without_target"),
            ("soft findings", "quality.validate.soft_failing_rows"),
            ("train rows", "split.train.rows"),
            ("train positive rate", "split.train.positive_rate"),
            ("test rows", "split.test.rows"),
            ("test positive rate", "split.test.positive_rate"),
        ),
        params=PARAMS,
        metrics=metrics_file("evaluate"),
        curves=EVALUATE_PLOTS,
        reproduced=REPRODUCED,
        pipeline_files=("dvc.yaml", str(PARAMS), str(LOCK), "requirements.lock", f"src/{package}"),
        report=Path("reports/pr-report.md"),
        figures=Path("reports/pr"),
        intervals=metrics_file("intervals"),
    )


def run_pr_report(project: Project, package: str, argv: list[str] | None = None) -> int:
    return pr_report.main(pr_report_project(project, package), argv)


def run_verify() -> int:
    return verify.main([path.as_posix() for path in REPRODUCED])
