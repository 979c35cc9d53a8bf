"""`make sweep`: queue the grid of sweep.yaml as DVC experiments, run it with 2 workers, compare.

Experiments are ranked on the validation month; the test months are shown, never used to choose.
"""

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import yaml

from mlkit.config import ParamError, check_shape, is_positive, is_whole, load_params, require
from mlkit.experiments import check_grid, expand, experiments, queue, run_queue
from mlkit.io import write_csv, write_text
from mlkit.metrics import METRICS
from mlkit.plots import metric_by_parameter

SWEEP_FILE = Path("sweep.yaml")
OUTPUT = Path("reports/sweep")
EVALUATE = "metrics/evaluate.json"


def swept_parameters(runs: Iterable[dict]) -> list[str]:
    """Every parameter any run sets, in the grid's order."""
    return list(dict.fromkeys(key for run in runs for key in run))


def comparison(found: list[tuple[str, dict, dict]], settings: dict[str, dict], metric: str) -> pd.DataFrame:
    """One row per experiment: its settings, validation metrics (ranked), baseline and test figures,
    then a column per swept parameter (empty where the experiment leaves it at params.yaml's value)."""
    rows = []
    for name, _, metrics in found:
        evaluate = metrics.get(EVALUATE, {})
        if not evaluate:
            continue
        validation = evaluate["validation"]
        rows.append(
            {"experiment": name, "settings": ", ".join(f"{k}={v}" for k, v in settings[name].items()),
             f"valid {metric}": validation["model"][metric],
             f"valid baseline {metric}": validation["baseline"][metric],
             f"valid lift {metric}": validation["lift"][metric],
             "valid log_loss": validation["model"]["log_loss"],
             f"test {metric} (not used to rank)": evaluate["model"][metric]} | settings[name]
        )  # fmt: skip
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    parameters = swept_parameters(settings.values())
    table[parameters] = table[parameters].convert_dtypes()  # whole numbers stay whole beside the gaps
    ascending = METRICS[metric] == "lower"
    return table.sort_values([f"valid {metric}", "experiment"], ascending=[ascending, True]).reset_index(
        drop=True
    )


SPEC_SHAPE = dict.fromkeys(["workers", "timeout_minutes", "rank_by", "grid"])


def read_spec(path: Path) -> dict:
    """The sweep spec, checked whole before anything is queued; raises ParamError naming the problem."""
    if not path.exists():
        raise ParamError(f"{path} does not exist")
    spec = yaml.safe_load(path.read_text())
    source = path.as_posix()
    check_shape(spec, SPEC_SHAPE, source=source)
    require(is_whole(spec["workers"], 1), "workers", spec["workers"], "a whole number >= 1", source)
    timeout = spec["timeout_minutes"]
    require(is_positive(timeout), "timeout_minutes", timeout, "a finite number > 0", source)
    metric = spec["rank_by"]
    known = isinstance(metric, str) and metric in METRICS
    require(known, "rank_by", metric, f"one of {sorted(METRICS)}", source)
    check_grid(spec["grid"], load_params(), source)
    return spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=SWEEP_FILE, help="the grid (default: sweep.yaml)")
    try:
        spec = read_spec(parser.parse_args(argv).spec)
    except (ParamError, yaml.YAMLError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    metric = spec["rank_by"]
    runs = expand(spec["grid"])
    tasks = queue(runs)
    print(f"queued {len(tasks)} experiments; running with {spec['workers']} workers ...", flush=True)
    outcome = run_queue(tasks, spec["workers"], spec["timeout_minutes"] * 60)
    settings = dict(zip(tasks, runs, strict=True))
    table = comparison(list(experiments(outcome.finished)), settings, metric)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    summary = (
        f"{len(outcome.finished)} finished, {len(outcome.failed)} failed {outcome.failed}, "
        f"{len(outcome.left_queued)} left unfinished at the timeout {outcome.left_queued}, "
        f"in {outcome.seconds:.0f} s with {spec['workers']} workers"
    )
    parameters = swept_parameters(runs)
    shown = table.drop(columns=parameters, errors="ignore")  # they are in "settings"
    ranked = shown.to_markdown(index=False) if not table.empty else "no results"
    write_text(f"# Sweep\n\n{summary}\n\nRanked by validation {metric}.\n\n{ranked}\n", OUTPUT / "sweep.md")
    if table.empty:  # no table or figure of an earlier sweep left beside this report
        for stale in (OUTPUT / "sweep.csv", OUTPUT / "sweep.png"):
            stale.unlink(missing_ok=True)
    else:
        write_csv(table, OUTPUT / "sweep.csv")
        metric_by_parameter(
            table, parameters, f"valid {metric}", float(table[f"valid baseline {metric}"].iloc[0]),
            "baseline (carrier x hour)", f"validation {metric} by parameter", OUTPUT / "sweep.png",
        )  # fmt: skip
    print(summary)
    print(table.to_string(index=False))
    return 0 if not outcome.failed and not outcome.left_queued else 1


if __name__ == "__main__":
    sys.exit(main())
