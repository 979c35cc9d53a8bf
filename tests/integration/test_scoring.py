"""Batch scoring: the request rules row by row, a quarantine that never loses a row, and the
`make predict` command and the `score` stage end to end in the session's reproduced repo.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from conftest import Repo
from flights.data.fields import INPUT_NAMES, NOT_INPUTS
from flights.delivery.inputs import flight_model
from flights.delivery.score import batch_month, score_flights
from flights.model.features import model_inputs
from flights.model.train import expected_weather, known_categories
from mlkit.config import ParamError
from mlkit.scoring import check_paths, read_table
from mlkit.validation import DataError

pytestmark = pytest.mark.slow

VERSION = "test-version"
ROWS = 200


@pytest.fixture(scope="module")
def threshold(pipeline_repo: Repo) -> float:
    return json.loads((pipeline_repo.path / "metrics/train.json").read_text())["threshold"]


@pytest.fixture(scope="module")
def prepared(pipeline_repo: Repo) -> pd.DataFrame:
    return pd.read_parquet(pipeline_repo.path / "data/prepared/flights.parquet")


@pytest.fixture
def flights(prepared: pd.DataFrame) -> pd.DataFrame:
    """Real December flights with every column of the prepared table (a user's file has extras too)."""
    december = prepared[prepared["month"] == 12]
    return december.sample(n=ROWS, random_state=0).reset_index(drop=True)


def locked_model_md5(root: Path) -> str:
    """The md5 dvc.lock records for models/model.skops, read independently of mlkit.serving."""
    stages = yaml.safe_load((root / "dvc.lock").read_text())["stages"]
    [md5] = [
        o["md5"] for s in stages.values() for o in s.get("outs", []) if o["path"] == "models/model.skops"
    ]
    return md5


def score(frame, model, threshold, limit=0.5):
    return score_flights(frame, model, VERSION, threshold, limit)


def broken(frame: pd.DataFrame, row: int, change: dict) -> pd.DataFrame:
    """A copy with `change` written into one row; a column that cannot hold a value becomes object."""
    frame = frame.copy()
    for column, value in change.items():
        try:
            frame.loc[row, column] = value
        except (TypeError, ValueError):
            frame[column] = frame[column].astype(object)
            frame.loc[row, column] = value
    return frame


def reason_fragments(reason: str) -> list[str]:
    return reason.split("; ")


def test_a_clean_batch_is_scored_whole_with_the_pipeline(flights, model, threshold):
    scored, rejected, summary = score(flights, model, threshold)
    assert len(rejected) == 0 and len(scored) == len(flights)
    expected = model.predict_proba(flights[model_inputs(weather=True)])[:, 1]
    assert np.array_equal(scored["probability"].to_numpy(), expected)
    assert (scored["model_version"] == VERSION).all()
    assert (scored["disrupted"] == (scored["probability"] >= threshold)).all()
    assert summary | {"mean_probability": None, "flagged_share": None} == {
        "rows": ROWS, "scored": ROWS, "rejected": 0, "rejected_share": 0.0, "threshold": threshold,
        "model_version": VERSION, "mean_probability": None, "flagged_share": None,
        "missing_weather": int(flights[expected_weather(model)].isna().any(axis=1).sum()),
        "unseen_dest": int((~flights["dest"].isin(known_categories(model)["dest"])).sum()),
    }  # fmt: skip


def test_each_row_names_the_expected_weather_it_lacks(flights, model, threshold):
    frame = broken(
        broken(flights, 1, {"humid": np.nan, "pressure": np.nan}), 2, {"temp": np.nan, "visib": np.nan}
    )
    scored, _, _ = score(frame, model, threshold)
    assert scored.loc[[1, 2], "missing_weather"].tolist() == ["humid", "temp;visib"]


BAD_ROWS = {
    "carrier-not-a-code": ({"carrier": "U"}, "carrier", "str_matches"),
    "unknown-carrier": ({"carrier": "ZZ"}, "carrier", "isin"),
    "origin-not-trained": ({"origin": "BOS"}, "origin", "isin"),
    "month-13": ({"month": 13}, "month", "in_range"),
    "minutes-over-59": ({"sched_dep_time": 575}, "sched_dep_time", "hhmm_minutes_below_60"),
    "not-a-date": ({"month": 2, "day": 30}, "row", "year_month_day_is_a_date"),  # said once, not per column
    "lowercase-dest": ({"dest": "iah"}, "dest", "str_matches"),
    "weather-out-of-range": ({"temp": 500.0}, "temp", "in_range"),
    "flight-zero": ({"flight": 0}, "flight", "in_range"),
    "flight-over-9999": ({"flight": 10000}, "flight", "in_range"),
}


def test_a_destination_the_model_never_saw_is_scored_and_flagged(flights, model, threshold):
    frame = broken(flights, 7, {"dest": "IAX"})  # a typo of IAH, or a new route
    scored, rejected, summary = score(frame, model, threshold)
    assert len(rejected) == 0 and len(scored) == ROWS
    known = set(known_categories(model)["dest"])
    assert scored["unseen_dest"].tolist() == [dest not in known for dest in frame["dest"]]
    assert scored.loc[7, "unseen_dest"] and summary["unseen_dest"] == scored["unseen_dest"].sum() >= 1


@pytest.mark.parametrize("change, column, rule", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_row_breaking_a_rule_is_quarantined_with_its_reason(
    flights, model, threshold, change, column, rule
):
    frame = broken(flights, 7, change)
    scored, rejected, summary = score(frame, model, threshold)
    assert len(scored) + len(rejected) == len(frame)
    assert rejected.index.tolist() == [7]
    [reason] = rejected["reason"].tolist()
    assert any(f.startswith(f"{column}: {rule}") for f in reason_fragments(reason)), reason
    assert 7 not in scored.index
    assert summary["rejected"] == 1 and summary["scored"] == ROWS - 1
    for name, value in change.items():  # the quarantine keeps the row as it came
        assert rejected.loc[7, name] == value


def test_a_row_rule_is_named_once_beside_the_column_rules(flights, model, threshold):
    _, rejected, _ = score(broken(flights, 3, {"carrier": "ZZ", "month": 2, "day": 30}), model, threshold)
    [reason] = rejected["reason"].tolist()
    assert sorted(f.split(" ")[0] for f in reason_fragments(reason)) == ["carrier:", "row:"], reason


def test_a_file_without_required_columns_names_them(flights, model, threshold):
    with pytest.raises(DataError) as error:
        score(flights.drop(columns=["dest", "year"]), model, threshold)
    assert (
        str(error.value)
        == "table 'flights to score' cannot be scored: it lacks the required columns ['dest', 'year']"
    )


def test_many_bad_rows_are_all_accounted_for(flights, model, threshold):
    frame = flights
    for row, (change, _, _) in enumerate(BAD_ROWS.values()):
        frame = broken(frame, 10 * row, change)
    scored, rejected, summary = score(frame, model, threshold)
    assert sorted(rejected.index) == [10 * row for row in range(len(BAD_ROWS))]
    assert sorted([*scored.index, *rejected.index]) == list(range(ROWS))
    assert summary["rejected_share"] == len(BAD_ROWS) / ROWS
    clean = frame.drop(index=rejected.index)
    expected = model.predict_proba(clean[model_inputs(weather=True)])[:, 1]
    assert np.array_equal(scored["probability"].to_numpy(), expected)


def csv_round_trip(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    frame.to_csv(path, index=False)
    return read_table(path, INPUT_NAMES, "input flights")


@pytest.mark.parametrize("column, value", [("flight", "abc"), ("month", "x"), ("temp", "warm")])
def test_a_non_numeric_value_in_a_csv_quarantines_its_row(flights, model, threshold, tmp_path, column, value):
    frame = csv_round_trip(broken(flights, 5, {column: value}), tmp_path / "flights.csv")
    scored, rejected, _ = score(frame, model, threshold)
    assert rejected.index.tolist() == [5]
    assert column in rejected.loc[5, "reason"]
    assert len(scored) == ROWS - 1


@pytest.mark.parametrize("column", ["flight", "carrier", "sched_dep_time"])
def test_an_empty_required_value_in_a_csv_quarantines_its_row(flights, model, threshold, tmp_path, column):
    frame = csv_round_trip(broken(flights, 5, {column: None}), tmp_path / "flights.csv")
    _, rejected, _ = score(frame, model, threshold)
    assert rejected.index.tolist() == [5]
    assert column in rejected.loc[5, "reason"]


def test_too_many_rejected_rows_stop_the_run_with_the_share(flights, model, threshold):
    frame = broken(broken(broken(flights, 1, {"month": 13}), 2, {"carrier": "U"}), 3, {"origin": "BOS"})
    with pytest.raises(DataError, match=re.escape("3 of 200 rows (1.5%)")) as error:
        score(frame, model, threshold, limit=0.01)
    assert "score.max_rejected_share = 0.01" in str(error.value)


def test_a_share_at_the_limit_is_allowed(flights, model, threshold):
    frame = broken(broken(flights, 1, {"month": 13}), 2, {"carrier": "U"})
    _, rejected, summary = score(frame, model, threshold, limit=0.01)  # 2 of 200 = 1%
    assert len(rejected) == 2 and summary["rejected_share"] == 0.01


def test_a_batch_of_rejected_rows_only_scores_nothing_within_the_limit(flights, model, threshold):
    frame = broken(broken(flights.head(2), 0, {"carrier": "U"}), 1, {"month": 13})
    scored, rejected, summary = score(frame, model, threshold, limit=1.0)
    assert len(scored) == 0 and list(rejected.index) == [0, 1]
    assert {"probability", "disrupted", "missing_weather"} <= set(scored.columns)
    assert summary["scored"] == 0 and summary["rejected_share"] == 1.0


@pytest.mark.parametrize("column", ["dest", "sched_dep_time", "carrier", "day"])
def test_a_file_without_a_required_column_is_refused_naming_it(flights, model, threshold, column):
    with pytest.raises(DataError, match=rf"\b{column}\b"):
        score(flights.drop(columns=[column]), model, threshold)


def test_optional_columns_may_be_absent(flights, model, threshold):
    optional = ["temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib"]
    scored, rejected, summary = score(flights.drop(columns=optional), model, threshold)
    assert len(rejected) == 0
    assert set(scored["missing_weather"]) == {";".join(expected_weather(model))}
    assert summary["missing_weather"] == len(flights)
    expected = model.predict_proba(flights[model_inputs(weather=True)].assign(**dict.fromkeys(optional)))
    assert np.array_equal(scored["probability"].to_numpy(), expected[:, 1])


def request_of(row: pd.Series) -> dict:
    record = row[INPUT_NAMES].astype(object)
    return record.where(record.notna(), None).to_dict()


AGREEMENT = {
    "carrier-not-a-code": {"carrier": "U"},
    "month-13": {"month": 13},
    "day-0": {"day": 0},
    "arrival-2360": {"sched_arr_time": 2360},
    "visibility-beyond-range": {"visib": 11.0},
    "cold-beyond-range": {"temp": -100.0},
    "not-a-leap-year": {"month": 2, "day": 29},
    "valid-row": {},
    "fractional-flight": {"flight": 1.5},
    "newline-after-code": {"dest": "IAH\n"},
    "flight-over-9999": {"flight": 10000},
    "dest-with-a-digit": {"dest": "04G"},
    "unknown-carrier": {"carrier": "ZZ"},
    "hhmm-minutes-60": {"sched_dep_time": 1260},
}


@pytest.mark.parametrize("change", AGREEMENT.values(), ids=AGREEMENT.keys())
def test_batch_and_http_rules_reject_the_same_values(flights, model, threshold, change):
    """flights.data.fields promises one set of rules for both paths."""
    frame = broken(flights.head(3), 1, change)
    try:
        flight_model(known_categories(model)).model_validate(request_of(frame.loc[1]))
        http_rejects = False
    except ValidationError:
        http_rejects = True
    _, rejected, _ = score(frame, model, threshold, limit=1.0)
    assert (1 in rejected.index) == http_rejects, f"HTTP rejects: {http_rejects}; batch: {rejected}"


# --- names outside the field table: the file's half of the rule (the HTTP half: test_service.py) ----


@pytest.mark.parametrize("given, meant", [("tmep", "temp"), ("sched_dep_tme", "sched_dep_time"),
                                          ("Carrier", "carrier")])  # fmt: skip
def test_a_column_nearly_spelt_like_an_input_refuses_the_file_naming_both(
    flights, model, threshold, given, meant
):
    """Scored as it is, the file would lack `temp` in every row, silently."""
    with pytest.raises(DataError) as error:
        score(flights.rename(columns={meant: given}), model, threshold)
    assert f"unknown field {given!r}: did you mean {meant!r}?" in str(error.value)


def test_raw_fields_that_are_not_inputs_are_carried_through_unread(flights, model, threshold):
    """Accepted and ignored, whatever they hold, as over HTTP."""
    junk = {name: "not checked" for name in NOT_INPUTS}
    clean, _, _ = score(flights, model, threshold)
    scored, rejected, _ = score(flights.assign(**junk), model, threshold)
    assert len(rejected) == 0
    assert np.array_equal(scored["probability"].to_numpy(), clean["probability"].to_numpy())


def test_other_extra_columns_are_carried_through(flights, model, threshold):
    frame = flights.assign(booking_id="b1", gate="C71")  # gate: refused over HTTP, a user's column here
    scored, rejected, _ = score(frame, model, threshold)
    assert len(rejected) == 0 and len(scored) == ROWS


# --- `make predict` and the `score` stage, in the session's reproduced repo -----------------------


def predict_cli(repo: Repo, source: Path, target: Path, *options: str) -> subprocess.CompletedProcess:
    """`python -m flights.delivery.predict` as `make predict` runs it, from the repo's root and code."""
    return subprocess.run(
        [sys.executable, "-m", "flights.delivery.predict", str(source), str(target), *options],
        cwd=repo.path, env=repo.env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predict_command_scores_a_file_and_quarantines_bad_rows(
    pipeline_repo, flights, model, tmp_path, suffix
):
    frame = broken(broken(flights, 4, {"carrier": "U"}), 9, {"sched_dep_time": 575})
    frame.insert(0, "booking_id", [f"b{row}" for row in range(ROWS)])  # the user's own column
    source, target = tmp_path / f"flights{suffix}", tmp_path / f"scored{suffix}"
    if suffix == ".csv":
        frame.to_csv(source, index=False)
    else:
        frame.to_parquet(source, index=False)
    result = predict_cli(pipeline_repo, source, target)
    assert result.returncode == 0, result.stderr
    version = locked_model_md5(pipeline_repo.path)
    assert f"scored {ROWS - 2} flights with model {version}; rejected 2" in result.stdout
    read = pd.read_csv if suffix == ".csv" else pd.read_parquet
    scored = read(target)
    assert len(scored) == ROWS - 2
    assert scored["probability"].between(0, 1).all() and scored["probability"].notna().all()
    assert (scored["model_version"] == version).all()
    expected = model.predict_proba(frame.drop(index=[4, 9])[model_inputs(weather=True)])[:, 1]
    assert np.allclose(scored["probability"], expected, rtol=1e-5, atol=0)  # CSV keeps 6 digits
    # the input's columns in their order (its own `disrupted` label now holds the prediction), then the new
    assert list(scored.columns) == [
        *frame.columns, "probability", "missing_weather", "unseen_dest", "model_version"
    ]  # fmt: skip
    assert scored["booking_id"].tolist() == frame.drop(index=[4, 9])["booking_id"].tolist()
    quarantine = read(tmp_path / f"scored.quarantine{suffix}")
    assert quarantine["booking_id"].tolist() == ["b4", "b9"]
    assert quarantine["flight"].tolist() == frame.loc[[4, 9], "flight"].tolist()
    assert "carrier: str_matches" in quarantine["reason"].iloc[0]
    assert "sched_dep_time: hhmm_minutes_below_60" in quarantine["reason"].iloc[1]
    assert pipeline_repo.run("git", "status", "--porcelain").stdout == ""


def test_predict_returns_the_users_own_csv_columns_as_written(pipeline_repo, flights, tmp_path):
    frame = broken(flights.head(4), 3, {"carrier": "U"}).assign(
        booking_id=["007", "0042", "NA", ""], note=["1e3", "TRUE", "", " x "]
    )
    source, target = tmp_path / "flights.csv", tmp_path / "scored.csv"
    frame.to_csv(source, index=False)
    result = predict_cli(pipeline_repo, source, target, "--max-rejected-share", "0.25")
    assert result.returncode == 0, result.stderr
    as_text = {"dtype": str, "keep_default_na": False}
    scored = pd.read_csv(target, **as_text)
    rejected = pd.read_csv(tmp_path / "scored.quarantine.csv", **as_text)
    assert scored[["booking_id", "note"]].values.tolist() == [["007", "1e3"], ["0042", "TRUE"], ["NA", ""]]
    assert rejected[["booking_id", "note"]].values.tolist() == [["", " x "]]


def test_predict_leaves_no_stale_quarantine_and_ignores_the_files_index(pipeline_repo, flights, tmp_path):
    """A clean file scored to the same output empties the earlier quarantine; a Parquet file's own index
    (strings, duplicates) does not matter, rows are told apart by position."""
    source, target = tmp_path / "flights.parquet", tmp_path / "scored.parquet"
    broken(flights, 4, {"carrier": "U"}).set_axis(["r"] * ROWS).to_parquet(source)
    first = predict_cli(pipeline_repo, source, target)
    assert first.returncode == 0 and "rejected 1" in first.stdout, first.stderr
    flights.to_parquet(source, index=False)
    second = predict_cli(pipeline_repo, source, target)
    assert second.returncode == 0 and "rejected 0" in second.stdout, second.stderr
    assert pd.read_parquet(tmp_path / "scored.quarantine.parquet").empty


def test_too_many_rejected_rows_write_no_scores_but_the_quarantine(pipeline_repo, flights, tmp_path):
    """3 of 20 rows (15%) break the rules: the default limit (1%) stops the run, and the user gets every
    rejected row with its reason, to fix it; a limit of their own lets the file through."""
    frame = broken(broken(broken(flights.head(20), 1, {"month": 13}), 2, {"carrier": "U"}), 3, {"day": 0})
    frame.insert(0, "booking_id", [f"b{row}" for row in range(20)])
    source, target = tmp_path / "flights.csv", tmp_path / "scored.csv"
    frame.to_csv(source, index=False)
    quarantine = tmp_path / "scored.quarantine.csv"
    allowed = predict_cli(pipeline_repo, source, target, "--max-rejected-share", "0.2")
    assert allowed.returncode == 0 and "scored 17 flights" in allowed.stdout, allowed.stderr
    refused = predict_cli(pipeline_repo, source, target)  # the scores of the run above must not stay
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "3 of 20 rows (15.0%) break the input rules, more than score.max_rejected_share" in refused.stderr
    assert f"every rejected row and its reason: {quarantine}" in refused.stderr
    assert not target.exists()
    assert pd.read_csv(quarantine)["booking_id"].tolist() == ["b1", "b2", "b3"]
    bad = predict_cli(pipeline_repo, source, target, "--max-rejected-share", "15%")
    assert bad.returncode == 2 and "--max-rejected-share" in bad.stderr


def test_predict_command_names_an_unreadable_parquet_file(pipeline_repo, tmp_path):
    source, target = tmp_path / "flights.parquet", tmp_path / "scored.parquet"
    source.write_bytes(b"not parquet at all")
    result = predict_cli(pipeline_repo, source, target)
    assert result.returncode == 1
    assert f"error: {source} is not a readable Parquet file" in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists()


@pytest.mark.parametrize(
    ("source", "target", "named"),
    [("flights.csv", "scored.json", "output file"), ("flights.xlsx", "scored.csv", "input file"),
     ("flights.csv", "flights.csv", "is the input file")],
)  # fmt: skip
def test_predict_command_refuses_unknown_formats_and_overwriting_its_input(tmp_path, source, target, named):
    source, target = tmp_path / source, tmp_path / target
    source.write_text("carrier,flight\nUA,1\n")
    with pytest.raises(DataError, match=named):
        check_paths(source, target)
    assert source.read_text() == "carrier,flight\nUA,1\n"


def test_predict_command_names_a_semicolon_separated_file(pipeline_repo, flights, tmp_path):
    source = tmp_path / "flights.csv"
    flights.head(3).to_csv(source, index=False, sep=";")
    result = predict_cli(pipeline_repo, source, tmp_path / "scored.csv")
    assert result.returncode == 1
    assert "separated by commas, not semicolons" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "scored.csv").exists()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predict_command_fails_clearly_for_a_missing_file(pipeline_repo, tmp_path, suffix):
    source, target = tmp_path / f"absent{suffix}", tmp_path / f"scored{suffix}"
    result = predict_cli(pipeline_repo, source, target)
    assert result.returncode == 1
    assert f"{source} does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists()


def test_predict_command_names_a_missing_metrics_file(pipeline_repo, flights, tmp_path):
    """A workspace whose metrics were never reproduced or pulled: the file is named, exit 1."""
    workspace = Repo(tmp_path / "workspace", pipeline_repo.env)
    shutil.copytree(pipeline_repo.path / "models", workspace.path / "models")
    for name in ("params.yaml", "dvc.lock"):
        shutil.copyfile(pipeline_repo.path / name, workspace.path / name)
    source, target = tmp_path / "flights.csv", tmp_path / "scored.csv"
    flights.to_csv(source, index=False)
    result = predict_cli(workspace, source, target)
    assert result.returncode == 1
    assert "metrics/train.json" in result.stderr and "Traceback" not in result.stderr
    assert not target.exists()


def test_score_stage_output_carries_the_locked_model_version(pipeline_repo):
    root = pipeline_repo.path
    version = locked_model_md5(root)
    scored = pd.read_parquet(root / "data/scored/scored.parquet")
    rejected = pd.read_parquet(root / "data/scored/quarantine.parquet")
    summary = json.loads((root / "metrics/score.json").read_text())
    assert len(scored) > 0
    assert (scored["model_version"] == version).all()
    assert summary["model_version"] == version
    assert summary["scored"] == len(scored) and summary["rejected"] == len(rejected)
    assert summary["rows"] == len(scored) + len(rejected)
    prepared = pd.read_parquet(root / "data/prepared/flights.parquet")
    latest = prepared["month"].max()
    assert summary["rows"] == int((prepared["month"] == latest).sum())
    assert scored["probability"].between(0, 1).all()


def test_a_score_month_absent_from_the_data_is_named():
    named = re.escape("score.month = 3 is not in the data (months present: [11, 12])")
    with pytest.raises(ParamError, match=named):
        batch_month(pd.Series([11, 12]), 3)
