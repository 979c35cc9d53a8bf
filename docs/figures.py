"""Every figure that README.md and the docs show, rendered from the committed files that hold it.

Nothing here is typed by hand: a figure is a function of `metrics/*.json`, `params.yaml`,
`benchmarks/results.json`, `reports/sweep/sweep.csv` or `plots/evaluate/*.csv`, all tracked by git, so
`make docs` in a fresh clone needs no pipeline run.

In a Markdown file a figure sits between two markers, which this script rewrites:

    <!-- fig:results -->
    ...generated...
    <!-- /fig -->

A block figure (a table) is written on lines of its own; an inline one inside a sentence. Besides the
named figures of FIGURES, an inline figure can be one value of a committed file, by a dotted path:
`param.label.delay_minutes` (from params.yaml), `count.data_quality.prepare.status_counts.cancelled` (a
count with thousands separators), `share.split.test.positive_rate` (a percentage),
`metric.evaluate.model.roc_auc` (four decimals; `metric3.` three); the files are metrics/<name>.json, and
`bench` is benchmarks/results.json. The docs' build hook renders the same markers afresh;
`tests/unit/test_docs.py` fails when a committed file is not what this script writes, so a change that
moves a number and not its text fails.

    python docs/figures.py --write   # rewrite README.md, docs/**/*.md and docs/images/*.png
    python docs/figures.py --check   # exit 1 naming every stale file
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
IMAGES = DOCS / "images"

MARKER = re.compile(r"<!-- fig:(?P<name>[a-z0-9_.-]+) -->(?P<body>.*?)<!-- /fig -->", re.DOTALL)

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
# the metrics of the results tables, in order; evaluate.json may hold more
METRIC_LABELS = {
    "roc_auc": "ROC AUC",
    "average_precision": "average precision",
    "log_loss": "log loss",
    "brier": "Brier",
    "f1": "F1",
}
LOWER_IS_BETTER = {"log_loss", "brier"}


class FigureError(Exception):
    """A marker names no figure, or a source file lacks what a figure needs."""


# ---------------------------------------------------------------------------------------------- sources
@dataclass
class Sources:
    """The committed files, read once and only when a figure needs them."""

    root: Path = ROOT
    _cache: dict = field(default_factory=dict)

    def json(self, relative: str) -> dict:
        if relative not in self._cache:
            path = self.root / relative
            if not path.exists():
                raise FigureError(f"{relative} is missing: it is a committed file that the docs read")
            self._cache[relative] = json.loads(path.read_text())
        return self._cache[relative]

    def csv(self, relative: str) -> list[dict[str, str]]:
        if relative not in self._cache:
            path = self.root / relative
            if not path.exists():
                raise FigureError(f"{relative} is missing: it is a committed file that the docs read")
            with path.open(newline="") as handle:
                self._cache[relative] = list(csv.DictReader(handle))
        return self._cache[relative]

    @cached_property
    def params(self) -> dict:
        return yaml.safe_load((self.root / "params.yaml").read_text())

    @property
    def evaluate(self) -> dict:
        return self.json("metrics/evaluate.json")

    @property
    def quality(self) -> dict:
        return self.json("metrics/data_quality.json")


# ------------------------------------------------------------------------------------------- formatting
def count(value: float) -> str:
    return f"{int(value):,}"


def share(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%"


def metric(value: float | None, digits: int = 4) -> str:
    return (
        "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"
    )


def signed(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:+.{digits}f}"


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def months(numbers: list[int]) -> str:
    """`[1, ..., 9]` as "January-September"; gaps are listed."""
    numbers = sorted(numbers)
    if not numbers:
        return "none"
    if numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 2:
        return f"{MONTHS[numbers[0] - 1]}-{MONTHS[numbers[-1] - 1]}"
    names = [MONTHS[n - 1] for n in numbers]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def miss(key: str) -> str:
    """A join's unmatched key as a reader wants it: `EWR|2013-12-31 11:00:00+00:00` becomes
    `EWR 2013-12-31 11:00 UTC`, a blank tail number `(blank)`."""
    found = re.fullmatch(r"(\w+)\|(\d{4}-\d\d-\d\d \d\d:\d\d):00\+00:00", key)
    if found:
        return f"{found[1]} {found[2]} UTC"
    return "(blank)" if key == "<missing>" else key


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no column break, no raw HTML."""
    return text.replace("|", " at ").replace("<", "&lt;").replace(">", "&gt;")


