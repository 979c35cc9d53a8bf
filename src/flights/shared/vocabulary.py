"""The shared vocabulary of the flights domain: column names, the label, the months and the statuses."""

WEATHER_COLUMNS = [
    "temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib",
]  # fmt: skip
PLANE_COLUMNS = {"year": "plane_year", "seats": "plane_seats", "engines": "plane_engines"}
AIRPORT_COLUMNS = {
    "lat": "dest_lat",
    "lon": "dest_lon",
    "alt": "dest_alt",
    "tz": "dest_tz",
    "dst": "dest_dst",
}
MAX_WIND_SPEED_MPH = 100  # the one recorded 1048 mph is an instrument error
LABEL_POLICIES = ("disrupted", "completed")
LABEL = "disrupted"
MONTHS = range(1, 13)  # the calendar months a flight's `month` may hold
STATUSES = ("completed", "cancelled", "diverted")
# The period the stages read the raw flights by, a part of whole months at a time (mlkit.streaming): the
# flight key holds it, so a duplicate never spans two parts, and a part sorted by time is in time order
MONTH_OF_YEAR = ["year", "month"]
# Which flight a row of the prediction tables is (unique in the data), for pairing predictions across runs
FLIGHT_KEYS = ["year", "month", "day", "carrier", "flight", "origin", "dest", "sched_dep_time"]
# Which copy of a flight a row is, in data scaled by `data.scale` > 1 (flights.data.ingest.replicate)
REPLICA = "replica"


def flight_keys(columns) -> list[str]:
    """FLIGHT_KEYS, and the replica number when the table has one (scaled data)."""
    return FLIGHT_KEYS + ([REPLICA] if REPLICA in columns else [])
