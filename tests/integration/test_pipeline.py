"""The real pipeline under DVC in temp git repos, on a 5% sample: outputs, caching, determinism,
failures. The session's `pipeline_repo` is shared: every test leaves it committed and clean.
"""

import base64
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import Repo, clone_repo, corrupt_flights_zip, write_source
from mlkit.evaluation import score

pytestmark = pytest.mark.slow

RAW_TABLES = ("flights", "weather", "planes", "airports", "airlines")
FULL_FLIGHTS = 336_776
RAN = re.compile(r"^(?:Running stage '([^']+)'|Stage '([^']+)' is cached - skipping run)", re.MULTILINE)
DATA_OUTPUTS = (
    "data/raw",
    "data/prepared/flights.parquet",
    "metrics/validate.json",
    "metrics/data_quality.json",
    "plots/explore",
    "reports/figures/explore",
    "reports/index.html",
)


def stages_run(output: str) -> set[str]:
    """Stages that `dvc repro` executed (or restored from the run-cache) rather than skipped."""
    return {a or b for a, b in RAN.findall(output)}


def assert_clean(repo: Repo) -> None:
    status = repo.dvc("status")
    assert "Data and pipelines are up to date" in status.stdout, status.stdout
    git = repo.run("git", "status", "--porcelain")
    assert git.stdout == "", git.stdout


def out_paths(stage: dict) -> list[str]:
    """Every path a stage writes: outs, metrics and plots, in their string or mapping forms."""
    paths = []
    for kind in ("outs", "metrics", "plots"):
        for entry in stage.get(kind, []):
            paths += [entry] if isinstance(entry, str) else list(entry)
    return paths


def param_sections(stage: dict) -> set[str]:
    """Top-level params.yaml keys a stage reads (`- data`, `- data.seed`, `- file.yaml: [...]`)."""
    names = []
    for entry in stage.get("params", []):
        if isinstance(entry, str):
            names.append(entry)
        else:
            for file, keys in entry.items():
                if Path(file).name == "params.yaml":
                    names += list(keys or [])
    return {name.split(".")[0] for name in names}


def overlaps(a: str, b: str) -> bool:
    a, b = a.rstrip("/"), b.rstrip("/")
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def affected_stages(dvc_yaml: dict, section: str) -> set[str]:
    """Stages that read params `section`, and every stage downstream of them through files."""
    stages = dvc_yaml["stages"]
    found = {name for name, stage in stages.items() if section in param_sections(stage)}
    grew = True
    while grew:
        written = [path for name in found for path in out_paths(stages[name])]
        more = {
            name
            for name, stage in stages.items()
            if name not in found and any(overlaps(d, o) for d in stage.get("deps", []) for o in written)
        }
        found |= more
        grew = bool(more)
    return found


def lock_outs(repo: Repo) -> dict[str, str]:
    """The md5 of each output that dvc.lock records, keyed by path."""
    lock = yaml.safe_load((repo.path / "dvc.lock").read_text())
    return {out["path"]: out["md5"] for stage in lock["stages"].values() for out in stage.get("outs", [])}


# --- the good pipeline ---------------------------------------------------------------------------


