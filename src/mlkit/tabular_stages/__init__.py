"""The stages of a single-table binary-classification project (`make new`), one function per dvc.yaml
stage: each reads its declared inputs, calls mlkit's components and writes its declared outputs. A
generated project's entry points are one line each over these, with its own `Project` (the title and
the schema module it edits).

One module per part of the pipeline's story:

- `mlkit.tabular_stages.paths`: the files the stages read and write, and `Project`;
- `mlkit.tabular_stages.data`: ingest, validate, explore and split;
- `mlkit.tabular_stages.model`: baseline, train and evaluate;
- `mlkit.tabular_stages.delivery`: score, monitor and report (with the batch scoring the service shares).

The package itself exposes exactly what a generated project imports: `Project` and the ten stages.
"""

from mlkit.tabular_stages.data import explore, ingest, split, validate
from mlkit.tabular_stages.delivery import monitor, report, score
from mlkit.tabular_stages.model import baseline, evaluate, train
from mlkit.tabular_stages.paths import Project

__all__ = [
    "Project",
    "baseline",
    "evaluate",
    "explore",
    "ingest",
    "monitor",
    "report",
    "score",
    "split",
    "train",
    "validate",
]
