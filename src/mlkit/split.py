"""Temporal split: shared bad days would leak across a random split, so whole periods go to one side."""

import pandas as pd

from mlkit.errors import ParamError


def split_by_period(frame: pd.DataFrame, period: str, parts: dict[str, list]) -> dict[str, pd.DataFrame]:
    """Rows of each named part are those whose `period` value is in its list; parts come in time order.

    Raises ParamError when parts overlap, when a part holds a period earlier than one of the part before
    it (a model fitted on later periods than it is tested on has seen the future), or when a part asks
    for a period absent from the data.
    """
    seen: dict = {}
    present = sorted(frame[period].unique().tolist())
    earlier: tuple[str, object] | None = None
    for name, periods in parts.items():
        if not periods:
            raise ParamError(f"params.yaml: split part '{name}' lists no {period}")
        for value in periods:
            if value in seen:
                raise ParamError(f"params.yaml: {period} {value} is in both '{seen[value]}' and '{name}'")
            seen[value] = name
        if earlier and min(periods) <= earlier[1]:
            raise ParamError(
                f"params.yaml: split part '{name}' has {period} {min(periods)}, not after {period} "
                f"{earlier[1]} of '{earlier[0]}': each part must come after the one before it in time"
            )
        earlier = (name, max(periods))
        absent = sorted(set(periods) - set(present))
        if absent:
            raise ParamError(
                f"params.yaml: split part '{name}' asks for {period} {absent}, "
                f"absent from the data ({period}s present: {present})"
            )
    return {
        name: frame[frame[period].isin(periods)].reset_index(drop=True) for name, periods in parts.items()
    }


def split_account(frame: pd.DataFrame, period: str, parts: dict[str, list]) -> dict:
    """Rows in, rows taken by some part, and how many each period that no part lists held: a split may
    leave periods unused (a shorter fitting window), but never uncounted."""
    listed = [value for periods in parts.values() for value in periods]
    outside = frame.loc[~frame[period].isin(listed), period].value_counts().sort_index()
    return {
        "rows_in": len(frame),
        "rows_out": len(frame) - int(outside.sum()),
        "rows_outside_parts": int(outside.sum()),
        "outside_parts": [[value, int(rows)] for value, rows in outside.items()],  # write_json casts numpy
    }


def summary(parts: dict[str, pd.DataFrame], target: str) -> dict[str, dict]:
    """Rows and class rate of each part, for the split metrics."""
    return {
        name: {"rows": len(part), "positive_rate": float(part[target].mean())} for name, part in parts.items()
    }
