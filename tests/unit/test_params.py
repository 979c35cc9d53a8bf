"""Bad parameters stop with a message that names the section, key, value and rule, before any heavy work.

Every section of params.yaml has one typed model in flights.shared.params; a stage validates the whole file
when it starts, and `make sweep` validates every grid point with the same models.
"""

import copy
import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
import yaml

import mlkit.stage
from flights.model.train import FAMILY_PARTS, build_pipeline
from flights.shared.params import FAMILIES, Params, check_params, project_params
from flights.stages import baseline as baseline_stage
from flights.stages import evaluate as evaluate_stage
from flights.stages import explore as explore_stage
from flights.stages import monitor as monitor_stage
from flights.stages import score as score_stage
from flights.stages import split as split_stage
from flights.stages import train as train_stage
from flights.tooling.sweep import check_values
from mlkit.config import ParamError, parent_of, parse_params
from mlkit.split import split_account, split_by_period

PROJECT = Path(__file__).resolve().parents[2]
STAGES = sorted(
    path.stem for path in (PROJECT / "src/flights/stages").glob("*.py") if path.stem != "__init__"
)


def run_stage_in(folder: Path, stage: str) -> subprocess.CompletedProcess:
    """A stage as DVC runs it (`python -m flights.stages.<stage>`), in `folder` with the project's code."""
    return subprocess.run(
        [sys.executable, "-m", f"flights.stages.{stage}"], cwd=folder,
        env=dict(os.environ, PYTHONPATH=str(PROJECT / "src")), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def params() -> dict:
    return yaml.safe_load((PROJECT / "params.yaml").read_text())


def changed(params: dict, dotted: str, value) -> dict:
    """A deep copy of params with `dotted` (`train.hgb.max_iter`) set to `value`, or removed (KeyError)."""
    result = copy.deepcopy(params)
    parent, name = parent_of(result, dotted)
    if value is KeyError:
        del parent[name]
    else:
        parent[name] = value
    return result


def refusal(params: dict) -> str:
    with pytest.raises(ParamError) as error:
        check_params(params)
    return str(error.value)


def assert_named(message: str, dotted: str, value, rule: str) -> None:
    """The message names the file, section.key, the value and the rule."""
    expected = f"params.yaml: {dotted} = {value!r} is invalid: expected {rule}"
    assert expected in message, f"{expected!r} not in:\n{message}"


def test_committed_params_pass_every_check(params):
    check_params(params)
    for family in FAMILIES:
        check_params(changed(params, "train.model", family))


def test_project_params_returns_the_files_own_values(params):
    """Validation changes nothing: model cards and metrics record params as YAML gave them (a whole
    number stays an int where a float field would hold 1.0)."""
    loaded = project_params(PROJECT / "params.yaml")
    assert loaded == params
    assert type(loaded["data"]["sample_fraction"]) is type(params["data"]["sample_fraction"])


def test_project_params_refuses_a_bad_file(params, tmp_path):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(changed(params, "train.hgb.max_iter", -3)))
    with pytest.raises(ParamError) as error:
        project_params(tmp_path / "params.yaml")
    assert str(error.value) == (
        "params.yaml: train.hgb.max_iter = -3 is invalid: expected a whole number >= 1"
    )


def test_every_section_has_a_model():
    assert list(Params.model_json_schema(by_alias=True)["properties"]) == list(
        yaml.safe_load((PROJECT / "params.yaml").read_text())
    )


def test_unknown_model_family_names_the_parameter_and_the_choices(params):
    assert_named(
        refusal(changed(params, "train.model", "xgb")), "train.model", "xgb", "one of ['hgb', 'logreg']"
    )


