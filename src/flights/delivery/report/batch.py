"""The report's delivery sections: the latest batch as scoring sees it, and its drift from the training
data."""

import pandas as pd

from flights.delivery.report.labels import LABELS, section
from mlkit.report import Section


def delivery_sections(score: dict, drift: dict) -> list[Section]:
    """What the latest batch looks like when scored, and whether it drifted from the training data."""
    batch = section("The latest batch, scored")
    batch.add_text(
        "The most recent month stands in for tomorrow's schedule: each flight gets a probability and a "
        "yes/no flag, and rows that break the input rules are quarantined with their reason."
    )
    keys = ("rows", "scored", "rejected", "missing_weather", "unseen_dest", "mean_probability",
            "flagged_share", "model_version")  # fmt: skip
    batch.add_mapping({key: score[key] for key in keys}, kinds={"flagged_share": "share"})
    monitor = section("Drift against the training data")
    flagged = ", ".join(LABELS(name) for name in drift["flagged"]) or "none"
    monitor.add_text(
        f"Population stability index (PSI) per model feature, largest first (flagged: {flagged}). "
        "Weather shifts with the season, so a winter batch drifts from a spring-to-autumn training set."
    )
    rows = [
        {"feature": LABELS(name), "PSI": entry["psi"], "flagged": entry["flagged"]}
        for name, entry in drift["features"].items()
    ]
    rows.append(
        {"feature": "model score", "PSI": drift["score"]["psi"], "flagged": drift["score"]["flagged"]}
    )
    monitor.add_table(pd.DataFrame(rows).sort_values("PSI", ascending=False, kind="stable"))
    return [batch, monitor]