def table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> str:
    """A Markdown table; `align` holds "l" or "r" per column (numbers right)."""
    align = align or ["l"] * len(header)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------- the figures
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
    """Model against the baseline on the test months, and on the validation month that choices are made on."""
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
        valid = src.json("metrics/split.json").get("valid", {})
        lines += [
            "",
            f"**Validation** ({months(split['valid_months'])}, model fit on {months(split['fit_months'])}: "
            f"{count(valid['rows'])} flights, {share(valid['positive_rate'])} disrupted; what settings, "
            "thresholds and the PR check's gates are judged on):",
            "",
            _metrics_table(validation, names[1:], [m for m in metrics if m != "f1"], validation.get("lift")),
        ]
    lines += [
        "",
        "Higher is better for ROC AUC, average precision and F1; lower for log loss and Brier. "
        "F1 uses the threshold chosen on the validation month.",
    ]
    return "\n".join(lines)


def headline(src: Sources) -> str:
    """One sentence: the committed model's test ROC AUC against the baseline's."""
    ev = src.evaluate
    return (
        f"test ROC AUC {metric(ev['model']['roc_auc'], 3)} against the baseline's "
        f"{metric(ev['baseline']['roc_auc'], 3)}"
    )


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
    which = {"fit": params["fit_months"], "valid": params["valid_months"], "test": params["test_months"]}
    role = {
        "fit": "settings and threshold are chosen on a model fit here",
        "valid": "... and scored here; the final model is refit on fit + valid",
        "test": "reported, never used for a choice",
    }
    names = [*(n for n in which if n in parts), *(n for n in parts if n not in which)]
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
        f"\n\nThe committed model's validation lift in ROC AUC: {signed(valid_lift)}."
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


# benchmark figures: what each key measures, in the order shown; a key not listed here is shown by its name
BENCH_LABELS = {
    "full_pipeline_dvc_s": "full pipeline, all stages, all flights, `dvc repro --force --no-run-cache`",
    "full_pipeline_direct_s": "the same stage code run directly, one process per stage",
    "full_dvc_overhead_s": "what DVC adds to the full pipeline (difference of the two)",
    "data_stages_dvc_s": "data stages (ingest, validate, prepare, explore) under DVC",
    "data_stages_direct_s": "the same four run directly",
    "dvc_overhead_s": "DVC's added time on the data stages (median of back-to-back pairs)",
    "lock_rewrite_s": "DVC's round trip of `dvc.lock` after each stage",
    "noop_repro_s": "no-op `dvc repro`",
    "noop_repro_one_stage_repo_s": "no-op `dvc repro` of a one-stage repository (DVC's floor)",
    "cpu_probe_s": "CPU probe: a fixed pure-Python loop (lower is a faster machine)",
    "cached_rerun_s": "re-run of an experiment already run (`dvc exp run -S`, stages from the run-cache)",
    "cached_rerun_without_code_deps_s": "the same with every `src/` dependency dropped from dvc.yaml",
    "cached_rerun_one_stage_repo_s": "the same in a one-stage repository (DVC's floor)",
    "sweep_4_experiments_j1_s": "4-experiment sweep, 1 worker",
    "sweep_4_experiments_j2_s": "the same 4 experiments, 2 workers",
    "j2_over_j1": "2 workers over 1 (the same 4 models)",
    "machine_two_processes_over_one": "two CPU-bound processes at once over one alone (the machine itself)",
    "batch_score_vs_bare_ratio": "batch scoring (rules, quarantine, model) over bare `predict_proba`",
    "batch_score_flights_rows_per_s": "batch scoring, rows per second",
    "batch_predict_proba_rows_per_s": "bare `predict_proba`, rows per second",
    "single_lean_ms": "one flight in process, fast path",
    "single_pipeline_ms": "one flight in process, full Pipeline on a one-row DataFrame",
    "http_single_requests_per_s": "HTTP, 8 clients, single-flight requests per second",
    "http_single_vs_in_process_ratio": "... against the in-process rate",
    "http_single_p50_ms": "... p50 latency",
    "http_single_p99_ms": "... p99 latency",
    "http_single_p99_over_p50": "... p99 over p50",
    "http_1000_requests_per_s": "HTTP, 8 clients, 1,000-flight requests per second",
    "http_1000_flights_per_s": "... flights per second",
    "http_1000_p50_ms": "... p50 latency",
    "http_1000_p99_ms": "... p99 latency",
    "http_1000_p99_over_p50": "... p99 over p50",
}
BENCH_SKIP = {
    "targets",
    "threads",
    "repeats",
    "load",
    "model_version",
    "seconds",
    "stage_direct_s",
    "stage_peak_mb",
    "dvc_overhead_pairs_s",
    "batch_rows",
    "batch_rejected",
    "single_lean_per_s",
}


