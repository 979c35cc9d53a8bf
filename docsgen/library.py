"""mlkit as a library: the facts of its wheel, read from src/mlkit/pyproject.toml so that the docs cannot
drift from what `make wheel` builds, and the second pipeline `make new` made with it."""

from __future__ import annotations

import tomllib

from docsgen.model import metrics_table
from docsgen.sources import Sources, count, table


def package(src: Sources) -> str:
    """Name, version, Python and the declared dependencies of mlkit's wheel."""
    project = tomllib.loads((src.root / "src/mlkit/pyproject.toml").read_text())["project"]
    rows = [
        ["distribution", f"`{project['name']}`"],
        ["version", f"`{project['version']}`"],
        ["Python", f"`{project['requires-python']}`"],
        ["dependencies", ", ".join(f"`{name}`" for name in project["dependencies"])],
    ]
    return table(["", "mlkit"], rows)


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
            metrics_table(test, names, metrics, test["lift"]),
            "",
            f"**Validation** (the backtest's fold mean, {years(periods['backtest_periods'])}; "
            "what the PR check gates):",
            "",
            metrics_table(validation, names[1:], metrics, validation["lift"]),
        ]
    )