def test_outputs_exist_and_counts_fit_a_five_percent_sample(pipeline_repo):
    root = pipeline_repo.path
    for table in RAW_TABLES:
        assert (root / "data/raw" / f"{table}.parquet").is_file(), table
    raw_flights = pd.read_parquet(root / "data/raw/flights.parquet")
    prepared = pd.read_parquet(root / "data/prepared/flights.parquet")
    expected_rows = round(0.05 * FULL_FLIGHTS)
    assert abs(len(raw_flights) - expected_rows) <= 1
    assert len(prepared) == len(raw_flights)  # the default label policy keeps every flight

    quality = json.loads((root / "metrics/data_quality.json").read_text())
    prepare, validate = quality["prepare"], quality["validate"]
    assert prepare["rows_in"] == prepare["rows_out"] == len(raw_flights)
    assert prepare["rows_excluded_by_label_policy"] == 0
    status = prepare["status_counts"]
    assert sum(status.values()) == len(raw_flights)
    assert 250 <= status["cancelled"] <= 600  # 8,255 in the full data
    assert 20 <= status["diverted"] <= 110  # 1,175 in the full data
    assert 0.15 < prepare["label_rate_completed_only"] < prepare["label_rate"] < 0.40
    assert prepare["label_rate"] == pytest.approx(prepared["disrupted"].mean(), abs=1e-6)
    reference_rows = {"weather": 26115, "planes": 3322, "airports": 1458, "airlines": 16}
    assert validate["rows"] == {"flights": len(raw_flights), **reference_rows}
    cover = {name: c["coverage"] for name, c in validate["join_coverage"].items()}
    assert cover["airlines"] == cover["origin_airports"] == 1.0
    assert 0.99 < cover["weather"] < 1.0
    assert 0.80 < cover["planes"] < 0.89  # 84.4% in the full data
    assert 0.96 < cover["dest_airports"] < 0.99
    without = prepare["rows_without"]
    assert without["dest_airport"] == validate["join_coverage"]["dest_airports"]["unmatched"]
    assert without["plane"] == validate["join_coverage"]["planes"]["unmatched"]
    split = quality["split"]  # every prepared flight is in a part with the default months
    assert split == {
        "rows_in": len(prepared),
        "rows_out": len(prepared),
        "rows_outside_parts": 0,
        "outside_parts": [],
    }
    parts = json.loads((root / "metrics/split.json").read_text())
    assert parts["train"]["rows"] + parts["test"]["rows"] == split["rows_out"]
    drawn = pd.read_csv(root / "plots/explore/join_coverage.csv")
    assert dict(zip(drawn["join"], drawn["coverage"], strict=True)) == pytest.approx(cover)  # one number

    assert (root / "metrics/validate.json").is_file()
    pngs = sorted((root / "reports/figures/explore").glob("*.png"))
    assert len(pngs) == len(list((root / "plots/explore").glob("*.csv"))) >= 10


def test_majority_class_says_its_class_in_every_month(pipeline_repo):
    """Its yes/no is its class (on time), on the validation month and the test months alike."""
    root = pipeline_repo.path
    fitted = json.loads((root / "metrics/baseline.json").read_text())["majority"]
    tested = json.loads((root / "metrics/evaluate.json").read_text())["majority"]
    assert fitted["threshold"] == 0.5
    for metrics in (fitted["validation"], tested):
        assert metrics["recall"] == 0.0 and metrics["roc_auc"] == 0.5
        assert metrics["accuracy"] > 0.6  # the on-time share


def test_validation_is_the_backtests_fold_mean_with_every_fold_and_its_predictions(pipeline_repo):
    """evaluate.json's validation: model, baseline and lift as the mean over the folds of
    split.backtest_months, each fold beside it; the per-flight predictions of both protocols' months."""
    root = pipeline_repo.path
    split = yaml.safe_load((root / "params.yaml").read_text())["split"]
    validation = json.loads((root / "metrics/evaluate.json").read_text())["validation"]
    names = {f"month_{m}" for m in split["backtest_months"]}
    assert set(validation["folds"]) == names
    for who in ("model", "baseline", "lift"):
        folds = [validation["folds"][name][who]["roc_auc"] for name in names]
        assert validation[who]["roc_auc"] == pytest.approx(np.mean(folds), abs=2e-6)
    trained = json.loads((root / "metrics/train.json").read_text())
    assert trained["validation"] == validation["model"] and set(trained["folds"]) == names
    card = json.loads((root / "models/model_card.json").read_text())
    assert [fold["month"] for fold in card["validation"]["folds"]] == sorted(split["backtest_months"])
    for fold in card["validation"]["folds"]:  # fitted on the train months strictly before its own
        assert fold["fit_months"] == [m for m in split["train_months"] if m < fold["month"]]

    held_out = pd.read_parquet(root / "data/predictions/validation.parquet")
    assert {"month", "day", "disrupted", "model", "baseline", "fold"} <= set(held_out.columns)
    assert set(held_out["month"]) == set(split["backtest_months"]) == set(held_out["fold"])
    model = held_out[held_out["month"] == max(split["backtest_months"])]
    fold = validation["folds"][f"month_{max(split['backtest_months'])}"]
    scored = score(model["disrupted"], model["model"], trained["threshold"])
    assert scored["roc_auc"] == pytest.approx(fold["model"]["roc_auc"], abs=2e-6)
    tested = pd.read_parquet(root / "data/predictions/test.parquet")
    assert set(tested["month"]) == set(split["test_months"])
    assert score(tested["disrupted"], tested["model"], 0.5)["roc_auc"] == pytest.approx(
        json.loads((root / "metrics/evaluate.json").read_text())["model"]["roc_auc"], abs=2e-6
    )