def _bench_value(key: str, value: float) -> str:
    if key.endswith("_ms"):
        return f"{value:.2f} ms" if value < 10 else f"{value:.0f} ms"
    if key.endswith("_per_s"):
        return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
    if key.endswith("_s"):
        return seconds(value)
    if key.endswith("_mb"):
        return f"{value:.0f} MB"
    return f"{value:.2f}"


def _bench_suite(suite: dict) -> str:
    targets = suite.get("targets", {})
    keys = [k for k in BENCH_LABELS if k in suite] + sorted(
        k
        for k, v in suite.items()
        if k not in BENCH_LABELS and k not in BENCH_SKIP and isinstance(v, int | float)
    )
    rows = []
    for key in keys:
        target = targets.get(key)
        limit = f"{target['relation']} {_bench_value(key, target['limit'])}" if target else ""
        met = ("yes" if target["met"] else "**no**") if target else ""
        rows.append([BENCH_LABELS.get(key, f"`{key}`"), _bench_value(key, suite[key]), limit, met])
    return table(["figure", "measured", "target", "met"], rows, ["l", "r", "l", "l"])


def benchmarks(src: Sources) -> str:
    """Every suite of benchmarks/results.json: its figures, targets and settings."""
    found = src.json("benchmarks/results.json")
    parts = []
    titles = {"pipeline": "Pipeline", "experiments": "Experiments", "serving": "Serving"}
    for name in [*(n for n in titles if n in found), *(n for n in found if n not in titles)]:
        suite = found[name]
        threads = suite.get("threads", {})
        setting = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in threads.items())
        repeats = suite.get("repeats")
        parts.append(f"**{titles.get(name, name)}** ({repeats} repeats; {setting})\n\n{_bench_suite(suite)}")
    return "\n\n".join(parts)


def stage_times(src: Sources) -> str:
    """Each stage's direct time and peak memory, slowest first."""
    pipeline = src.json("benchmarks/results.json")["pipeline"]
    times, memory = pipeline["stage_direct_s"], pipeline.get("stage_peak_mb", {})
    rows = [
        [f"`{name}`", seconds(times[name]), f"{memory[name]:.0f} MB" if name in memory else ""]
        for name in sorted(times, key=lambda n: -times[n])
    ]
    return table(
        ["stage", "run directly (median)", "peak memory (largest of the repeats)"], rows, ["l", "r", "r"]
    )


def targets_met(src: Sources) -> str:
    """Inline: how many benchmark targets the committed results meet."""
    found = src.json("benchmarks/results.json")
    targets = [t for suite in found.values() for t in suite.get("targets", {}).values()]
    return f"{sum(t['met'] for t in targets)} of {len(targets)}"


# the sweep: reports/sweep/sweep.csv, written by `make sweep`
SWEEP = "reports/sweep/sweep.csv"


def _same(cell: str, value: object) -> bool:
    if cell == "":
        return True
    if isinstance(value, bool):
        return cell.lower() == str(value).lower()
    if isinstance(value, int | float):
        try:
            return float(cell) == float(value)
        except ValueError:
            return False
    return cell == str(value)