@pytest.mark.parametrize(
    ("dotted", "value", "rule"),
    [
        ("train.hgb.learning_rate", -0.1, "a finite number > 0"),
        ("train.hgb.learning_rate", 0, "a finite number > 0"),
        ("train.hgb.max_iter", 0, "a whole number >= 1"),
        ("train.hgb.max_iter", 10.5, "a whole number >= 1"),
        ("train.hgb.max_iter", "100", "a whole number >= 1"),  # no silent str -> int
        ("train.hgb.max_leaf_nodes", 1, "a whole number >= 2"),
        ("train.hgb.min_samples_leaf", "many", "a whole number >= 1"),
        ("train.hgb.l2_regularization", -1.0, "a finite number >= 0"),
        ("train.logreg.C", 0, "a finite number > 0"),
        ("train.logreg.C", True, "a finite number > 0"),  # YAML's true is not a number
        ("train.logreg.max_iter", 0, "a whole number >= 1"),
        ("train.logreg.min_category_rows", 0, "a whole number >= 1"),
        ("train.logreg.min_category_rows", 2.5, "a whole number >= 1"),
        ("train.logreg.impute", "most_frequent", "one of ['mean', 'median']"),
        ("train.hgb.learning_rate", float("inf"), "a finite number > 0"),  # YAML's .inf
        ("train.hgb.l2_regularization", float("inf"), "a finite number >= 0"),
        ("train.hgb.seed", 2**32, "a whole number in [0, 4294967296)"),  # past numpy's seeds
        ("train.hgb.seed", True, "a whole number in [0, 4294967296)"),
    ],
)
def test_bad_hyperparameter_is_named(params, dotted, value, rule):
    assert_named(refusal(changed(params, dotted, value)), dotted, value, rule)


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_weather_switch_must_be_a_bool(params, value):
    assert_named(
        refusal(changed(params, "features.weather", value)), "features.weather", value, "true or false"
    )


def test_every_family_the_schema_allows_is_built_and_no_other(params):
    assert set(FAMILY_PARTS) == set(FAMILIES)
    for family in FAMILIES:
        pipeline = build_pipeline(changed(params, "train.model", family)["train"], params["features"])
        assert pipeline.named_steps["model"] is not None
    with pytest.raises(KeyError, match="xgb"):  # never silently another family
        build_pipeline(changed(params, "train.model", "xgb")["train"], params["features"])


# Every section: an unknown key, a wrong type, each named with section, key, value and rule.
UNKNOWN_KEY = {  # a misspelling of a real key in each section
    "data": "data.sample_fractoin", "validate": "validate.min_join_coverage.plane", "label": "label.polcy",
    "explore": "explore.top", "split": "split.test_month", "baseline": "baseline.groupby",
    "features": "features.wether", "train": "train.hgb.max_iters", "evaluate": "evaluate.slice",
    "bootstrap": "bootstrap.resample",
    "score": "score.months", "monitor": "monitor.psi_bin", "serve": "serve.max_flight",
    "gates": "gates.tolerances",
}  # fmt: skip
WRONG_TYPE = {  # (key, a value of the wrong type as YAML would give it, the rule)
    "data": ("data.seed", "2013", "a whole number in [0, 4294967296)"),
    "validate": ("validate.min_join_coverage.weather", True, "a fraction in [0, 1]"),
    "label": ("label.delay_minutes", "15", "a whole number >= 0"),
    "explore": ("explore.top_n", 15.0, "a whole number >= 1"),
    "split": ("split.test_months", 11, "a non-empty list of distinct months 1..12"),
    "baseline": ("baseline.smoothing", "20", "a finite number >= 0"),
    "features": ("features.weather", "true", "true or false"),
    "train": ("train.logreg.C", "1.0", "a finite number > 0"),
    "evaluate": ("evaluate.slices", "carrier", "a list of columns of the test data"),
    "bootstrap": ("bootstrap.resamples", "200", "a whole number >= 1"),
    "score": ("score.max_rejected_share", "1%", "a fraction in [0, 1]"),
    "monitor": ("monitor.psi_bins", 10.0, "a whole number >= 2"),
    "serve": ("serve.max_flights", True, "a whole number >= 1"),
    "gates": ("gates.min_lift", 0.01, "a mapping of metrics among"),
}


def test_every_section_is_covered_by_these_tests(params):
    assert set(UNKNOWN_KEY) == set(WRONG_TYPE) == set(params)


@pytest.mark.parametrize("section", sorted(UNKNOWN_KEY))
def test_every_section_refuses_an_unknown_key(params, section):
    dotted = UNKNOWN_KEY[section]
    message = refusal(changed(params, dotted, 1))
    where, key = dotted.rsplit(".", 1)
    assert f"params.yaml: {where} has unknown keys ['{key}']: the keys are [" in message


@pytest.mark.parametrize("section", sorted(WRONG_TYPE))
def test_every_section_refuses_a_wrong_type(params, section):
    dotted, value, rule = WRONG_TYPE[section]
    message = refusal(changed(params, dotted, value))
    assert f"params.yaml: {dotted} = {value!r} is invalid: expected {rule}" in message


