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

from flights.cleaning import check_label_params
from flights.modeling import FAMILIES, build_pipeline, check_params
from flights.stages import baseline as baseline_stage
from flights.stages import train as train_stage
from mlkit.config import ParamError
from mlkit.split import split_by_period

PROJECT = Path(__file__).resolve().parents[1]


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
    env = dict(os.environ, PYTHONPATH=str(PROJECT / "src"))
    result = subprocess.run(
        [sys.executable, "-m", "flights.stages.train"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "train.model" in result.stderr and "'xgb'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "models").exists()


# The temporal split.

MONTHS = pd.DataFrame({"month": [1, 1, 2, 3, 3, 3], "value": range(6)})


def test_split_by_period_returns_the_named_parts():
    parts = split_by_period(MONTHS, "month", {"fit": [1, 2], "test": [3]})
    assert list(parts) == ["fit", "test"]
    assert parts["fit"]["value"].tolist() == [0, 1, 2]
    assert parts["test"]["value"].tolist() == [3, 4, 5]


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