def _param(params: dict, dotted: str) -> object:
    value: object = params
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def sweep_rows(src: Sources) -> tuple[list[dict[str, str]], list[str], str]:
    """The sweep's rows, its swept parameters and the metric it ranked by."""
    rows = src.csv(SWEEP)
    if not rows:
        raise FigureError(f"{SWEEP} has no rows")
    columns = list(rows[0])
    ranked = next(c for c in columns if c.startswith("valid ") and "baseline" not in c and "lift" not in c)
    metric_name = ranked.removeprefix("valid ")
    parameters = [c for c in columns if "." in c and not c.startswith(("valid ", "test "))]
    return rows, parameters, metric_name


def committed(src: Sources, row: dict[str, str], parameters: list[str]) -> bool:
    return all(_same(row[p], _param(src.params, p)) for p in parameters)


def sweep(src: Sources) -> str:
    """The ranked sweep, with the committed settings marked and checked against metrics/evaluate.json."""
    rows, parameters, name = sweep_rows(src)
    label_ = METRIC_LABELS.get(name, name)
    header = [
        "settings",
        f"valid {label_}",
        "valid lift",
        "valid log loss",
        f"test {label_} (not used to rank)",
    ]
    body, matches = [], []
    for row in rows:
        is_committed = committed(src, row, parameters)
        settings = row["settings"].replace("train.", "").replace("features.", "") or "(params.yaml)"
        if is_committed:
            settings = f"**{settings} (committed)**"
            matches.append(float(row[f"test {name} (not used to rank)"]))
        body.append(
            [
                settings,
                metric(float(row[f"valid {name}"])),
                signed(float(row[f"valid lift {name}"])),
                metric(float(row["valid log_loss"])),
                metric(float(row[f"test {name} (not used to rank)"])),
            ]
        )
    text = table(header, body, ["l", "r", "r", "r", "r"])
    current = src.evaluate["model"].get(name)
    if matches and current is not None and all(abs(m - current) > 5e-5 for m in matches):
        text += (
            f"\n\n**This sweep predates the committed model**: its row of the committed settings reads test "
            f"{label_} {metric(matches[0])}, `metrics/evaluate.json` {metric(current)}. Re-run `make sweep` "
            "and commit `reports/sweep/sweep.csv`."
        )
    return text


def sweep_size(src: Sources) -> str:
    """Inline: the number of experiments in the committed sweep."""
    return str(len(sweep_rows(src)[0]))


# the stage graph and the make targets: read from dvc.yaml and the Makefile, so they cannot drift either
def _paths(entries: object) -> list[str]:
    """Paths of a dvc.yaml deps/outs/metrics/plots list, whose items are paths or {path: options}."""
    if not isinstance(entries, list):
        return []
    return [key for item in entries for key in ([item] if isinstance(item, str) else item)]


def _params(entries: object) -> list[str]:
    found = []
    for item in entries if isinstance(entries, list) else []:
        if isinstance(item, str):
            found.append(item)
        else:  # {params.yaml: [section, ...]} or {other.yaml: ...}
            for source, keys in item.items():
                found += keys if isinstance(keys, list) else [source]
    return found


def _overlap(a: str, b: str) -> bool:
    a, b = a.rstrip("/"), b.rstrip("/")
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def graph(src: Sources) -> tuple[list[str], list[tuple[str, str]]]:
    """The stages of dvc.yaml and their edges: A -> B when an output of A is a dependency of B."""
    stages = yaml.safe_load((src.root / "dvc.yaml").read_text())["stages"]
    names = sorted(stages)
    outputs = {
        n: [p for kind in ("outs", "metrics", "plots") for p in _paths(stages[n].get(kind))] for n in names
    }
    edges = [
        (a, b)
        for a in names
        for b in names
        if a != b and any(_overlap(out, dep) for out in outputs[a] for dep in _paths(stages[b].get("deps")))
    ]
    return names, edges


def stage_graph(src: Sources) -> str:
    """The stage graph as Mermaid, in the form of `dvc dag --mermaid` (GitHub draws it)."""
    names, edges = graph(src)
    number = {name: i for i, name in enumerate(names, start=1)}
    lines = ["```mermaid", "flowchart TD", *(f'\tnode{number[n]}["{n}"]' for n in names)]
    lines += [
        f"\tnode{number[a]}-->node{number[b]}"
        for a, b in sorted(edges, key=lambda e: (number[e[0]], number[e[1]]))
    ]
    return "\n".join([*lines, "```"])