def test_every_problem_is_named_at_once(params):
    bad = changed(changed(params, "explore.top_n", -1), "monitor.psi_bins", 0)
    message = refusal(changed(bad, "train.hgb.max_iters", 5))
    assert_named(message, "explore.top_n", -1, "a whole number >= 1")
    assert_named(message, "monitor.psi_bins", 0, "a whole number >= 2")
    assert "train.hgb has unknown keys ['max_iters']" in message


def test_missing_keys_and_sections_are_named(params):
    message = refusal(changed(params, "train.hgb.seed", KeyError))
    assert "params.yaml: train.hgb has missing keys ['seed']: the keys are [" in message
    message = refusal({k: v for k, v in params.items() if k != "monitor"})
    assert "params.yaml has missing keys ['monitor']" in message
    message = refusal({k: v for k, v in params.items() if k != "validate"})  # an alias in the model
    assert "params.yaml has missing keys ['validate']" in message
    assert_named(
        refusal(params | {"score": 3}), "score", 3, "a mapping with the keys ['month', 'max_rejected_share']"
    )
    assert "params.yaml has unknown keys [1]" in refusal(params | {1: "a number as a key"})


@pytest.mark.parametrize(
    ("dotted", "value", "rule"),
    [
        ("explore.top_n", 0, "a whole number >= 1"),
        ("explore.min_group_rows", 0.5, "a whole number >= 1"),
        ("score.max_rejected_share", 1.5, "a fraction in [0, 1]"),
        ("score.max_rejected_share", -0.1, "a fraction in [0, 1]"),
        ("score.month", 13, '"latest" or a month 1-12'),
        ("score.month", True, '"latest" or a month 1-12'),
        ("score.month", "last", '"latest" or a month 1-12'),
        ("monitor.psi_bins", 1, "a whole number >= 2"),
        ("monitor.psi_flag", 0, "a finite number > 0"),
        ("monitor.reference_rows", 0, "a whole number >= 1"),
        ("monitor.seed", -1, "a whole number in [0, 4294967296)"),
        ("baseline.smoothing", -5, "a finite number >= 0"),
        ("baseline.group_by", [], "a non-empty list of columns known at scheduling time"),
        ("baseline.group_by", "carrier", "a non-empty list of columns known at scheduling time"),
        ("baseline.group_by", [["carrier"]], "a non-empty list of columns known at scheduling time"),
        ("evaluate.min_slice_rows", 0, "a whole number >= 1"),
        ("evaluate.importance_rows", -5, "a whole number >= 1"),
        ("evaluate.importance_repeats", 1.5, "a whole number >= 1"),
        ("evaluate.seed", -1, "a whole number in [0, 4294967296)"),
        ("evaluate.slices", [["carrier"]], "a list of columns of the test data"),
        ("bootstrap.group_by", [], "a non-empty list of distinct columns"),
        ("bootstrap.group_by", ["day", "day"], "a non-empty list of distinct columns"),
        ("bootstrap.resamples", 0, "a whole number >= 1"),
        ("bootstrap.level", 1.0, "a number in (0, 1)"),
        ("bootstrap.level", 95, "a number in (0, 1)"),
        ("bootstrap.seed", -1, "a whole number in [0, 4294967296)"),
        ("serve.max_flights", 0, "a whole number >= 1"),
        ("gates.tolerance", {"auc": 0.005}, "a mapping of metrics among ['roc_auc'"),
        ("gates.tolerance", {"roc_auc": -0.005}, "a mapping of metrics among ['roc_auc'"),
        ("gates.min_lift", {"roc_auc": float("nan")}, "a mapping of metrics among ['roc_auc'"),
    ],
)
def test_bad_value_is_named(params, dotted, value, rule):
    assert_named(refusal(changed(params, dotted, value)), dotted, value, rule)


def test_gates_may_be_empty_or_name_any_metric(params):
    check_params(changed(changed(params, "gates.tolerance", None), "gates.min_lift", {"f1": float("-inf")}))


