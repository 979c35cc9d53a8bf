"""The model's input fields, one rule each: the one table that the raw tables' schemas (tables.py), batch
scoring's rules (delivery/score.py) and the HTTP request model with its OpenAPI document
(delivery/inputs.py) are built from, through mlkit.fields.

Two rules that once differed are decided by the real data: airport codes are `^[A-Z0-9]{3}$` (129 of
the 1,458 FAA codes in `airports` have a digit, such as 04G), and a flight number is 1-9999 (the
2013 flights reach 8500; a flight number has at most four digits).

The raw flights table's other fields (NOT_INPUTS: the tail number, the hour and minute, time_hour,
distance and what is known only after departure) are accepted and ignored by both paths: a file
carries them through unread, a request may send them (any scalar value) and they are not read.
"""

from flights.shared.vocabulary import MAX_WIND_SPEED_MPH, MONTHS, WEATHER_COLUMNS
from mlkit.fields import FieldRule, calendar_date, hhmm_clock

HHMM = "local clock time as hhmm (0-2359)"
CLOCK = (hhmm_clock(),)
AIRPORT = r"^[A-Z0-9]{3}$"  # FAA codes: three letters or digits
SCHEDULE_FIELDS = [
    FieldRule("carrier", str, pattern=r"^[A-Z0-9]{2}$", description="two-character airline code, e.g. UA"),
    FieldRule("flight", int, ge=1, le=9999, description="flight number"),
    FieldRule("origin", str, pattern=AIRPORT, description="origin airport FAA code"),
    FieldRule("dest", str, pattern=AIRPORT, description="destination airport FAA code"),
    FieldRule("year", int, ge=1900, le=2100),
    FieldRule("month", int, ge=min(MONTHS), le=max(MONTHS)),
    FieldRule("day", int, ge=1, le=31),
    FieldRule("sched_dep_time", int, ge=0, le=2359, description=f"scheduled departure, {HHMM}", checks=CLOCK),
    FieldRule("sched_arr_time", int, ge=0, le=2359, description=f"scheduled arrival at dest, {HHMM}",
              checks=CLOCK),
]  # fmt: skip
WEATHER_RANGES = {
    "temp": (-60, 130, "°F"), "dewp": (-80, 100, "°F"), "humid": (0, 100, "%"),
    "wind_dir": (0, 360, "degrees"), "wind_speed": (0, MAX_WIND_SPEED_MPH, "mph"),
    "wind_gust": (0, 150, "mph"),
    "precip": (0, 10, "inches"), "pressure": (850, 1100, "millibars"), "visib": (0, 10, "miles"),
}  # fmt: skip
WEATHER_FIELDS = [
    FieldRule(name, float, required=False, ge=low, le=high, description=f"forecast at origin, {unit}")
    for name, (low, high, unit) in WEATHER_RANGES.items()
]
FIELDS = SCHEDULE_FIELDS + WEATHER_FIELDS
INPUT_NAMES = [rule.name for rule in FIELDS]
BY_NAME = {rule.name: rule for rule in FIELDS}
KNOWN_CODES = ("carrier", "origin")  # refused unless the model saw them (an unseen dest is flagged)
REAL_DATE = calendar_date(BY_NAME["year"], "month", "day")
assert [f.name for f in WEATHER_FIELDS] == WEATHER_COLUMNS

_AFTER = "known only after departure"
NOT_INPUTS = {
    "tailnum": "the plane's tail number",
    "hour": "scheduled departure hour (sched_dep_time says it)",
    "minute": "scheduled departure minute (sched_dep_time says it)",
    "time_hour": "scheduled hour as a UTC instant (year/month/day and sched_dep_time say it)",
    "distance": "miles between the airports (the model learned each route's)",
    "dep_time": _AFTER, "dep_delay": _AFTER, "arr_time": _AFTER, "arr_delay": _AFTER, "air_time": _AFTER,
}  # fmt: skip
IGNORED = {name: f"raw flights field, not a model input ({why}): accepted and ignored"
           for name, why in NOT_INPUTS.items()}  # fmt: skip