def test_report_is_self_contained(pipeline_repo):
    root = pipeline_repo.path
    page = (root / "reports/index.html").read_text()
    sources = re.findall(r"""\bsrc\s*=\s*["']([^"']*)["']""", page)
    pngs = sorted((root / "reports/figures/explore").glob("*.png"))
    assert len(sources) >= len(pngs) >= 10
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    # nothing is fetched when the page opens: no remote src, stylesheet, CSS url() or script
    remote = r"""\s*["']?\s*(?:https?:)?//"""
    assert not re.search(r"\bsrc\s*=" + remote, page, flags=re.IGNORECASE)
    assert not re.search(r"<link\b[^>]*\bhref\s*=" + remote, page, flags=re.IGNORECASE)
    assert not re.search(r"url\(" + remote, page, flags=re.IGNORECASE)
    assert "<script" not in page.lower()
    for png in pngs:  # each exploratory figure is embedded byte for byte
        assert f"data:image/png;base64,{base64.b64encode(png.read_bytes()).decode()}" in page


def test_dvc_plots_draws_each_table_once_and_bars_from_zero(pipeline_repo):
    """A table named both by a stage and by the top-level `plots:` would be drawn twice ("dvc.yaml::...");
    DVC's own bar template does not start at zero, which makes a 0.11 rate look a fraction of 0.13."""
    shown = json.loads(pipeline_repo.dvc("plots", "show", "--json").stdout)["data"]
    assert not [name for name in shown if name.startswith("dvc.yaml::")]
    explored = [name for name in shown if name.startswith("plots/explore/")]
    assert len(explored) == len(list((pipeline_repo.path / "plots/explore").glob("*.csv")))
    for name in [*explored, "plots/evaluate/importance.csv"]:
        assert shown[name][0]["content"]["encoding"]["x"]["scale"] == {"zero": True}, name
    assert shown["plots/evaluate/importance.csv"][0]["content"]["encoding"]["y"]["sort"] == "-x"


def test_second_repro_runs_nothing(pipeline_repo):
    result = pipeline_repo.dvc("repro")
    assert "Data and pipelines are up to date" in result.stdout, result.stdout
    assert stages_run(result.stdout) == set()
    assert_clean(pipeline_repo)


def test_forced_repro_is_byte_identical(pipeline_repo):
    lock = (pipeline_repo.path / "dvc.lock").read_bytes()
    before = pipeline_repo.hashes(*DATA_OUTPUTS)
    result = pipeline_repo.dvc("repro", "--force")
    stages = set(yaml.safe_load((pipeline_repo.path / "dvc.yaml").read_text())["stages"])
    assert stages_run(result.stdout) == stages
    assert (pipeline_repo.path / "dvc.lock").read_bytes() == lock
    assert pipeline_repo.hashes(*DATA_OUTPUTS) == before
    assert_clean(pipeline_repo)


