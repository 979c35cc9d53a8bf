"""`make sweep`: queue the grid of sweep.yaml as DVC experiments, run them with its workers, compare.

Experiments are ranked on the validation metrics, the mean over the backtest's folds; the test months
are shown, never used to choose. The report gives the agreement of the two rankings (Spearman's rank
correlation between the validation and the test metric over the experiments): a protocol that ranks
settings in the opposite order of the held-out months would choose the wrong ones.
"""

import argparse
import copy
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from flights.shared import paths
from flights.shared.params import Metric, check_params, project_params
from mlkit.config import ParamError, Section, parent_of, parse_params, positive, validate_params, whole
from mlkit.io import write_csv, write_text
from mlkit.metrics import METRICS
from mlkit.plots import metric_by_parameter
from mlkit.tooling.experiment_queue import experiments, failure_reason, queue, run_queue
from mlkit.tooling.experiment_sharing import (
    head,
    pull_experiments,
    push_experiments,
    remote_experiments,
    require_full_history,
    require_remotes,
)
from mlkit.tooling.sweep_grid import check_grid, expand, experiment_name, parse_shard, shard


class Spec(Section):
    """sweep.yaml. The grid's keys are checked against params.yaml (check_grid), and every run's values
    with the params models (check_values)."""

    workers: int = whole(1)
    timeout_minutes: float = positive()
    rank_by: Metric
    grid: Any


def swept_parameters(runs: Iterable[dict]) -> list[str]:
    """Every parameter any run sets, in the grid's order."""
    return list(dict.fromkeys(key for run in runs for key in run))


