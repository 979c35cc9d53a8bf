"""The calendar features of a flight's date: US holidays from the maintained `holidays` library.

Computed from the date alone, so any date gets them (no context table needed); the nearest holiday is
the closer of the next one and the last one (`min(days_to_holiday, days_from_holiday)`).
"""

from bisect import bisect_left
from datetime import date
from functools import lru_cache

import holidays

CALENDAR_FEATURES = ["holiday", "days_to_holiday", "days_from_holiday"]
NAN = float("nan")


@lru_cache(maxsize=64)
def _holidays_around(year: int) -> tuple[date, ...]:
    """US federal holidays (with their observed days) of the year before, the year and the year after,
    sorted: every date of `year` has one on each side."""
    return tuple(sorted(holidays.country_holidays("US", years=range(year - 1, year + 2))))


@lru_cache(maxsize=4096)
def calendar_facts(year: int, month: int, day: int) -> tuple[float, float, float]:
    """(holiday 1/0, days to the next holiday, days since the last one), 0 on a holiday; NaN for a date
    that does not exist."""
    try:
        today = date(int(year), int(month), int(day))
    except (TypeError, ValueError):
        return NAN, NAN, NAN
    days = _holidays_around(today.year)
    after = bisect_left(days, today)  # first holiday on or after today
    is_holiday = days[after] == today
    last = days[after] if is_holiday else days[after - 1]
    return float(is_holiday), float((days[after] - today).days), float((today - last).days)