@pytest.mark.parametrize(
    ("stage", "dotted", "value"),
    [
        (explore_stage, "explore.top_n", 0),
        (score_stage, "score.max_rejected_share", 1.5),
        (monitor_stage, "monitor.seed", -1),
        (split_stage, "split.backtest_months", ["Oct"]),
        (train_stage, "train.hgb.max_iter", 0),
        (baseline_stage, "baseline.smoothing", -5),
        (evaluate_stage, "evaluate.importance_repeats", 1.5),
    ],
)
def test_stage_rejects_a_bad_value_before_reading_data(
    params, tmp_path, monkeypatch, capsys, stage, dotted, value
):
    """As each stage starts (`run_stage(main, project_params)`): no data here, so a check that came after
    reading would fail on a missing file instead."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(mlkit.stage, "pin_threads", lambda: None)  # the test process keeps its threads
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(changed(params, dotted, value)))
    with pytest.raises(SystemExit) as stopped:
        mlkit.stage.run_stage(stage.main, partial(project_params, tmp_path / "params.yaml"))
    assert stopped.value.code == 1
    assert f"{dotted} = {value!r} is invalid" in capsys.readouterr().err


def test_every_stage_validates_its_params_as_it_starts():
    for stage in STAGES:
        source = (PROJECT / f"src/flights/stages/{stage}.py").read_text()
        assert "run_stage(main, project_params)" in source, stage


def test_stage_stops_with_the_message_and_exit_1(params, tmp_path):
    """The stage as DVC runs it: one line naming the parameter on stderr, no traceback."""
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(changed(params, "train.model", "xgb")))
    result = run_stage_in(tmp_path, "train")
    assert result.returncode == 1
    assert (
        "error: params.yaml: train.model = 'xgb' is invalid: expected one of ['hgb', 'logreg']"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "models").exists()


def test_stage_names_an_unreadable_input_file_and_exits_1(params, tmp_path):
    """A truncated Parquet input (a disk filled up, a copy cut short) is named, not a pyarrow traceback."""
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    prepared = tmp_path / "data/prepared/flights.parquet"
    prepared.parent.mkdir(parents=True)
    prepared.write_bytes(b"PAR1 cut short")
    result = run_stage_in(tmp_path, "split")
    assert result.returncode == 1, result.stderr
    assert "error: data/prepared/flights.parquet is not a readable Parquet file" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data/split").exists()


def test_evaluate_slices_must_be_columns_of_the_test_data(params):
    columns = pd.Index(["carrier", "origin", "dest", "month", "disrupted"])
    evaluate_stage.check_slices(params["evaluate"]["slices"], columns)
    with pytest.raises(ParamError) as error:
        evaluate_stage.check_slices(["gate"], columns)
    assert_named(str(error.value), "evaluate.slices", ["gate"], "a list of columns of the test data")


@pytest.mark.parametrize("group_by", [["arr_delay"], ["carrier", "status"], ["disrupted"], ["gate"]])
def test_baseline_may_not_group_by_an_outcome(params, tmp_path, monkeypatch, group_by):
    """The data rule of baseline.group_by, checked by the stage that reads the columns."""
    monkeypatch.chdir(tmp_path)
    split = tmp_path / "data/split"
    split.mkdir(parents=True)
    frame = pd.DataFrame(
        {"carrier": ["UA", "AA"], "hour": [5, 6], "arr_delay": [3.0, 40.0], "status": ["completed"] * 2,
         "disrupted": [0, 1]}
    )  # fmt: skip
    frame.to_parquet(split / "train.parquet")
    check_params(changed(params, "baseline.group_by", group_by))  # well formed: the data decides
    with pytest.raises(ParamError) as error:
        baseline_stage.main(changed(params, "baseline.group_by", group_by))
    assert_named(
        str(error.value), "baseline.group_by", group_by, "a list of columns known at scheduling time"
    )


def test_an_unknown_key_stops_a_stage_with_exit_1(params, tmp_path):
    bad = changed(params, "train.hgb.max_iters", 50)  # a typo of max_iter: ignored, it would change nothing
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(bad))
    result = run_stage_in(tmp_path, "explore")
    assert result.returncode == 1
    assert "train.hgb has unknown keys ['max_iters']" in result.stderr
    assert "Traceback" not in result.stderr


def test_params_are_read_as_dvc_reads_them():
    """YAML 1.2, as DVC's ruamel reads it (`dvc params diff` showed 0.001 where PyYAML made a string)."""
    params = parse_params("train:\n  hgb:\n    learning_rate: 1e-3\n    max_iter: 200\n", "params.yaml")
    assert params == {"train": {"hgb": {"learning_rate": 0.001, "max_iter": 200}}}
    with pytest.raises(ParamError, match=r"params\.yaml is not valid YAML(.|\n)*duplicate key"):
        parse_params("train:\n  model: hgb\n  model: logreg\n", "params.yaml")


