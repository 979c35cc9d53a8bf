"""Bad parameters stop with a message that names the parameter, before any heavy work."""

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from flights.data.prepare import check_label_params
from flights.model.train import FAMILIES, build_pipeline, check_params
from flights.params import PARAMS_SHAPE
from flights.stages import baseline as baseline_stage
from flights.stages import evaluate as evaluate_stage
from flights.stages import explore as explore_stage
from flights.stages import monitor as monitor_stage
from flights.stages import score as score_stage
from flights.stages import split as split_stage
from flights.stages import train as train_stage
from mlkit.config import ParamError, check_shape, parent_of, parse_params
from mlkit.split import split_account, split_by_period

PROJECT = Path(__file__).resolve().parents[2]


def run_stage_in(folder: Path, stage: str) -> subprocess.CompletedProcess:
    """A stage as DVC runs it (`python -m flights.stages.<stage>`), in `folder` with the project's code."""
    return subprocess.run(
        [sys.executable, "-m", f"flights.stages.{stage}"], cwd=folder,
        env=dict(os.environ, PYTHONPATH=str(PROJECT / "src")), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def params() -> dict:
    return yaml.safe_load((PROJECT / "params.yaml").read_text())


def modified(params: dict, section: str, path: str, value) -> dict:
    """A deep copy of params[section] with `path` (dotted, inside the section) set to `value`."""
    result = copy.deepcopy(params[section])
    *parents, leaf = path.split(".")
    target = result
    for name in parents:
        target = target[name]
    target[leaf] = value
    return result


def test_committed_params_pass_every_check(params):
    check_params(params["train"], params["features"])
    check_label_params(params["label"])
    for family in FAMILIES:
        check_params(modified(params, "train", "model", family), params["features"])


def test_unknown_model_family_names_the_parameter_and_the_choices(params):
    with pytest.raises(ParamError) as error:
        check_params(modified(params, "train", "model", "xgb"), params["features"])
    message = str(error.value)
    assert "train.model" in message and "'xgb'" in message
    assert "hgb" in message and "logreg" in message


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("hgb.learning_rate", -0.1, "train.hgb.learning_rate"),
        ("hgb.learning_rate", 0, "train.hgb.learning_rate"),
        ("hgb.max_iter", 0, "train.hgb.max_iter"),
        ("hgb.max_iter", 10.5, "train.hgb.max_iter"),
        ("hgb.max_leaf_nodes", 1, "train.hgb.max_leaf_nodes"),
        ("hgb.min_samples_leaf", "many", "train.hgb.min_samples_leaf"),
        ("hgb.l2_regularization", -1.0, "train.hgb.l2_regularization"),
        ("logreg.C", 0, "train.logreg.C"),
        ("logreg.max_iter", 0, "train.logreg.max_iter"),
        ("logreg.min_category_rows", 0, "train.logreg.min_category_rows"),
        ("logreg.min_category_rows", 2.5, "train.logreg.min_category_rows"),
        ("logreg.impute", "most_frequent", "train.logreg.impute"),
        ("hgb.learning_rate", float("inf"), "train.hgb.learning_rate"),  # YAML's .inf
        ("hgb.l2_regularization", float("inf"), "train.hgb.l2_regularization"),
        ("hgb.seed", 2**32, "train.hgb.seed"),  # past numpy's seeds
        ("hgb.seed", True, "train.hgb.seed"),
    ],
)
def test_bad_hyperparameter_is_named(params, path, value, named):
    with pytest.raises(ParamError, match=re.escape(f"{named} = {value!r} is invalid")):
        check_params(modified(params, "train", path, value), params["features"])


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_weather_switch_must_be_a_bool(params, value):
    with pytest.raises(ParamError, match=r"features\.weather"):
        check_params(params["train"], {"weather": value})


def test_building_a_pipeline_checks_first(params):
    with pytest.raises(ParamError, match=r"train\.model"):
        build_pipeline(modified(params, "train", "model", "xgb"), params["features"])