def test_changing_explore_params_reruns_only_downstream(pipeline_repo):
    repo = pipeline_repo
    dvc_yaml = yaml.safe_load((repo.path / "dvc.yaml").read_text())
    expected = affected_stages(dvc_yaml, "explore")
    assert {"explore", "report"} <= expected
    assert not {"ingest", "validate", "prepare"} & expected
    upstream = repo.hashes("data/raw", "data/prepared/flights.parquet", "metrics/data_quality.json")
    explored = repo.hashes("plots/explore")
    top_n = repo.params()["explore"]["top_n"] - 4  # a value no other test runs (no run-cache hit)
    try:
        repo.set_params({"explore.top_n": top_n})
        result = repo.dvc("repro")
        assert stages_run(result.stdout) == expected, result.stdout
        dests = pd.read_csv(repo.path / "plots/explore/rate_by_dest.csv")
        assert len(dests) == top_n
        assert (
            repo.hashes("data/raw", "data/prepared/flights.parquet", "metrics/data_quality.json") == upstream
        )
        repo.set_params({"explore.top_n": top_n + 4})  # back again: restored from the run-cache
        result = repo.dvc("repro")
        assert "Stage 'explore' is cached - skipping run" in result.stdout, result.stdout
        assert repo.hashes("plots/explore") == explored
    finally:
        repo.restore()
    assert_clean(repo)


def test_stage_outputs_do_not_depend_on_available_cpus(pipeline_repo):
    cpus = sorted(os.sched_getaffinity(0))
    if shutil.which("taskset") is None or len(cpus) < 2:
        pytest.skip("needs taskset and at least 2 CPUs available to this process")
    repo = pipeline_repo
    # every stage that forks pieces (mlkit.runtime.in_parallel); train: thread count changes model bytes
    stages = ("prepare", "explore", "baseline", "train", "evaluate")
    dvc_yaml = yaml.safe_load((repo.path / "dvc.yaml").read_text())
    outputs = [path for stage in stages for path in out_paths(dvc_yaml["stages"][stage])]
    expected = {"data/prepared/flights.parquet", "reports/figures/explore", "models/model.skops"}
    assert expected | {"models/baseline.skops", "metrics/slices.json"} <= set(outputs)
    recorded = repo.hashes(*outputs)
    found = {}
    for cores in (f"{cpus[0]}", f"{cpus[0]},{cpus[1]}"):
        for stage in stages:
            repo.run("taskset", "-c", cores, "python", "-m", f"flights.stages.{stage}")
        found[cores] = repo.hashes(*outputs)
    one, two = found.values()
    assert one.keys() == two.keys() == recorded.keys()
    assert {k for k in one if one[k] != two[k]} == set()
    assert one == recorded  # and both equal what `dvc repro` wrote
    assert_clean(repo)


# --- bad inputs through the real pipeline --------------------------------------------------------


@pytest.fixture(scope="module")
def failing_repo(tmp_path_factory, pipeline_repo):
    """A separate repo for runs that must fail: a copy of the reproduced, committed session repo
    (same DVC cache), which costs a file copy instead of another full `dvc repro`."""
    repo = clone_repo(pipeline_repo, tmp_path_factory.mktemp("failing"))
    assert_clean(repo)
    return repo


def assert_failed_cleanly(repo: Repo, result, lock: bytes, raw: dict[str, str]) -> None:
    """A failed repro leaves dvc.lock alone; git reset and `dvc checkout` restore the outputs."""
    assert result.returncode != 0, result.stdout
    assert (repo.path / "dvc.lock").read_bytes() == lock
    repo.restore()
    assert repo.hashes("data/raw") == raw
    assert_clean(repo)


def test_a_source_folder_outside_data_source_is_refused(failing_repo, tmp_path):
    """DVC would not hash it, so new data there would never re-run the pipeline."""
    repo = failing_repo
    lock = (repo.path / "dvc.lock").read_bytes()
    raw = repo.hashes("data/raw")
    repo.set_params({"data.source": str(write_source(tmp_path / "elsewhere"))})
    result = repo.dvc("repro", check=False)
    output = result.stdout + result.stderr
    assert "data.source" in output and "a folder under data/source/" in output, output
    assert "Traceback" not in output
    assert_failed_cleanly(repo, result, lock, raw)


def test_new_data_in_the_source_folder_reruns_ingest(failing_repo):
    repo = failing_repo
    source = write_source(repo.path / "data/source")
    repo.set_params({"data.source": "data/source"})
    try:
        repo.dvc("repro", "ingest")
        assert "ingest" not in repo.dvc("status", "ingest").stdout  # up to date
        edit_table(source, "flights", lambda flights: flights.iloc[:-1])  # a row less: new data
        status = repo.dvc("status", "ingest").stdout
        assert "changed deps" in status and "data/source" in status, status
        rows = json.loads((repo.path / "metrics/ingest.json").read_text())["rows_read"]["flights"]
        repo.dvc("repro", "ingest")
        after = json.loads((repo.path / "metrics/ingest.json").read_text())["rows_read"]["flights"]
        assert after == rows - 1
    finally:
        repo.restore()
    assert_clean(repo)