def _order(names: list[str], edges: list[tuple[str, str]]) -> list[str]:
    """The stages in an order DVC could run them (upstream first, ties by name)."""
    done: list[str] = []
    while len(done) < len(names):
        ready = [n for n in names if n not in done and all(a in done for a, b in edges if b == n)]
        if not ready:  # a cycle: DVC refuses it; show the rest as is
            return done + [n for n in names if n not in done]
        done.append(ready[0])
    return done


def _folded(paths: list[str]) -> list[str]:
    """Paths as code, three or more files of one folder shown as that folder."""
    parents: dict[str, list[str]] = {}
    for path in paths:
        parents.setdefault(path.rsplit("/", 1)[0] if "/" in path else "", []).append(path)
    shown = []
    for path in paths:
        parent = path.rsplit("/", 1)[0] if "/" in path else ""
        if len(parents[parent]) < 3:
            shown.append(f"`{path}`")
        elif f"`{parent}/` ({len(parents[parent])} files)" not in shown:
            shown.append(f"`{parent}/` ({len(parents[parent])} files)")
    return shown


def stage_table(src: Sources) -> str:
    """Each stage, in run order: the stages it reads from, its params sections and what it writes."""
    stages = yaml.safe_load((src.root / "dvc.yaml").read_text())["stages"]
    names, edges = graph(src)
    rows = []
    for name in _order(names, edges):
        stage = stages[name]
        after = ", ".join(a for a, b in edges if b == name) or "the source tables"
        params = ", ".join(f"`{p}`" for p in _params(stage.get("params"))) or "-"
        writes = ", ".join(
            _folded([p for kind in ("outs", "metrics", "plots") for p in _paths(stage.get(kind))])
        )
        rows.append([f"`{name}`", after, params, writes])
    return table(["stage", "after", "params", "writes"], rows)


def make_targets(src: Sources) -> str:
    """The Makefile's documented targets (`make help`)."""
    found = re.findall(r"^([a-z][a-z-]*):[^\n]*?## (.+)$", (src.root / "Makefile").read_text(), re.MULTILINE)
    return table(["target", "what it does"], [[f"`make {name}`", what.strip()] for name, what in found])


FIGURES: dict[str, Callable[[Sources], str]] = {
    "results": results,
    "headline": headline,
    "tables": tables,
    "label": label,
    "coverage": coverage,
    "findings": findings,
    "split": split,
    "importance": importance,
    "gates": gates,
    "batch": batch,
    "drift": drift,
    "benchmarks": benchmarks,
    "stage-times": stage_times,
    "targets-met": targets_met,
    "sweep": sweep,
    "sweep-size": sweep_size,
    "stage-graph": stage_graph,
    "stages": stage_table,
    "make-targets": make_targets,
}
INLINE = {"headline", "targets-met", "sweep-size"}


# -------------------------------------------------------------------------------------------- rendering
VALUE_FORMATS: dict[str, Callable[[object], str]] = {
    "count": lambda v: count(v),  # type: ignore[arg-type]
    "share": lambda v: share(v),  # type: ignore[arg-type]
    "metric": lambda v: metric(v),  # type: ignore[arg-type]
    "metric3": lambda v: metric(v, 3),  # type: ignore[arg-type]
    "seconds": lambda v: seconds(v),  # type: ignore[arg-type]
}


def value(name: str, src: Sources) -> str:
    """An inline value: `param.<dotted>` from params.yaml, `<format>.<file>.<dotted>` from a metrics file."""
    kind, _, rest = name.partition(".")
    if kind == "param":
        found = _param(src.params, rest)
        if found is None:
            raise FigureError(f"params.yaml has no {rest}")
        return str(found).lower() if isinstance(found, bool) else str(found)
    stem, _, dotted = rest.partition(".")
    data: object = src.json("benchmarks/results.json" if stem == "bench" else f"metrics/{stem}.json")
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            raise FigureError(f"{stem} has no {dotted}")
        data = data[part]
    return VALUE_FORMATS[kind](data)


