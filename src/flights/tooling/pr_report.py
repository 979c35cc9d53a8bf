"""`make pr-report BASE=<rev>`: compare the workspace with <rev> and with the baseline, write
reports/pr-report.md and its plots under reports/pr/, and exit 1 when a gate fails (2: bad input).

The report itself is mlkit's (`mlkit.tooling.pr_report`); this module says what it shows of the
flights pipeline: the title, the data quantities and the files. In a shallow clone, fetch the base
first, e.g. `git fetch --depth 1 origin main:refs/remotes/origin/main`, then
`make pr-report BASE=origin/main`.
"""

import sys

from flights.data.validate import JOINS
from flights.shared import paths
from flights.shared.vocabulary import FLIGHT_KEYS, LABEL, REPLICA
from mlkit.backtest import FOLD
from mlkit.tooling import pr_report
from mlkit.tooling.base_run import PredictionFiles

DATA_FIELDS = (  # (label, source.dotted.key) of the data diff; sources in PROJECT.data_sources
    ("flights in", "quality.prepare.rows_in"),
    ("flights out", "quality.prepare.rows_out"),
    ("cancelled", "quality.prepare.status_counts.cancelled"),
    ("diverted", "quality.prepare.status_counts.diverted"),
    ("label rate, all flights", "quality.prepare.label_rate"),
    ("label rate, completed flights", "quality.prepare.label_rate_completed_only"),
    ("flights outside the split's months", "quality.split.rows_outside_parts"),
    *((f"join coverage, {join}", f"quality.validate.join_coverage.{join}.coverage") for join in JOINS),
    ("flights without a tail number", "quality.validate.missing_values.flights.tailnum"),
    *(
        (f"{part} {what}", f"split.{part}.{key}")
        for part in paths.SPLIT_PARTS
        for what, key in (("rows", "rows"), ("class rate", "positive_rate"))
    ),
)

# Run in the base revision's worktree, with its code: its model and context file on this change's test
# flights (argv: the test data, the Parquet file to write).
RESCORE_SCRIPT = """
import sys
import pandas as pd
from flights.shared import paths
from flights.model.train import load_pipeline
model = load_pipeline(paths.MODEL, paths.CONTEXT)
proba = model.predict_proba(pd.read_parquet(sys.argv[1]))[:, 1]
pd.DataFrame({"proba": proba}).to_parquet(sys.argv[2])
"""

PREDICTIONS = PredictionFiles(
    validation=paths.VALIDATION_PREDICTIONS,
    test=paths.TEST_PREDICTIONS,
    keys=FLIGHT_KEYS,
    label=LABEL,
    fold=FOLD,
    proba="model",
    test_data=paths.split_part("test"),
    rescore=("env", "PYTHONPATH=src", sys.executable, "-c", RESCORE_SCRIPT),
    optional_keys=(REPLICA,),  # scaled data (data.scale > 1) repeat each flight's keys
)

PROJECT = pr_report.Project(
    title="Pull-request report: flight disruption model",
    data_sources={"quality": paths.DATA_QUALITY, "split": paths.SPLIT_METRICS},
    data_fields=DATA_FIELDS,
    params=paths.PARAMS,
    metrics=paths.EVALUATE_METRICS,
    curves=paths.EVALUATE_PLOTS,
    reproduced=paths.REPRODUCED,
    # what makes the pipeline's outputs: the report describes a commit of these, not a workspace edit
    pipeline_files=("dvc.yaml", str(paths.PARAMS), str(paths.LOCK), str(paths.REQUIREMENTS), "src"),
    report=paths.PR_REPORT,
    figures=paths.PR_FIGURES,
    intervals=paths.INTERVALS,
    predictions=PREDICTIONS,
    held_out="test months",
)


def main(argv: list[str] | None = None) -> int:
    return pr_report.main(PROJECT, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