def comparison(found: list[tuple[str, dict, dict]], settings: dict[str, dict], metric: str) -> pd.DataFrame:
    """One row per experiment: its settings, validation metrics (the backtest's fold mean, ranked),
    baseline, the lift's 95% interval (metrics/intervals.json; empty for an experiment without it) and
    test figures, then a column per swept parameter (empty where the experiment leaves it at
    params.yaml's value)."""
    rows = []
    for name, _, metrics in found:
        evaluate = metrics.get(paths.EVALUATE_METRICS.as_posix(), {})
        if not evaluate:
            continue
        validation = evaluate["validation"]
        interval = metrics.get(paths.INTERVALS.as_posix(), {}).get("validation", {}).get("lift", {})
        interval = interval.get(metric, {})
        rows.append(
            {"experiment": name, "settings": ", ".join(f"{k}={v}" for k, v in settings[name].items()),
             f"valid {metric}": validation["model"][metric],
             f"valid baseline {metric}": validation["baseline"][metric],
             f"valid lift {metric}": validation["lift"][metric],
             f"valid lift {metric} low": interval.get("low"),
             f"valid lift {metric} high": interval.get("high"),
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


def agreement(table: pd.DataFrame, metric: str) -> float:
    """Spearman's rank correlation between the experiments' validation and test `metric` (+1: the
    validation ranks them as the test months do; NaN below two experiments)."""
    if len(table) < 2:
        return float("nan")
    valid, test = table[f"valid {metric}"], table[f"test {metric} (not used to rank)"]
    return float(valid.rank().corr(test.rank()))


def with_settings(params: dict, settings: dict[str, object]) -> dict:
    """A copy of `params` with one run's dotted settings (`train.hgb.max_iter: 50`) applied; the grid's
    keys were checked to be parameters of `params` (check_grid)."""
    changed = copy.deepcopy(params)
    for dotted, value in settings.items():
        parent, name = parent_of(changed, dotted)
        parent[name] = value
    return changed


def check_values(runs: list[dict[str, object]], params: dict, source: str) -> None:
    """Every run's params, every section, through the models of flights.shared.params (those a stage validates
    when it starts): a bad value anywhere is refused before anything is queued."""
    for run in runs:
        try:
            check_params(with_settings(params, run))
        except ParamError as error:
            raise ParamError(f"{source}: the run {run}: {error}") from None


def read_spec(path: Path) -> dict:
    """The sweep spec, checked whole before anything is queued; raises ParamError naming the problem."""
    if not path.exists():
        raise ParamError(f"{path} does not exist")
    source = path.as_posix()
    spec = parse_params(path.read_text(), source)
    validate_params(spec, Spec, source)
    params = project_params()
    check_grid(spec["grid"], params, source)
    check_values(expand(spec["grid"]), params, source)
    return spec


def write_report(table: pd.DataFrame, runs: list[dict], summary: str, metric: str) -> str:
    """reports/sweep/: sweep.md (the summary, the ranking and the agreement line), sweep.csv and
    sweep.png; returns the agreement line. The same for a sweep run here and one collected from shards."""
    output = paths.SWEEP_REPORTS
    output.mkdir(parents=True, exist_ok=True)
    parameters = swept_parameters(runs)
    shown = table.drop(columns=parameters, errors="ignore")  # they are in "settings"
    ranked = shown.to_markdown(index=False) if not table.empty else "no results"
    agree = (
        f"Agreement of the validation ranking with the test months' ranking (Spearman's rank "
        f"correlation of {metric} over {len(table)} experiments): {agreement(table, metric):+.2f}"
    )
    write_text(
        f"# Sweep\n\n{summary}\n\nRanked by validation {metric} (the mean over the backtest's folds).\n\n"
        f"{agree}\n\n{ranked}\n",
        output / "sweep.md",
    )
    if table.empty:  # no table or figure of an earlier sweep left beside this report
        for stale in (output / "sweep.csv", output / "sweep.png"):
            stale.unlink(missing_ok=True)
    else:
        write_csv(table, output / "sweep.csv")
        metric_by_parameter(
            table, parameters, f"valid {metric}", float(table[f"valid baseline {metric}"].iloc[0]),
            "baseline (carrier x hour)", f"validation {metric} by parameter", output / "sweep.png",
        )  # fmt: skip
    return agree


def run(spec: dict, runs: list[dict], shared: tuple[tuple[int, int], str] | None) -> int:
    """Queue and run `runs`; a whole sweep writes the report, a share (`shared`: its (i, N) and the git
    remote) pushes its finished experiments instead, for `collect` to rank with the others."""
    metric = spec["rank_by"]
    tasks = queue(runs)
    share = f" (share {shared[0][0]}/{shared[0][1]})" if shared else ""
    print(f"queued {len(tasks)} experiments{share}; running with {spec['workers']} workers ...", flush=True)
    outcome = run_queue(tasks, spec["workers"], spec["timeout_minutes"] * 60)
    settings = dict(zip(tasks, runs, strict=True))
    table = comparison(list(experiments(outcome.finished)), settings, metric)
    summary = (
        f"{len(outcome.finished)} finished, {len(outcome.failed)} failed {outcome.failed}, "
        f"{len(outcome.left_queued)} left unfinished at the timeout {outcome.left_queued}, "
        f"in {outcome.seconds:.0f} s with {spec['workers']} workers"
    )
    summary += "".join(f"\n\n- {name} failed: {failure_reason(tasks[name])}" for name in outcome.failed)
    if shared:
        push_experiments(outcome.finished, shared[1])
        summary += f"\n\npushed {outcome.finished} to {shared[1]!r}: `make sweep-collect` ranks every share"
    agree = "" if shared else write_report(table, runs, summary, metric)
    print(f"{summary}\n{table.to_string(index=False)}\n{agree}".rstrip())
    return 0 if not outcome.failed and not outcome.left_queued else 1


def collect(spec: dict, runs: list[dict], git_remote: str) -> int:
    """`make sweep-collect`: pull the sweep's experiments of HEAD from the git remote, as the shards
    pushed them, and write the report a whole sweep writes. Every share must have run on HEAD: an
    experiment of the grid found only on another commit is an error, and nothing is written."""
    require_full_history()
    baseline, remote = head(), remote_experiments(git_remote)
    names = [experiment_name(settings) for settings in runs]
    elsewhere = {n: sorted(remote[n]) for n in names if n in remote and baseline not in remote[n]}
    if elsewhere:
        where = "; ".join(f"{n} on {', '.join(c[:7] for c in commits)}" for n, commits in elsewhere.items())
        raise RuntimeError(
            f"the shards and the collector must share one baseline commit: HEAD is {baseline[:7]}, but "
            f"{git_remote!r} holds {where} only. Check out the shards' commit, or run those shares on HEAD"
        )
    here = [n for n in names if n in remote]
    pull_experiments(here, git_remote)
    found = list(experiments(here))
    twice = sorted(name for name, count in Counter(n for n, _, _ in found).items() if count > 1)
    if twice:
        raise RuntimeError(f"`dvc exp show` lists {twice} more than once on {baseline[:7]}")
    table = comparison(found, dict(zip(names, runs, strict=True)), spec["rank_by"])
    missing = [n for n in names if n not in set(table["experiment"] if not table.empty else [])]
    summary = (
        f"{len(table)} of {len(names)} grid points collected from {git_remote!r} on {baseline[:7]}, "
        f"{len(missing)} missing {missing}"
    )
    agree = write_report(table, runs, summary, spec["rank_by"])
    print(summary)
    print(table.to_string(index=False))
    print(agree)
    return 0 if not missing else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=paths.SWEEP_SPEC, help="the grid (default: sweep.yaml)")
    parser.add_argument("--shard", help="i/N: run share i of N of the grid, push its experiments")
    parser.add_argument("--collect", action="store_true", help="pull every share and rank them together")
    parser.add_argument("--git-remote", default="origin", help="where shares push experiments (origin)")
    args = parser.parse_args(argv)
    if args.shard and args.collect:
        parser.error("--shard and --collect: one or the other")
    try:
        spec = read_spec(args.spec)
        runs = expand(spec["grid"])
        if args.collect:
            return collect(spec, runs, args.git_remote)
        if args.shard:
            index, count = parse_shard(args.shard)
            require_full_history()
            require_remotes(args.git_remote)
            return run(spec, shard(runs, index, count), ((index, count), args.git_remote))
        return run(spec, runs, None)
    except (ParamError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