def test_malformed_params_yaml_is_named_with_its_line_and_exit_1(tmp_path):
    (tmp_path / "params.yaml").write_text("data:\n  months: [1, 2\n  seed: 2013\n")
    result = run_stage_in(tmp_path, "ingest")
    assert result.returncode == 1
    assert "error: params.yaml is not valid YAML" in result.stderr and "line 3" in result.stderr
    assert "Traceback" not in result.stderr


# The temporal split.

MONTHS = pd.DataFrame({"month": [1, 1, 2, 3, 3, 3], "value": range(6)})


def test_a_dotted_name_finds_the_mapping_that_holds_its_last_part():
    """The one walker of `train.hgb.max_iter` names: the sweep's grid check, its settings and the PR
    report's rows all go through it."""
    params = {"train": {"model": "hgb", "hgb": {"max_iter": 100}}}
    assert parent_of(params, "train.hgb.max_iter") == ({"max_iter": 100}, "max_iter")
    assert parent_of(params, "train") == (params, "train")
    assert parent_of(params, "train.hgb.missing") == ({"max_iter": 100}, "missing")
    assert parent_of(params, "train.lr.C") == (None, "C")
    assert parent_of(params, "train.model.x") == (None, "x")  # train.model is a value, not a section


def test_split_by_period_returns_the_named_parts():
    parts = split_by_period(MONTHS, "month", {"fit": [1, 2], "test": [3]})
    assert list(parts) == ["fit", "test"]
    assert parts["fit"]["value"].tolist() == [0, 1, 2]
    assert parts["test"]["value"].tolist() == [3, 4, 5]


def test_months_no_part_lists_are_counted_not_lost():
    parts = {"fit": [1], "test": [3]}
    kept = split_by_period(MONTHS, "month", parts)
    account = split_account(MONTHS, "month", parts)
    assert account == {"rows_in": 6, "rows_out": 5, "rows_outside_parts": 1, "outside_parts": [[2, 1]]}
    assert account["rows_out"] == sum(len(part) for part in kept.values())
    assert split_account(MONTHS, "month", {"fit": [1, 2], "test": [3]})["outside_parts"] == []


def test_split_with_an_absent_month_names_it_and_the_months_present():
    with pytest.raises(ParamError) as error:
        split_by_period(MONTHS, "month", {"fit": [1, 2], "test": [12]})
    message = str(error.value)
    assert "'test'" in message and "[12]" in message
    assert "[1, 2, 3]" in message


def test_split_with_overlapping_parts_names_the_month_and_both_parts():
    with pytest.raises(ParamError) as error:
        split_by_period(MONTHS, "month", {"fit": [1, 2], "valid": [2], "test": [3]})
    message = str(error.value)
    assert "month 2" in message and "'fit'" in message and "'valid'" in message


def test_split_parts_out_of_time_order_are_rejected():
    with pytest.raises(ParamError) as error:  # tested on months before those it was fitted on
        split_by_period(MONTHS, "month", {"fit": [2, 3], "test": [1]})
    message = str(error.value)
    assert "'test' has month 1, not after month 3 of 'fit'" in message


def test_split_with_an_empty_part_is_rejected():
    with pytest.raises(ParamError, match="'valid' lists no month"):
        split_by_period(MONTHS, "month", {"fit": [1, 2], "valid": [], "test": [3]})


# The label.


def test_unknown_label_policy_names_the_choices(params):
    message = refusal(changed(params, "label.policy", "late"))
    assert_named(message, "label.policy", "late", "one of ['completed', 'disrupted']")


@pytest.mark.parametrize("minutes", [-1, 15.5, "15", True])
def test_bad_delay_minutes_is_named(params, minutes):
    assert_named(
        refusal(changed(params, "label.delay_minutes", minutes)),
        "label.delay_minutes",
        minutes,
        "a whole number >= 0",
    )


def test_zero_delay_minutes_is_allowed(params):
    check_params(changed(changed(params, "label.policy", "completed"), "label.delay_minutes", 0))


# The split months: no data needed for these rules (months absent from the data: mlkit.split above).

MONTHS_RULE = "a non-empty list of distinct months 1..12"
FIT_RULE = "months with at least split.min_fit_months = 5 train months before each"  # as committed


