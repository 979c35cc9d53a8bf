"""Temporal split: shared bad days would leak across a random split, so whole periods go to one side."""

import pandas as pd

from mlkit.config import ParamError


def split_by_period(frame: pd.DataFrame, period: str, parts: dict[str, list]) -> dict[str, pd.DataFrame]:
    """Rows of each named part are those whose `period` value is in its list.

    Raises ParamError when parts overlap, or when a part asks for a period absent from the data.
    """
    seen: dict = {}
    present = sorted(frame[period].unique().tolist())
    for name, periods in parts.items():
        if not periods:
            raise ParamError(f"params.yaml: split part '{name}' lists no {period}")
        for value in periods:
            if value in seen:
                raise ParamError(f"params.yaml: {period} {value} is in both '{seen[value]}' and '{name}'")
            seen[value] = name
        absent = sorted(set(periods) - set(present))
        if absent:
            raise ParamError(
                f"params.yaml: split part '{name}' asks for {period} {absent}, "
                f"absent from the data ({period}s present: {present})"
            )
    return {
        name: frame[frame[period].isin(periods)].reset_index(drop=True) for name, periods in parts.items()
    }


def summary(parts: dict[str, pd.DataFrame], target: str) -> dict[str, dict]:
    """Rows and class rate of each part, for the split metrics."""
    return {
        name: {"rows": len(part), "positive_rate": float(part[target].mean())} for name, part in parts.items()
    }
