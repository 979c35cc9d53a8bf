"""The request form of a flight: the raw tables' field names, with one set of rules for HTTP and batch.

Every rule is written once, in flights.data.fields (the table the raw schemas are built from too);
mlkit.records turns it into the pydantic model of a request here (`flight_model`, and so the OpenAPI
document) and into the pandera schema of a file in delivery/score.py. Both are built for a loaded
model, so the carriers and origins it knows are an enum of the OpenAPI document and a rule of the file.

Names outside the table, the same in both paths:
- a near miss of an input field (`tmep`: difflib ratio >= 0.8 to `temp`) is refused, naming both
  spellings: scoring it would treat the field as missing;
- the raw flights table's other fields (tailnum, hour, minute, time_hour, distance, dep_time,
  dep_delay, arr_time, arr_delay, air_time) are accepted and ignored: never checked, never read (a
  request may give them any scalar value, as a file's cell holds);
- any other name is refused in a request and carried through, unread, in a file.
"""

from collections.abc import Mapping, Sequence

from flights.data.fields import FIELDS, IGNORED, KNOWN_CODES, REAL_DATE
from mlkit import records

FLIGHT_DESCRIPTION = (
    "One flight in the raw tables' field names. A field nearly spelt like an input field (tmep for temp) "
    "is refused, naming both spellings; the raw flights fields that are not model inputs ("
    + ", ".join(IGNORED)
    + ") are accepted with any scalar value and ignored; any other field is refused. carrier and origin "
    "must be ones the served model was trained on; year/month/day must be a real date."
)


def flight_model(known: Mapping[str, Sequence[str]] | None = None) -> type[records.StrictRecord]:
    """The pydantic model of one flight; `known` (column -> values the model knows, as
    `known_categories` gives them) makes carrier and origin enums."""
    choices = {column: known[column] for column in KNOWN_CODES} if known else None
    return records.request_model(
        "Flight", FIELDS, FLIGHT_DESCRIPTION, choices=choices, row_checks=[REAL_DATE], ignored=IGNORED
    )