def test_train_stage_rejects_params_before_reading_data(params, tmp_path, monkeypatch):
    """In an empty folder the stage fails on missing inputs; a bad parameter must fail first."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError):
        train_stage.main(params)
    with pytest.raises(ParamError, match=r"train\.hgb\.max_iter"):
        train_stage.main(params | {"train": modified(params, "train", "hgb.max_iter", 0)})


def test_baseline_stage_rejects_negative_smoothing_before_reading_data(params, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParamError, match=r"baseline\.smoothing"):
        baseline_stage.main(params | {"baseline": modified(params, "baseline", "smoothing", -5)})


def test_stage_stops_with_the_message_and_exit_1(params, tmp_path):
    """The stage as DVC runs it: one line naming the parameter on stderr, no traceback."""
    bad = copy.deepcopy(params)
    bad["train"]["model"] = "xgb"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(bad))
    result = run_stage_in(tmp_path, "train")
    assert result.returncode == 1
    assert "train.model" in result.stderr and "'xgb'" in result.stderr
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


def test_committed_params_have_exactly_the_known_keys(params):
    check_shape(params, PARAMS_SHAPE)


@pytest.mark.parametrize(
    ("section", "path", "value", "message"),
    [
        ("train", "hgb.max_iters", 50, "train.hgb has unknown keys ['max_iters']"),
        ("evaluate", "slice", ["carrier"], "evaluate has unknown keys ['slice']"),
    ],
)
def test_unknown_keys_are_named(params, section, path, value, message):
    changed = params | {section: modified(params, section, path, value)}
    with pytest.raises(ParamError) as error:
        check_shape(changed, PARAMS_SHAPE)
    assert message in str(error.value) and "the keys are" in str(error.value)


def test_missing_keys_and_sections_are_named(params):
    without = copy.deepcopy(params)
    del without["train"]["hgb"]["seed"]
    with pytest.raises(ParamError, match=r"train\.hgb has missing keys \['seed'\]"):
        check_shape(without, PARAMS_SHAPE)
    with pytest.raises(ParamError, match=r"params\.yaml has missing keys \['monitor'\]"):
        check_shape({k: v for k, v in params.items() if k != "monitor"}, PARAMS_SHAPE)
    with pytest.raises(ParamError, match=r"params\.yaml: score = 3 is invalid: expected a mapping"):
        check_shape(params | {"score": 3}, PARAMS_SHAPE)
    with pytest.raises(ParamError, match=r"params\.yaml has unknown keys \[1\]"):
        check_shape(params | {1: "a number as a key"}, PARAMS_SHAPE)


@pytest.mark.parametrize(
    ("stage", "section", "path", "value", "named"),
    [
        (explore_stage, "explore", "top_n", 0, "explore.top_n"),
        (explore_stage, "explore", "min_group_rows", 0.5, "explore.min_group_rows"),
        (score_stage, "score", "max_rejected_share", 1.5, "score.max_rejected_share"),
        (score_stage, "score", "max_rejected_share", -0.1, "score.max_rejected_share"),
        (monitor_stage, "monitor", "psi_bins", 1, "monitor.psi_bins"),
        (monitor_stage, "monitor", "psi_flag", 0, "monitor.psi_flag"),
        (monitor_stage, "monitor", "reference_rows", 0, "monitor.reference_rows"),
        (monitor_stage, "monitor", "seed", -1, "monitor.seed"),
        (split_stage, "split", "test_months", 11, "split.test_months"),
        (split_stage, "split", "valid_months", ["Oct"], "split.valid_months"),
    ],
)
def test_stage_rejects_a_bad_value_before_reading_data(
    params, tmp_path, monkeypatch, stage, section, path, value, named
):
    monkeypatch.chdir(tmp_path)  # no data here: a check that came after reading would fail otherwise
    with pytest.raises(ParamError, match=re.escape(named)):
        stage.main(params | {section: modified(params, section, path, value)})


@pytest.mark.parametrize(
    ("path", "value"),
    [("min_slice_rows", 0), ("importance_rows", -5), ("importance_repeats", 1.5), ("seed", -1),
     ("slices", ["gate"]), ("slices", "carrier"), ("slices", [["carrier"]])],
)  # fmt: skip
def test_evaluate_params_are_checked(params, path, value):
    columns = pd.Index(["carrier", "origin", "dest", "month", "disrupted"])
    evaluate_stage.check_params(params["evaluate"], columns)
    with pytest.raises(ParamError, match=re.escape(f"evaluate.{path}")):
        evaluate_stage.check_params(modified(params, "evaluate", path, value), columns)


@pytest.mark.parametrize(
    "group_by", [["arr_delay"], ["carrier", "status"], ["disrupted"], [], "carrier", [["carrier"]]]
)
def test_baseline_may_not_group_by_an_outcome(params, tmp_path, monkeypatch, group_by):
    monkeypatch.chdir(tmp_path)
    split = tmp_path / "data/split"
    split.mkdir(parents=True)
    frame = pd.DataFrame(
        {"carrier": ["UA", "AA"], "hour": [5, 6], "arr_delay": [3.0, 40.0], "status": ["completed"] * 2,
         "disrupted": [0, 1]}
    )  # fmt: skip
    for part in ("fit", "valid"):
        frame.to_parquet(split / f"{part}.parquet")
    with pytest.raises(ParamError, match=r"baseline\.group_by"):
        baseline_stage.main(params | {"baseline": modified(params, "baseline", "group_by", group_by)})


def test_an_unknown_key_stops_a_stage_with_exit_1(params, tmp_path):
    bad = copy.deepcopy(params)
    bad["train"]["hgb"]["max_iters"] = 50  # a typo of max_iter: ignored, it would change nothing
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


def test_unknown_label_policy_names_the_choices():
    with pytest.raises(ParamError) as error:
        check_label_params({"policy": "late", "delay_minutes": 15})
    message = str(error.value)
    assert "label.policy" in message and "'late'" in message
    assert "completed" in message and "disrupted" in message


@pytest.mark.parametrize("minutes", [-1, 15.5, "15"])
def test_bad_delay_minutes_is_named(minutes):
    with pytest.raises(ParamError, match=r"label\.delay_minutes"):
        check_label_params({"policy": "disrupted", "delay_minutes": minutes})


def test_zero_delay_minutes_is_allowed():
    check_label_params({"policy": "completed", "delay_minutes": 0})