def figure(name: str, src: Sources) -> tuple[str, bool]:
    """The rendered figure and whether it is inline."""
    if name in FIGURES:
        return FIGURES[name](src), name in INLINE
    if name.partition(".")[0] in {"param", *VALUE_FORMATS}:
        return value(name, src), True
    raise FigureError(
        f"unknown figure '{name}'; the figures are {sorted(FIGURES)} and values "
        f"{sorted(['param', *VALUE_FORMATS])}.<path>"
    )


def render(text: str, src: Sources, where: str = "") -> str:
    """`text` with every figure between its markers rendered afresh."""

    def replace(match: re.Match) -> str:
        name = match["name"]
        try:
            body, inline = figure(name, src)
        except FigureError as error:
            raise FigureError(f"{where}: {error}") from None
        inner = body if inline else f"\n\n{body}\n\n"
        return f"<!-- fig:{name} -->{inner}<!-- /fig -->"

    return MARKER.sub(replace, text)


def markdown_files(root: Path = ROOT) -> list[Path]:
    """README.md and every page of the docs."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


# the pictures: PNG, byte-stable with pinned matplotlib (no date, no software version in the file)
def _curve(root: Path, kind: str, who: str) -> tuple[list[float], list[float]]:
    with (root / f"plots/evaluate/{kind}_{who}.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    return [float(r[0]) for r in rows], [float(r[1]) for r in rows]


def roc_png(src: Sources) -> bytes:
    """The committed model's and the baseline's ROC and calibration curves on the test months."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    ev = src.evaluate
    fig, (roc, cal) = plt.subplots(1, 2, figsize=(8.4, 3.8), dpi=100)
    for who, style, name in [("model", "-", "model"), ("baseline", "--", "baseline")]:
        x, y = _curve(src.root, "roc", who)
        roc.plot(x, y, style, label=f"{name} (AUC {ev[who]['roc_auc']:.3f})")
        x, y = _curve(src.root, "calibration", who)
        cal.plot(x, y, style, marker="o", markersize=3, label=name)
    for ax, (xlabel, ylabel, title) in zip(
        (roc, cal),
        [
            ("false positive rate", "true positive rate", "ROC, test months"),
            ("predicted probability", "observed disruption rate", "Calibration, test months"),
        ],
        strict=True,
    ):
        ax.plot([0, 1], [0, 1], ":", color="grey", linewidth=1)
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title, xlim=(0, 1), ylim=(0, 1))
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})
    plt.close(fig)
    return out.getvalue()


IMAGES_MADE: dict[str, Callable[[Sources], bytes]] = {"model-vs-baseline.png": roc_png}


# ------------------------------------------------------------------------------------------------- files
def expected(root: Path = ROOT) -> dict[Path, bytes]:
    """Every generated file's expected content: the Markdown files with their figures rendered, the images."""
    src = Sources(root)
    out: dict[Path, bytes] = {}
    for path in markdown_files(root):
        out[path] = render(path.read_text(), src, path.relative_to(root).as_posix()).encode()
    for name, make in IMAGES_MADE.items():
        out[root / "docs/images" / name] = make(src)
    return out


def stale(root: Path = ROOT) -> list[Path]:
    """The generated files whose committed content differs from what this script writes."""
    return [
        path for path, content in expected(root).items() if not path.exists() or path.read_bytes() != content
    ]


def write(root: Path = ROOT) -> list[Path]:
    """Rewrite every stale file; returns them."""
    changed = []
    for path, content in expected(root).items():
        if not path.exists() or path.read_bytes() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="rewrite README.md, docs pages and images")
    action.add_argument("--check", action="store_true", help="exit 1 when a generated file is stale")
    args = parser.parse_args(argv)
    try:
        if args.write:
            for path in write():
                print(f"wrote {path.relative_to(ROOT)}")
            return 0
        found = stale()
    except FigureError as error:
        print(f"figures: {error}", file=sys.stderr)
        return 2
    for path in found:
        print(f"stale: {path.relative_to(ROOT)} (run `python docs/figures.py --write`)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