def edit_table(source: Path, table: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    """Rewrite a source folder's `table`.csv through `change`, its strings untouched otherwise."""
    path = source / f"{table}.csv"
    change(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)


def set_rows(column: str, rows: list[int], value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda frame: frame.assign(**{column: frame[column].mask(frame.index.isin(rows), value)})


def _missing_column(source: Path) -> None:
    edit_table(source, "flights", lambda flights: flights.drop(columns=["dep_delay"]))


def _wrong_dtype(source: Path) -> None:
    edit_table(source, "flights", set_rows("month", [3, 10, 20], "January"))


def _empty_file(source: Path) -> None:
    (source / "airlines.csv").write_text("")


def _out_of_range(source: Path) -> None:
    edit_table(source, "weather", set_rows("humid", [10, 20], "150"))


def _duplicated_keys(source: Path) -> None:
    edit_table(source, "flights", lambda flights: pd.concat([flights, flights.iloc[[5, 6]]]))


@pytest.mark.parametrize(
    "damage, overrides, failing_stage, expected",
    [
        (_missing_column, {}, "ingest", ["table 'flights'", "dep_delay", "column_in_dataframe"]),
        (_wrong_dtype, {}, "ingest", ["table 'flights', column 'month'", "3 failing row(s)", "January"]),
        (_empty_file, {}, "ingest", ["table 'airlines': source file", "airlines.csv is empty"]),
        # the whole small source: a 5% sample would most likely leave out the two copies
        (
            _duplicated_keys,
            {"data.sample_fraction": 1.0},
            "validate",
            ["table 'flights'", "multiple_fields_uniqueness"],
        ),
        (corrupt_flights_zip, {}, "ingest", ["table 'flights'", "cannot read", "flights.csv.zip"]),
        (
            _out_of_range,
            {},
            "validate",
            ["table 'weather', column 'humid', rule in_range(0, 100): 2 failing row(s)"],
        ),
        (None, {"data.months": [13]}, "ingest", ["data.months = [13] is invalid"]),
        (
            None,
            {"data.sample_fraction": -0.1},
            "ingest",
            ["data.sample_fraction = -0.1", "a fraction in (0, 1]"],
        ),
    ],
    ids=[
        "missing-column",
        "wrong-dtype",
        "empty-file",
        "duplicated-keys",
        "corrupt-zip",
        "out-of-range",
        "unknown-month",
        "negative-sample-fraction",
    ],
)
def test_bad_input_stops_dvc_repro_cleanly(failing_repo, damage, overrides, failing_stage, expected):
    """Each bad input of the data through `dvc repro`: the message names it, no traceback, exit non-zero,
    nothing ran past the failing stage, its outputs are absent (never half-written) and its lock entry
    is untouched; `dvc checkout` then restores every output from the cache."""
    repo = failing_repo
    lock = yaml.safe_load((repo.path / "dvc.lock").read_text())["stages"]
    dvc_yaml = yaml.safe_load((repo.path / "dvc.yaml").read_text())["stages"]
    if damage is not None:
        damage(write_source(repo.path / "data/source"))
        overrides = {"data.source": "data/source"} | overrides
    repo.set_params(overrides)
    try:
        result = repo.dvc("repro", check=False)
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        for part in expected:
            assert part in output, f"{part!r} not in:\n{output}"
        assert "Traceback" not in output
        ran = {"ingest", "validate"} if failing_stage == "validate" else {"ingest"}
        assert stages_run(result.stdout) == ran, result.stdout
        assert not any((repo.path / path).exists() for path in out_paths(dvc_yaml[failing_stage]))
        after = yaml.safe_load((repo.path / "dvc.lock").read_text())["stages"]
        assert after[failing_stage] == lock[failing_stage]
    finally:
        repo.restore()
    assert_clean(repo)