@pytest.mark.parametrize(
    ("dotted", "value", "rule"),
    [
        ("split.test_months", 11, MONTHS_RULE),
        ("split.backtest_months", ["Oct"], MONTHS_RULE),
        ("split.backtest_months", [], MONTHS_RULE),
        ("split.backtest_months", [3, 3], MONTHS_RULE),
        ("split.train_months", [], MONTHS_RULE),
        ("split.test_months", [11, 11, 12], MONTHS_RULE),
        ("split.test_months", [12, 13], MONTHS_RULE),
        ("split.backtest_months", [3, 11], "months among train_months (month 11 is not one)"),
        ("split.backtest_months", [1, 7], f"{FIT_RULE} (month 1 has 0: its fold would be"),
        ("split.backtest_months", [3, 10], f"{FIT_RULE} (month 3 has 2: its fold would be"),
        ("split.test_months", [10, 11], "months no other part lists (month 10 is in train_months)"),
        ("split.test_months", [1], "months no other part lists (month 1 is in train_months)"),
    ],
)
def test_split_months_are_named(params, dotted, value, rule):
    assert_named(refusal(changed(params, dotted, value)), dotted, value, rule)


def test_split_parts_out_of_time_order_are_named(params):
    bad = changed(changed(params, "split.train_months", [2, 3]), "split.backtest_months", [3])
    bad = changed(bad, "split.min_fit_months", 1)
    message = refusal(changed(bad, "split.test_months", [1]))
    assert_named(message, "split.test_months", [1], "months after those of train_months (up to 3)")


def test_a_backtest_month_needs_a_train_month_before_it_not_just_an_earlier_month(params):
    """Month 4 is after month 1, but with train months [4, 5, 6] its fold would be fitted on nothing."""
    bad = changed(changed(params, "split.train_months", [4, 5, 6]), "split.backtest_months", [4, 6])
    bad = changed(bad, "split.min_fit_months", 1)
    rule = "months with at least split.min_fit_months = 1 train months before each (month 4 has 0"
    assert_named(refusal(bad), "split.backtest_months", [4, 6], rule)


def test_folds_of_any_season_are_allowed_with_a_shorter_minimum_window(params):
    check_params(changed(changed(params, "split.min_fit_months", 1), "split.backtest_months", [2, 5, 8, 10]))


def test_the_minimum_fit_window_is_a_whole_number(params):
    bad = changed(params, "split.min_fit_months", 0)
    assert_named(refusal(bad), "split.min_fit_months", 0, "a whole number >= 1")


# Data months.


@pytest.mark.parametrize("months", [[13], [0, 1], [], 1, [1, 1], [True]])
def test_data_months_are_named(params, months):
    assert_named(refusal(changed(params, "data.months", months)), "data.months", months, MONTHS_RULE)


# The sweep's pre-check: every section of every grid point, with the same models, before anything is queued.


SWEEP_CASES = [
    ("monitor.psi_bins", 0, "a whole number >= 2"),
    ("explore.top_n", -1, "a whole number >= 1"),
    ("data.months", [1, 1], "a non-empty list of distinct months 1..12"),
    ("validate.min_join_coverage.planes", 1.5, "a fraction in [0, 1]"),
    ("label.policy", "late", "one of ['completed', 'disrupted']"),
    ("split.backtest_months", [11], "months among train_months (month 11 is not one)"),
    ("baseline.smoothing", -1, "a finite number >= 0"),
    ("features.weather", "yes", "true or false"),
    ("train.hgb.max_iter", -3, "a whole number >= 1"),
    ("evaluate.seed", -1, "a whole number in [0, 4294967296)"),
    ("bootstrap.level", 0, "a number in (0, 1)"),
    ("score.month", 13, '"latest" or a month 1-12'),
    ("serve.max_flights", 0, "a whole number >= 1"),
    ("gates.tolerance", {"auc": 0.01}, "a mapping of metrics among"),
]


@pytest.mark.parametrize(("dotted", "value", "rule"), SWEEP_CASES)
def test_the_sweep_refuses_a_bad_value_in_any_section_before_queueing(params, dotted, value, rule):
    assert {dotted.split(".")[0] for dotted, _, _ in SWEEP_CASES} == set(params)
    runs = [{"train.hgb.max_iter": 50}, {"train.hgb.max_iter": 60, dotted: value}]
    with pytest.raises(ParamError) as error:
        check_values(runs, params, "sweep.yaml")
    message = str(error.value)
    assert message.startswith(f"sweep.yaml: the run {runs[1]}: ")
    assert_named(message, dotted, value, rule)


def test_the_sweep_passes_good_runs(params):
    check_values(
        [{"train.model": "logreg"}, {"label.delay_minutes": 30, "monitor.psi_bins": 20}], params, "s"
    )
