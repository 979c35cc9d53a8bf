"""Batch scoring: the rules of flights.data.fields (the HTTP service's too, delivery/inputs.py) applied
row by row, then the saved Pipeline; rows that break them are quarantined with the reason, up to a
share (mlkit.scoring). A column nearly spelt like an input field refuses the file, naming both
spellings; the raw flights fields that are not inputs, and any other column, are carried through unread.
"""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pandera.pandas as pa
from sklearn.pipeline import Pipeline

from flights.data.fields import FIELDS, IGNORED, INPUT_NAMES, KNOWN_CODES, REAL_DATE
from flights.model.features import model_inputs
from flights.model.train import expected_weather, known_categories
from mlkit import fields
from mlkit.config import ParamError
from mlkit.evaluation import positive_proba
from mlkit.scoring import missing_fields, rejected_share
from mlkit.validation import quarantine


def batch_schema(known: Mapping[str, Sequence[str]]) -> pa.DataFrameSchema:
    """The input rules for a whole file, vectorised, for a model that knows the `known` categories."""
    return fields.batch_schema(FIELDS, {column: known[column] for column in KNOWN_CODES}, [REAL_DATE])


def batch_month(months: pd.Series, choice: str | int) -> int:
    """The month to score: the latest one in the data, or the one `score.month` names."""
    present = sorted(months.unique().tolist())
    month = present[-1] if choice == "latest" else choice
    if month not in present:
        raise ParamError(
            f"params.yaml: score.month = {choice!r} is not in the data (months present: {present})"
        )
    return int(month)


def score_flights(
    flights: pd.DataFrame,
    model: Pipeline,
    version: str,
    threshold: float,
    max_rejected_share: float,
    limit_name: str = "score.max_rejected_share",
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(scored rows, rejected rows with their reason, summary); raises TooManyRejected when more than
    `max_rejected_share` of the rows are rejected (`limit_name` says where that limit was set)."""
    categories = known_categories(model)
    fields.refuse_near_misses(flights.columns, INPUT_NAMES, "flights to score", known=IGNORED)
    columns = [c for c in INPUT_NAMES if c in flights.columns]  # others are the user's, unread
    valid, rejected = quarantine(flights[columns], batch_schema(categories), "flights to score")
    valid = fields.as_rule_types(valid, FIELDS)  # whole numbers as integers, as a request has them
    share = rejected_share(rejected, len(flights), max_rejected_share, limit_name)
    weather = model.named_steps["schedule"].weather
    inputs = valid.reindex(columns=model_inputs(weather))
    probability = positive_proba(model, inputs) if len(valid) else np.empty(0)
    scored = valid.assign(
        probability=probability,
        disrupted=probability >= threshold,
        missing_weather=missing_fields(valid, expected_weather(model)),
        unseen_dest=~valid["dest"].isin(categories["dest"]),
        model_version=version,
    )
    summary = {
        "rows": len(flights),
        "scored": len(scored),
        "rejected": len(rejected),
        "rejected_share": share,
        "mean_probability": float(scored["probability"].mean()) if len(scored) else float("nan"),
        "flagged_share": float(scored["disrupted"].mean()) if len(scored) else float("nan"),
        "missing_weather": int((scored["missing_weather"] != "").sum()),
        "unseen_dest": int(scored["unseen_dest"].sum()),
        "threshold": threshold,
        "model_version": version,
    }
    return scored, rejected, summary
