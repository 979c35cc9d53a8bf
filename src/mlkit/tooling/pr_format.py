"""Values as the pull-request comment writes them: four decimals, a sign on every difference (what
rounds to zero is +0.0000, never -0.0000), thousands separators on counts, "n/a" for what is missing.
The HTML report writes its values with `mlkit.report_format`, for readers of a page rather than a diff."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeGuard

DIGITS = 4  # decimals shown in every table
NA = "n/a"

Number = int | float


def is_number(value: Any) -> TypeGuard[Number]:
    """A real, finite-or-infinite number (bools, None and NaN are not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not math.isnan(value)


def fmt_value(value: Any, digits: int = DIGITS, signed: bool = False) -> str:
    """Integers with thousands separators, floats with `digits` decimals, missing as n/a; `signed`
    adds the sign, and what rounds to zero is +0.0000, never -0.0000."""
    if not is_number(value):
        return NA
    sign = "+" if signed else ""
    if isinstance(value, int):
        return f"{value:{sign},}"
    shown = round(value, digits) + 0.0 if signed else value
    return f"{shown:{sign}.{digits}f}"


def fmt_signed(value: Any, digits: int = DIGITS) -> str:
    """A difference with its sign; what rounds to zero is +0.0000."""
    return fmt_value(value, digits, signed=True)


def fmt_interval(interval: Mapping[str, Any] | None, digits: int = DIGITS) -> str:
    """An interval as `[-0.0012, +0.0074]` (signed, as deltas are); empty when there is none."""
    if not interval or not (is_number(interval.get("low")) and is_number(interval.get("high"))):
        return ""
    return f"[{fmt_signed(interval['low'], digits)}, {fmt_signed(interval['high'], digits)}]"


def difference(new: Any, old: Any) -> Number | None:
    """`new - old`, or None when either is missing."""
    if not (is_number(new) and is_number(old)):
        return None
    return new - old
